"""The grader: sends a submission to a fresh sandbox, then judges the observations it gets back.

The verdict is decided here, in the grader's process, by ``judge`` from plain JSON data: what the
submission's probes returned and printed, compared with what the reference solution's probes
returned and printed (computed once per challenge version in a fresh sandbox of its own, checked
for protocol order and cached with a digest). Nothing the submission prints, returns or writes can
mark a test as passed except the right values.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import json
import os
import random
import re
import secrets
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from vibrastic.platform.course.challenge import Challenge, get_challenge
from vibrastic.platform.grader.judge import Observations, judge, well_formed
from vibrastic.platform.grader.launch import (
    FALLBACK_WARNING,
    INSIDE,
    SandboxError,
    Template,
    isolation_mode,
)
from vibrastic.platform.grader.results import GradeResult, Limits, TestResult
from vibrastic.platform.paths import home_dir

WARM_PRELOAD = ("numpy", "torch", "vibrastic")
OUTPUT_LIMIT = 256 * 1024
FSIZE_LIMIT = 1 * 2**20
PROCESS_LIMIT = 64
MAX_SOURCE_BYTES = 2**20  # a learner's file; anything bigger is refused before grading


class GraderError(RuntimeError):
    """The grader itself failed (a broken challenge, a sandbox that cannot start)."""


class SourceError(ValueError):
    """A learner's file that is not UTF-8 text (the message names the byte and the fix)."""


