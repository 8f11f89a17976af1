"""Classroom load: 200 simulated learners against a real server (two web processes) on loopback,
PostgreSQL, and two `vibrastic worker` processes — the set-up a department would run, squeezed
onto one machine.

Phases (bounded in count and time, loopback only):
1. burst: every learner presses Check on sigma at the same moment (200 submissions); time until
   the last verdict is in;
2. browsing and checking for ``--seconds`` (default 120): each learner opens a page (home, a
   lesson, a challenge or their progress), reads it for 3–10 s, and about every ``--check-every``
   seconds saves and checks, waiting for the verdict over server-sent events as the page does;
   an instructor reloads the dashboard and the gradebook;
3. pages in-process at low concurrency: the same app, one request at a time, no other load from
   this benchmark (the figure to compare across runs on a shared machine).
Printed: page p50/p95 per page type, check round trip (submit to verdict) p50/p95, burst clear
time, error responses, lost attempts (every accepted check must end as a row with a verdict),
and the load average. Targets (issue 11): page p95 < 200 ms, burst cleared < 60 s, no errors,
nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from databases import free_port, new_postgres_database, start_postgres  # noqa: E402

PASSWORD = "correct horse battery"
SIGMA = "def sigma(n):\n    return sum(i * i for i in range(1, n + 1))\n"
WRONG = "def sigma(n):\n    return n * n\n"
COURSE = "load"
LESSON = "python-refresher"
PAGES = {"home": "/", "lesson": f"/lessons/{LESSON}", "challenge": "/challenges/sigma",
         "progress": "/progress"}
STAFF_PAGES = {"dashboard": f"/c/{COURSE}/dashboard", "grid": f"/c/{COURSE}/dashboard/grid",
               "gradebook": f"/c/{COURSE}/gradebook"}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_average() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def prepare(url: str, learners: int) -> None:
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from vibrastic.platform.classroom import accounts
    from vibrastic.platform.classroom.people import (
        add_section,
        create_course,
        create_user,
        join_with_code,
    )
    from vibrastic.platform.database import connect

    accounts._hasher = PasswordHasher.from_parameters(CHEAPEST)  # set-up speed, not measured
    engine = connect(url)
    prof = create_user(engine, email="prof@example.org", name="Prof", username="prof",
                       password=PASSWORD)
    course = create_course(engine, slug=COURSE, title="Load test", instructor_id=prof)
    code = add_section(engine, course, "All", by=prof)
    for i in range(learners):
        user = create_user(engine, email=f"l{i}@example.org", name=f"Learner {i}",
                           username=f"l{i}", password=PASSWORD)
        join_with_code(engine, user, code)


class Stats:
    def __init__(self) -> None:
        self.pages: dict[str, list[float]] = defaultdict(list)
        self.server: dict[str, list[float]] = defaultdict(list)  # the app's Server-Timing
        self.lag: list[float] = []  # this process's event-loop delay (a 10 ms sleep, late by)
        self.checks: list[float] = []
        self.errors: dict[str, int] = {}
        self.limited = 0
        self.accepted: list[int] = []  # submission ids

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def sign_in(client: httpx.AsyncClient, email: str, stats: Stats) -> str:
    r = await client.post("/signin", data={"email": email, "password": PASSWORD})
    if r.status_code != 303:
        stats.error(f"sign-in {r.status_code}")
    page = await client.get("/courses")
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start:page.text.index('"', start)]


async def check(client: httpx.AsyncClient, csrf: str, source: str, stats: Stats,
                deadline: float) -> None:
    """Save, check, and follow the verdict over server-sent events (as the page does)."""
    headers = {"X-CSRF-Token": csrf}
    saved = await client.put("/api/challenges/sigma/source", json={"source": source,
                                                                   "force": True},
                             headers=headers)
    if saved.status_code != 200:
        stats.error(f"save {saved.status_code}")
    begin = time.perf_counter()
    r = await client.post("/api/challenges/sigma/check", json={"source": source},
                          headers=headers)
    if r.status_code == 429:
        stats.limited += 1
        return
    if r.status_code != 202:
        stats.error(f"check {r.status_code}")
        return
    job = r.json()
    stats.accepted.append(int(job["job_id"][1:]))
    state = None
    try:
        async with asyncio.timeout(max(1.0, deadline - time.monotonic())):
            async with client.stream("GET", job["events_url"]) as events:
                if events.status_code != 200:
                    stats.error(f"job events {events.status_code}")
                    return
                async for line in events.aiter_lines():
                    if line.startswith("data: {\"id\""):
                        state = json.loads(line[6:])["state"]
                    elif line == "event: end":
                        break
    except TimeoutError:
        stats.error("verdict not back before the deadline")
        return
    if state == "error":
        stats.error("grader error")
    elif state != "done":
        stats.error(f"events ended in state {state}")
    stats.checks.append(time.perf_counter() - begin)


async def open_page(client: httpx.AsyncClient, kind: str, path: str, stats: Stats) -> None:
    begin = time.perf_counter()
    r = await client.get(path)
    stats.pages[kind].append(time.perf_counter() - begin)
    timing = r.headers.get("server-timing", "")
    if timing.startswith("app;dur="):
        stats.server[kind].append(float(timing[8:]) / 1000)
    if r.status_code != 200:
        stats.error(f"GET {path} {r.status_code}")


async def learner(i: int, base: str, stats: Stats, burst_stats: Stats, phase: dict,
                  signed: list[int], check_every: float) -> None:
    rng = random.Random(i)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        csrf = await sign_in(client, f"l{i}@example.org", stats)
        signed.append(i)
        await phase["burst"].wait()
        await check(client, csrf, SIGMA if i % 2 else WRONG, burst_stats, phase["deadline"])
        await phase["browse"].wait()
        await asyncio.sleep(rng.uniform(0, 10))  # people do not move in step
        next_check = time.monotonic() + rng.uniform(0, check_every)
        while time.monotonic() < phase["until"]:
            kind = rng.choice(list(PAGES))
            await open_page(client, kind, PAGES[kind], stats)
            if time.monotonic() >= next_check:
                await check(client, csrf, SIGMA if rng.random() < 0.5 else WRONG, stats,
                            phase["deadline"])
                next_check = time.monotonic() + rng.uniform(0.5, 1.5) * check_every
            await asyncio.sleep(rng.uniform(3, 10))


async def instructor(base: str, stats: Stats, phase: dict) -> None:
    """The instructor's dashboard follows the class live, as ``classroom.js`` does: on change
    events it reloads the grid, at most once every two seconds; the gradebook now and then."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await sign_in(client, "prof@example.org", stats)
        changed = asyncio.Event()

        async def follow() -> None:
            async with client.stream("GET", STAFF_PAGES["dashboard"] + "/events") as events:
                async for line in events.aiter_lines():
                    if line == "event: change":
                        changed.set()

        follower = asyncio.create_task(follow())
        await open_page(client, "dashboard", STAFF_PAGES["dashboard"], stats)
        await phase["burst"].wait()
        next_book = time.monotonic()
        try:
            while not phase["browse"].is_set() or time.monotonic() < phase["until"]:
                if time.monotonic() >= next_book:
                    await open_page(client, "gradebook", STAFF_PAGES["gradebook"], stats)
                    next_book = time.monotonic() + 15
                try:
                    await asyncio.wait_for(changed.wait(), timeout=2)
                except TimeoutError:
                    continue
                changed.clear()
                await open_page(client, "grid", STAFF_PAGES["grid"], stats)
                await asyncio.sleep(2)
        finally:
            follower.cancel()


