"""The web course: page render p50/p95 (home, a cached lesson, a challenge) and a check's round
trip through the JSON API (POST check -> job done -> GET verdict), in-process (Starlette's test
client, no network). Peer: the static file app.css served by the same app in the same run, so
the ratio says how much more a page costs than the cheapest response. Targets from the issue:
pages < 50 ms p50, a plain check < 0.5 s end to end.
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
            for url in ("/", "/lessons/2", "/challenges/sigma", "/static/app.css"):
                _time(client.get, url, 3)  # warm up
            peer = _percentiles(_time(client.get, "/static/app.css", N_PAGES))[0]
            print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'p50 / static file':>20}")
            for name, url in (("home", "/"), ("lesson 2 (cached)", "/lessons/2"),
                              ("challenge sigma", "/challenges/sigma")):
                p50, p95 = _percentiles(_time(client.get, url, N_PAGES))
                print(f"{name:<22}{p50 * 1e3:>9.1f}{p95 * 1e3:>9.1f}{p50 / peer:>19.1f}x")
            print(f"{'static app.css (peer)':<22}{peer * 1e3:>9.1f}")

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


if __name__ == "__main__":
    main()