def decode_source(data: bytes, filename: str = "your file") -> str:
    """A file's bytes as text: UTF-8, a leading byte-order mark dropped (editors on Windows
    write one); anything else raises SourceError."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{filename} is not valid UTF-8 text (byte {data[exc.start]:#04x} "
                          f"at offset {exc.start}); save it as UTF-8") from None


def unreadable_result(challenge: Challenge | str, message: str, *, hidden: bool = True,
                      sandbox: str = "") -> GradeResult:
    """The error verdict for a file that could not be read as source (nothing ran)."""
    if isinstance(challenge, str):
        challenge = get_challenge(challenge)
    chosen = [c for c in challenge.cases if hidden or not c.hidden]
    return GradeResult(
        challenge=challenge.name, status="error", score=0.0,
        max_score=float(sum(c.points for c in chosen)),
        tests=[TestResult(c.name, "not run", 0.0, float(c.points), c.hidden) for c in chosen],
        message=message, limits=limits_for(challenge, PROCESS_LIMIT), hidden_run=hidden,
        sandbox=sandbox)


def limits_for(challenge: Challenge, processes: int | None) -> Limits:
    return Limits(time=challenge.time_limit, cpu=int(challenge.time_limit) + 1,
                  memory=challenge.memory_mb * 2**20, processes=processes,
                  output=OUTPUT_LIMIT, fsize=FSIZE_LIMIT)


PACKAGE_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_.-]*)*$")
PACKAGE_MAX_FILES = 64
PACKAGE_MAX_BYTES = 2**20


def package_payload(files: Mapping[str, bytes]) -> dict[str, str]:
    """Check a submitted package (relative path -> bytes) and encode it for the job (base64).

    A project stage submits the learner's whole package (``mygrad/*.py``) instead of one source;
    the sandbox writes it next to the submission, read-only, and puts it on ``sys.path``.
    Raises ValueError naming the bad path or the size that was exceeded.
    """
    if len(files) > PACKAGE_MAX_FILES:
        raise ValueError(f"the package has {len(files)} files; at most {PACKAGE_MAX_FILES} "
                         "are graded")
    total = 0
    for rel, data in files.items():
        if not PACKAGE_PATH.match(rel) or "/../" in f"/{rel}/" or "/./" in f"/{rel}/":
            raise ValueError(f"bad path {rel!r} in the package: expected a relative path "
                             "like mygrad/value.py")
        total += len(data)
    if total > PACKAGE_MAX_BYTES:
        raise ValueError(f"the package holds {total} bytes; at most {PACKAGE_MAX_BYTES} "
                         "are graded")
    return {rel: base64.b64encode(data).decode("ascii") for rel, data in sorted(files.items())}


def _job(challenge: Challenge, source: str, probes: list[dict], limits: Limits,
         files: Mapping[str, bytes] | None = None) -> dict:
    job = {
        "token": secrets.token_hex(16),
        "source": source,
        "basename": challenge.filename,
        "probes": probes,
        "limits": {"time": limits.time, "cpu": limits.cpu, "memory": limits.memory,
                   "output": limits.output, "fsize": limits.fsize, "processes": limits.processes},
    }
    if files:
        job["files"] = package_payload(files)
    return job


_live: weakref.WeakSet[Grader] = weakref.WeakSet()
_HARNESS = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(INSIDE.glob("*.py"))))


@atexit.register
def _close_all() -> None:
    """Stop sandbox templates (and remove their folders) at exit."""
    for grader in list(_live):
        grader.close()


class Grader:
    """Grades submissions, each (and each reference run) in a fresh sandbox forked from a
    template. ``warm=True`` keeps the template running with numpy and torch imported (fast);
    otherwise a template is started for each grading (importing only what the challenge
    ``uses``) and stopped after it. ``nice`` (0–19) lowers the sandboxes' CPU priority, so a
    grader that shares a host with a web server leaves the pages their CPU first.
    """

    def __init__(self, warm: bool = False, mode: str | None = None, nice: int = 0) -> None:
        self.warm = warm
        self.mode = mode or isolation_mode()
        self.nice = nice
        self._template: Template | None = None
        self._lock = threading.RLock()
        self._expected: dict[str, list[dict]] = {}
        _live.add(self)

    # -- sandbox management
    def _new_template(self, preload: tuple[str, ...]) -> Template:
        template = Template(preload, self.mode, nice=self.nice)
        try:
            template.start()
        except SandboxError as exc:
            raise GraderError(str(exc)) from exc
        return template

    def start(self) -> None:
        """Start the warm template now (otherwise it starts on the first submission)."""
        with self._lock:
            if self.warm and (self._template is None or not self._template.alive):
                if self._template is not None:
                    self._template.close()
                self._template = None
                self._template = self._new_template(WARM_PRELOAD)

    def close(self) -> None:
        with self._lock:
            if self._template is not None:
                self._template.close()
                self._template = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sandbox_label(self) -> str:
        return "bubblewrap" if self.mode == "bubblewrap" else "process (not a security boundary)"

    @contextlib.contextmanager
    def _session(self, challenge: Challenge) -> Iterator[Template]:
        """The template to fork jobs from: the warm one, or a fresh one for this grading (with
        the heavy modules the challenge uses imported, so they do not count against its time)."""
        with self._lock:
            if self.warm:
                self.start()
                assert self._template is not None
                yield self._template
                return
            template = self._new_template(tuple(getattr(challenge, "uses", ())))
            try:
                yield template
            finally:
                template.close()

    def _observe(self, template: Template, challenge: Challenge, source: str,
                 probes: list[dict], files: Mapping[str, bytes] | None = None
                 ) -> tuple[list[dict], dict, Limits]:
        """Run one job in a fresh sandbox; (observer records, the supervisor's done, limits).
        Raises GraderError when the sandbox failed (not the submission's doing)."""
        limits = limits_for(challenge, PROCESS_LIMIT)
        job = _job(challenge, source, probes, limits, files)
        try:
            run = template.run(job)
        except SandboxError as exc:
            template.close()  # restarted on the next grading
            raise GraderError(str(exc)) from exc
        if run.done is None:
            raise GraderError("the job's sandbox stopped answering")
        done = dict(run.done)
        if (run.oom and done.get("limit") in (None, "timeout", "cpu")) or (
                run.memory_full and done.get("limit") in ("timeout", "cpu")):
            done["limit"] = "memory"  # the cgroup killed it, or it thrashed at the limit
        if not well_formed(run.records, job["token"], len(probes)):
            done["tampered"] = True
        return run.records, done, limits

    # -- expected values from the reference solution
    def _cache_key(self, challenge: Challenge) -> str:
        digest = _HARNESS.copy()
        digest.update(str(challenge.fingerprint).encode())
        return f"{challenge.name}-{digest.hexdigest()[:16]}"

    def _cached(self, key: str, path: Path) -> list[dict] | None:
        """The cached expected values if the file is ours and intact, else None."""
        try:
            stored = json.loads(path.read_text())
            data = stored["data"]
            intact = stored["key"] == key and stored["sha256"] == hashlib.sha256(
                json.dumps(data, sort_keys=True).encode()).hexdigest()
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return data if intact and isinstance(data, list) else None

    def expected(self, challenge: Challenge, template: Template | None = None) -> list[dict]:
        """The reference solution's observations for every probe, from a fresh sandbox and a
        well-formed run only (cached per challenge and harness version, verified on load)."""
        key = self._cache_key(challenge)
        if key in self._expected:
            return self._expected[key]
        cache_file = home_dir() / "cache" / f"expected-{key}.json"
        data = self._cached(key, cache_file)
        if data is None:
            if template is None:
                with self._session(challenge) as session:
                    data = self._reference_run(challenge, session)
            else:
                data = self._reference_run(challenge, template)
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache_file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            tmp.write_text(json.dumps({"key": key, "sha256": digest, "data": data}))
            tmp.replace(cache_file)
        self._expected[key] = data
        return data

    def _reference_run(self, challenge: Challenge, template: Template,
                       codes: list[tuple[Any, str]] | None = None) -> list[dict]:
        """The reference's observations of ``codes`` ((case, probe code) pairs; default: every
        case's fixed probe, and a placeholder for the cases whose inputs vary per attempt)."""
        if codes is None:
            codes = [(c, "None" if getattr(c, "vary", None) or not getattr(
                c.check, "needs_reference", True) else c.code) for c in challenge.cases]
        probes = [{"code": code} for _, code in codes]
        reference_files = getattr(challenge, "reference_files", None)  # a project stage's
        events, done, _ = self._observe(template, challenge, challenge.reference, probes,
                                        reference_files)
        if done.get("tampered"):
            raise GraderError(f"challenge {challenge.name}: the reference run's records are not "
                              "in protocol order")
        seen = Observations.read(events, done)
        data = []
        for i, (case, _) in enumerate(codes):
            obs = seen.probes.get(i)
            if obs is None or obs["error"]:
                why = obs["error"] if obs else done.get("limit") or "no observation"
                raise GraderError(f"challenge {challenge.name}: the reference solution fails "
                                  f"probe {case.name!r}: {why}")
            data.append({"value": obs["value"], "stdout": obs["stdout"]})
        return data

    def observe(self, challenge: Challenge, source: str, probes: list[str]
                ) -> tuple[list[dict], dict]:
        """Run ``probes`` next to ``source`` in a fresh sandbox and return the raw observer
        records and the supervisor's ``done`` (authoring tools and tests look at what the
        sandbox lets code do; verdicts come from ``grade``)."""
        with self._session(challenge) as template:
            events, done, _ = self._observe(template, challenge, source,
                                            [{"code": p} for p in probes])
        return events, done

    # -- grading
    def grade(self, challenge: Challenge | str, source: str, *, hidden: bool = True,
              files: Mapping[str, bytes] | None = None) -> GradeResult:
        """Grade ``source`` against ``challenge``'s tests (hidden ones too unless ``hidden``
        is False). ``files``: a package submitted with it (see ``package_payload``)."""
        if isinstance(challenge, str):
            challenge = get_challenge(challenge)
        source = source.removeprefix("\ufeff")  # a byte-order mark is not code
        started = time.perf_counter()
        chosen = [(i, c) for i, c in enumerate(challenge.cases) if hidden or not c.hidden]
        rng = random.Random(secrets.randbits(64))  # inputs of the varying cases, this attempt
        codes = [(c, c.probe(rng) if getattr(c, "vary", None) else c.code) for _, c in chosen]
        varying = [(position, pair) for position, pair in enumerate(codes)
                   if getattr(pair[0], "vary", None)]
        with self._session(challenge) as template, ThreadPoolExecutor(1) as pool:
            expected = list(self.expected(challenge, template))
            # The reference on this attempt's inputs runs in a sandbox of its own, meanwhile.
            fresh = pool.submit(self._reference_run, challenge, template,
                                [p for _, p in varying]) if varying else None
            events, done, limits = self._observe(
                template, challenge, source, [{"code": code} for _, code in codes], files)
            if fresh is not None:
                for (position, _), values in zip(varying, fresh.result(), strict=True):
                    expected[chosen[position][0]] = values
        result = judge(challenge, chosen, expected, events, done, limits)
        result.hidden_run = hidden
        result.sandbox = self.sandbox_label
        result.seconds = round(time.perf_counter() - started, 4)
        return result


_default: Grader | None = None
_default_lock = threading.Lock()


def default_grader() -> Grader:
    """The process-wide grader (cold unless ``warm_up()`` was called)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Grader()
        return _default


def warm_up() -> Grader:
    """Switch the process-wide grader to the warm path and start its sandbox now."""
    grader = default_grader()
    grader.warm = True
    grader.start()
    return grader


def grade_source(name: str, source: str, *, hidden: bool = True) -> GradeResult:
    """Grade ``source`` (the learner's whole file) against challenge ``name``."""
    return default_grader().grade(name, source, hidden=hidden)


def grade_file(name: str, path: str | os.PathLike[str], *, hidden: bool = True) -> GradeResult:
    """Grade the file at ``path``; a file that is not UTF-8 is an error verdict, not a crash."""
    return grade_bytes(name, Path(path).read_bytes(), Path(path).name, hidden=hidden)


def grade_bytes(name: str, data: bytes, filename: str, *, hidden: bool = True) -> GradeResult:
    """Grade a file's raw bytes (``filename`` only names it in messages)."""
    try:
        source = decode_source(data, filename)
    except SourceError as exc:
        return unreadable_result(name, str(exc), hidden=hidden,
                                 sandbox=default_grader().sandbox_label)
    return grade_source(name, source, hidden=hidden)


def sandbox_warning() -> str | None:
    """The one-time warning to show when grading is not isolated, else None."""
    return None if isolation_mode() == "bubblewrap" else FALLBACK_WARNING

