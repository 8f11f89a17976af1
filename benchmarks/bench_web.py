"""The web course: page render p50/p95 (home, a cached lesson, a challenge) and a check's round
trip through the JSON API (POST check -> job done -> GET verdict), in-process (Starlette's test
client, no network). Peer: the static file app.css served by the same app in the same run, so
the ratio says how much more a page costs than the cheapest response. "CPU ms" is the process's
CPU time per request (all threads), which a busy machine inflates far less than wall time; the
load average is printed before and after. Targets from the issue: pages < 50 ms p50, a plain
check < 0.5 s end to end.
The checks run first, so the pages show a learner with attempts (sigma's history has 17).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

N_PAGES = 60
N_CHECKS = 15


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(get, url: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = get(url)
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def _timed(get, url: str, n: int) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    """p50 and p95 wall time, and CPU time per request (seconds)."""
    cpu0 = time.process_time()
    samples = _time(get, url, n)
    cpu = (time.process_time() - cpu0) / n
    return (*_percentiles(samples), cpu)


class _Counts:
    """SQL statements and database connections made while a request runs (any engine):
    figures a busy machine cannot blur."""

    def __init__(self) -> None:
        from sqlalchemy import Engine, event
        from sqlalchemy.pool import Pool

        self.statements = self.connections = 0
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Pool, "connect", self._connection)

    def _statement(self, *_args: object) -> None:
        self.statements += 1

    def _connection(self, *_args: object) -> None:
        self.connections += 1

    def of(self, get, url: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        before = self.statements, self.connections
        assert get(url).status_code == 200
        return self.statements - before[0], self.connections - before[1]


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + \
        f" ({os.cpu_count()} cores)"


def main() -> None:
    from fastapi.testclient import TestClient

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VIBRASTIC_HOME"] = os.path.join(tmp, "home")
        os.environ["VIBRASTIC_WORKSPACE"] = os.path.join(tmp, "work")
        from vibrastic.faces.web import WebConfig, create_app

        app = create_app(WebConfig(quick_lessons=True, grading_workers=1))
        with TestClient(app) as client:
            ctx = app.state.ctx
            ctx.lessons.schedule(ctx.course.lesson(2)).future.result(timeout=600)

            source = "def sigma(n):\n    return sum(i ** 2 for i in range(1, n + 1))\n"
            rounds = []
            for _ in range(N_CHECKS + 2):
                t0 = time.perf_counter()
                job = client.post("/api/challenges/sigma/check", json={"source": source})
                job_id = job.json()["job_id"]
                ctx.grading.wait(job_id, timeout=60)
                verdict = client.get(f"/api/jobs/{job_id}").json()
                rounds.append(time.perf_counter() - t0)
                assert verdict["result"]["status"] == "pass"
            p50, p95 = _percentiles(rounds[2:])  # the first two warm the grader up
            print(f"check round trip (sigma, sandboxed, recorded): p50 {p50:.3f} s, "
                  f"p95 {p95:.3f} s over {N_CHECKS}")
            for url in ("/", "/lessons/2", "/challenges/sigma", "/static/app.css"):
                _time(client.get, url, 3)  # warm up
            peer, _, peer_cpu = _timed(client.get, "/static/app.css", N_PAGES)
            counts = _Counts()
            print(_load())
            print(f"{'page':<20}{'p50 ms':>8}{'p95 ms':>8}{'CPU ms':>8}{'/ static':>10}"
                  f"{'SQL':>5}{'conns':>6}")
            for name, url in (("home", "/"), ("lesson 2 (cached)", "/lessons/2"),
                              ("challenge sigma", "/challenges/sigma")):
                p50, p95, cpu = _timed(client.get, url, N_PAGES)
                sql, conns = counts.of(client.get, url)
                print(f"{name:<20}{p50 * 1e3:>8.1f}{p95 * 1e3:>8.1f}{cpu * 1e3:>8.1f}"
                      f"{p50 / peer:>9.1f}x{sql:>5}{conns:>6}")
            print(f"{'static app.css':<20}{peer * 1e3:>8.1f}{'':>8}{peer_cpu * 1e3:>8.1f}")
            print(_load())


if __name__ == "__main__":
    main()