async def loop_lag(stats: Stats, phase: dict) -> None:
    """How late this process wakes from a 10 ms sleep while browsing: time the simulated
    learners' own event loop adds to every round trip it measures."""
    await phase["browse"].wait()
    while time.monotonic() < phase["until"]:
        begin = time.perf_counter()
        await asyncio.sleep(0.01)
        stats.lag.append(time.perf_counter() - begin - 0.01)


async def run_load(base: str, learners: int, seconds: float,
                   check_every: float) -> tuple[Stats, Stats, float]:
    """Sign everyone in, fire the burst, then browse and check for ``seconds``."""
    stats, burst_stats = Stats(), Stats()
    signed: list[int] = []
    phase = {"burst": asyncio.Event(), "browse": asyncio.Event(),
             "deadline": time.monotonic() + 900 + seconds, "until": 0.0}
    tasks = [asyncio.create_task(learner(i, base, stats, burst_stats, phase, signed,
                                         check_every)) for i in range(learners)]
    tasks.append(asyncio.create_task(instructor(base, stats, phase)))
    tasks.append(asyncio.create_task(loop_lag(stats, phase)))
    start = time.monotonic()
    while len(signed) < learners and time.monotonic() - start < 300:
        await asyncio.sleep(0.1)
    burst_start = time.monotonic()
    phase["burst"].set()
    while (len(burst_stats.checks) + burst_stats.limited + sum(burst_stats.errors.values())
           < learners and time.monotonic() - burst_start < 600):
        await asyncio.sleep(0.1)
    burst_time = time.monotonic() - burst_start
    phase["until"] = time.monotonic() + seconds
    phase["browse"].set()
    _done, pending = await asyncio.wait(tasks, timeout=seconds + 180)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats, burst_stats, burst_time


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the classroom server did not start")
        time.sleep(0.2)


