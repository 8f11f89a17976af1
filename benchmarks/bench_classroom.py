"""Classroom load: 200 simulated learners against a real server on loopback, PostgreSQL, and two
`vibrastic worker` processes — the set-up a department would run, squeezed onto one machine.

Phases (bounded in count and time, loopback only):
1. burst: every learner presses Check on sigma at the same moment (200 submissions); time until
   the last verdict is in;
2. browsing and checking for ``--seconds`` (default 120): each learner loads the home page and
   the challenge page, saves and checks, then waits 5–15 s (as a person reads the verdict).
Printed: page latency p50/p95, check round trip (submit to verdict) p50/p95, burst clear time,
error responses, and whether every accepted check has its verdict row (no attempt lost).
Targets (issue 11): page p95 < 200 ms, burst cleared < 60 s, no errors, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from databases import free_port, new_postgres_database, start_postgres  # noqa: E402

PASSWORD = "correct horse battery"
SIGMA = "def sigma(n):\n    return sum(i * i for i in range(1, n + 1))\n"
WRONG = "def sigma(n):\n    return n * n\n"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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
    course = create_course(engine, slug="load", title="Load test", instructor_id=prof)
    code = add_section(engine, course, "All", by=prof)
    for i in range(learners):
        user = create_user(engine, email=f"l{i}@example.org", name=f"Learner {i}",
                           username=f"l{i}", password=PASSWORD)
        join_with_code(engine, user, code)


class Stats:
    def __init__(self) -> None:
        self.pages: list[float] = []
        self.checks: list[float] = []
        self.errors: dict[str, int] = {}
        self.limited = 0
        self.accepted = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def sign_in(client: httpx.AsyncClient, i: int, stats: Stats) -> str:
    r = await client.post("/signin", data={"email": f"l{i}@example.org", "password": PASSWORD})
    if r.status_code != 303:
        stats.error(f"sign-in {r.status_code}")
    page = await client.get("/courses")
    marker = 'name="csrf-token" content="'
    start = page.text.index(marker) + len(marker)
    return page.text[start:page.text.index('"', start)]


async def check(client: httpx.AsyncClient, csrf: str, source: str, stats: Stats,
                deadline: float) -> None:
    begin = time.perf_counter()
    r = await client.post("/api/challenges/sigma/check", json={"source": source},
                          headers={"X-CSRF-Token": csrf})
    if r.status_code == 429:
        stats.limited += 1
        return
    if r.status_code != 202:
        stats.error(f"check {r.status_code}")
        return
    stats.accepted += 1
    job = r.json()["job_id"]
    while time.monotonic() < deadline:
        status = await client.get(f"/api/jobs/{job}")
        if status.status_code != 200:
            stats.error(f"job {status.status_code}")
            return
        if status.json()["state"] in ("done", "error"):
            if status.json()["state"] == "error":
                stats.error("grader error")
            stats.checks.append(time.perf_counter() - begin)
            return
        await asyncio.sleep(0.25)
    stats.error("verdict not back before the deadline")


async def browse(client: httpx.AsyncClient, stats: Stats) -> None:
    for path in ("/", "/challenges/sigma"):
        begin = time.perf_counter()
        r = await client.get(path)
        stats.pages.append(time.perf_counter() - begin)
        if r.status_code != 200:
            stats.error(f"GET {path} {r.status_code}")


async def learner(i: int, base: str, stats: Stats, burst_stats: Stats, phase: dict,
                  signed: list[int]) -> None:
    rng = random.Random(i)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        csrf = await sign_in(client, i, stats)
        signed.append(i)
        await phase["burst"].wait()
        await check(client, csrf, SIGMA if i % 2 else WRONG, burst_stats, phase["deadline"])
        await phase["browse"].wait()
        while time.monotonic() < phase["until"]:
            await browse(client, stats)
            await check(client, csrf, SIGMA if rng.random() < 0.5 else WRONG, stats,
                        phase["deadline"])
            await asyncio.sleep(rng.uniform(5, 15))


async def run_load(base: str, learners: int, seconds: float) -> tuple[Stats, Stats, float]:
    """Sign everyone in, fire the burst, then browse and check for ``seconds``."""
    stats, burst_stats = Stats(), Stats()
    signed: list[int] = []
    phase = {"burst": asyncio.Event(), "browse": asyncio.Event(),
             "deadline": time.monotonic() + 900 + seconds, "until": 0.0}
    tasks = [asyncio.create_task(learner(i, base, stats, burst_stats, phase, signed))
             for i in range(learners)]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-classroom-"))
    pg, env = start_postgres(folder)
    processes: list[subprocess.Popen] = []
    try:
        url = new_postgres_database(env)
        prepare(url, args.learners)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cli = [sys.executable, "-m", "vibrastic"]
        environ = dict(os.environ, VIBRASTIC_HOME=str(folder / "home"))
        processes.append(subprocess.Popen(
            [*cli, "classroom", "serve", "--database-url", url, "--port", str(port),
             "--no-secure-cookies"], env=environ, stdout=subprocess.DEVNULL))
        for _ in range(2):
            processes.append(subprocess.Popen([*cli, "worker", "--database-url", url],
                                              env=environ, stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the classroom server did not start")
            time.sleep(0.2)
        stats, burst, burst_time = asyncio.run(run_load(base, args.learners, args.seconds))
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from vibrastic.platform.classroom.models import Submission
        from vibrastic.platform.database import connect

        settle = time.monotonic() + 300
        engine = connect(url)
        while time.monotonic() < settle:
            with Session(engine) as session:
                pending = session.scalar(select(func.count(Submission.id)).where(
                    Submission.state.in_(("queued", "running")))) or 0
                rows = session.scalar(select(func.count(Submission.id))) or 0
            if pending == 0:
                break
            time.sleep(1)
        accepted = stats.accepted + burst.accepted
        print(f"classroom load: {args.learners} learners, PostgreSQL, 2 workers, "
              f"{args.seconds:g} s of browsing and checking (loopback)")
        print(f"  burst of {args.learners} checks: cleared in {burst_time:.1f} s; round trip "
              f"p50 {statistics.median(burst.checks):.2f} s, p95 {pct(burst.checks, .95):.2f} s")
        print(f"  pages: {len(stats.pages)} requests, p50 {1000 * pct(stats.pages, .5):.0f} ms, "
              f"p95 {1000 * pct(stats.pages, .95):.0f} ms (target p95 < 200 ms)")
        print(f"  checks: {len(stats.checks)} graded, round trip p50 "
              f"{pct(stats.checks, .5):.2f} s, p95 {pct(stats.checks, .95):.2f} s; "
              f"{stats.limited + burst.limited} refused by the rate limit (429)")
        errors = {**stats.errors, **{f"burst {k}": v for k, v in burst.errors.items()}}
        print(f"  error responses: {sum(errors.values())} {errors if errors else ''}")
        print(f"  attempts: {accepted} accepted, {rows} rows, {pending} still pending "
              f"-> {'none lost' if rows >= accepted and pending == 0 else 'LOST OR STUCK'}")
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