def build_lesson(base: str) -> None:
    """The lesson page is executed once, before class (as an instructor would open it)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        client.post("/signin", data={"email": "prof@example.org", "password": PASSWORD})
        deadline = time.monotonic() + 300
        client.get(PAGES["lesson"])
        while time.monotonic() < deadline:
            status = client.get(f"/lessons/{LESSON}/status")
            if "HX-Refresh" in status.headers:
                return
            time.sleep(1)


def in_process_pages(url: str, repeats: int) -> dict[str, list[float]]:
    """Each page type ``repeats`` times, one request at a time, in this process."""
    from fastapi.testclient import TestClient

    from vibrastic.faces.web import WebConfig, create_app

    app = create_app(WebConfig(database_url=url, secure_cookies=False))
    times: dict[str, list[float]] = defaultdict(list)
    with TestClient(app) as learner_client, TestClient(app) as staff_client:
        for client, email, pages in ((learner_client, "l1@example.org", PAGES),
                                     (staff_client, "prof@example.org", STAFF_PAGES)):
            client.post("/signin", data={"email": email, "password": PASSWORD},
                        follow_redirects=False)
            for kind, path in pages.items():
                client.get(path)  # warm
                for _ in range(repeats):
                    begin = time.perf_counter()
                    response = client.get(path)
                    times[kind].append(time.perf_counter() - begin)
                    assert response.status_code == 200, (path, response.status_code)
    return times


def page_lines(pages: dict[str, list[float]]) -> list[str]:
    return [f"    {kind:<10} {len(values):5d} requests, p50 {1000 * pct(values, .5):5.0f} ms, "
            f"p95 {1000 * pct(values, .95):5.0f} ms" for kind, values in pages.items()]


def lost_attempts(url: str, accepted: list[int]) -> tuple[int, int, int]:
    """(rows with a verdict, rows a grader failed on, accepted checks without a verdict)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from vibrastic.platform.classroom.models import Submission
    from vibrastic.platform.database import connect

    engine = connect(url)
    settle = time.monotonic() + 300
    while True:
        with Session(engine) as session:
            states = dict(session.execute(select(Submission.id, Submission.state)).all())
        missing = [i for i in accepted if states.get(i) not in ("done", "error")]
        if not missing or time.monotonic() > settle:
            break
        time.sleep(1)
    errors = sum(states.get(i) == "error" for i in accepted)
    return len(accepted) - len(missing) - errors, errors, len(missing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--check-every", type=float, default=60,
                        help="mean seconds between one learner's checks while browsing")
    parser.add_argument("--processes", type=int, default=2,
                        help="web processes (`classroom serve --processes`)")
    parser.add_argument("--repeats", type=int, default=30,
                        help="requests per page type in the in-process measurement")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    folder = Path(tempfile.mkdtemp(prefix="bench-classroom-"))
    pg, env = start_postgres(folder)
    processes: list[subprocess.Popen] = []
    try:
        url = new_postgres_database(env)
        prepare(url, args.learners)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cli = [sys.executable, "-m", "vibrastic"]
        environ = dict(os.environ, VIBRASTIC_HOME=str(folder / "home"), VIBRASTIC_QUICK="1")
        processes.append(subprocess.Popen(
            [*cli, "classroom", "serve", "--database-url", url, "--port", str(port),
             "--no-secure-cookies", "--processes", str(args.processes)], env=environ,
            stdout=subprocess.DEVNULL))
        for _ in range(2):
            processes.append(subprocess.Popen([*cli, "worker", "--database-url", url],
                                              env=environ, stdout=subprocess.DEVNULL))
        wait_until_up(base)
        build_lesson(base)
        before = load_average()
        stats, burst, burst_time = asyncio.run(run_load(base, args.learners, args.seconds,
                                                        args.check_every))
        after = load_average()
        good, failed, missing = lost_attempts(url, burst.accepted + stats.accepted)
        for process in processes:
            process.terminate()
        os.environ.update(VIBRASTIC_HOME=str(folder / "home"), VIBRASTIC_QUICK="1")
        quiet_before = load_average()
        alone = in_process_pages(url, args.repeats)
        quiet_after = load_average()
        print(f"classroom load: {args.learners} learners + 1 instructor, PostgreSQL, "
              f"{args.processes} web process{'es' if args.processes > 1 else ''}, 2 workers, "
              f"{args.seconds:g} s of browsing and checking (a check every ~"
              f"{args.check_every:g} s each), loopback; {before} at the start, {after} at the end")
        print(f"  burst of {args.learners} checks: cleared in {burst_time:.1f} s (target < 60 s);"
              f" round trip p50 {pct(burst.checks, .5):.2f} s, p95 {pct(burst.checks, .95):.2f} s")
        every = [t for values in stats.pages.values() for t in values]
        print(f"  pages under load: {len(every)} requests, p50 {1000 * pct(every, .5):.0f} ms, "
              f"p95 {1000 * pct(every, .95):.0f} ms (target p95 < 200 ms)")
        print("\n".join(page_lines(stats.pages)))
        inside = [t for values in stats.server.values() for t in values]
        print(f"  the same pages' time inside the app (Server-Timing): p50 "
              f"{1000 * pct(inside, .5):.0f} ms, p95 {1000 * pct(inside, .95):.0f} ms; this "
              f"process's own event-loop delay: p50 {1000 * pct(stats.lag, .5):.1f} ms, p95 "
              f"{1000 * pct(stats.lag, .95):.1f} ms")
        print("\n".join(page_lines(stats.server)))
        print(f"  checks while browsing: {len(stats.checks)} graded, round trip p50 "
              f"{pct(stats.checks, .5):.2f} s, p95 {pct(stats.checks, .95):.2f} s; "
              f"{stats.limited + burst.limited} refused by the rate limit (429)")
        errors = {**stats.errors, **{f"burst {k}": v for k, v in burst.errors.items()}}
        print(f"  error responses: {sum(errors.values())} {errors if errors else ''}")
        print(f"  attempts: {len(burst.accepted) + len(stats.accepted)} accepted, {good} with a "
              f"verdict, {failed} grader failures (not attempts), {missing} without a verdict "
              f"-> {'none lost' if missing == 0 else 'LOST OR STUCK'}")
        print(f"  pages in-process, one request at a time ({args.repeats} each; {quiet_before} "
              f"before, {quiet_after} after):")
        print("\n".join(page_lines(alone)))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        assert pg.stdin is not None
        pg.stdin.close()
        pg.wait(120)


if __name__ == "__main__":
    main()
