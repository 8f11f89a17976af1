"""The grader: sends a submission to the sandbox, then judges the observations it gets back.

The verdict is decided here, in the grader's process, from plain JSON data: what the submission's
probes returned and printed, compared with what the reference solution's probes returned and printed
(computed once per challenge version in a separate sandbox run and cached). Nothing the submission
prints, returns or writes can mark a test as passed except the right values.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Mapping
from pathlib import Path

from vibrastic.platform.course.challenge import Challenge, get_challenge
from vibrastic.platform.grader.launch import (
    FALLBACK_WARNING,
    SandboxError,
    Supervisor,
    isolation_mode,
)
from vibrastic.platform.grader.results import GradeResult, Limits, TestResult, cap
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


def _well_formed(events: list[dict], token: str, probes: int) -> bool:
    """The observer's records must carry the job's token and come in protocol order: one "load",
    then observations 0, 1, 2, … each once, then "end". Anything else means the submission wrote
    to the results channel itself, and the attempt is void."""
    expected = 0
    seen_load = seen_end = False
    for e in events:
        kind = e.get("event")
        if e.get("token") != token or seen_end:
            return False
        if kind == "load" and not seen_load and expected == 0:
            seen_load = True
        elif kind == "obs" and seen_load and e.get("index") == expected and expected < probes:
            expected += 1
        elif kind == "end" and seen_load:
            seen_end = True
        else:
            return False
    return True


def _limit_from_error(error: dict) -> str | None:
    """Exceptions that mean a limit was hit inside the observer (MemoryError, fork failing, …)."""
    kind, message = error.get("type", ""), error.get("message", "")
    if kind in ("MemoryError", "_ArrayMemoryError") or "can't allocate memory" in message:
        return "memory"
    if kind == "OutputLimit":
        return "output"
    if kind == "BlockingIOError" and error.get("errno") == 11:
        return "processes"
    if kind == "OSError" and error.get("errno") == 27:  # EFBIG: file too large
        return "fsize"
    return None


def _describe_error(error: dict, limits: Limits) -> str:
    limit = _limit_from_error(error)
    if limit:
        return f"stopped by the {limits.describe(limit)}: {error['type']}"
    kind, message = error["type"], error["message"]
    text = f"{kind}{error.get('where', '')}: {message}"
    if kind == "NotImplementedError":
        return f"not written yet — {message or 'the starter still raises NotImplementedError'}"
    if kind == "NameError":
        return text + " (is the name spelled as in the statement, and defined at the top level?)"
    if kind == "RecursionError":
        return text + " (does the function call itself without ever stopping?)"
    return text


_live: weakref.WeakSet[Grader] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Stop warm sandboxes (and remove their cgroups and temporary folders) at exit."""
    for grader in list(_live):
        grader.close()


class Grader:
    """Grades submissions. ``warm=True`` keeps one sandbox running with numpy and torch imported,
    forking a fresh observer per submission (fast); otherwise every submission gets a fresh sandbox.
    """

    def __init__(self, warm: bool = False, mode: str | None = None) -> None:
        self.warm = warm
        self.mode = mode or isolation_mode()
        self._supervisor: Supervisor | None = None
        self._lock = threading.RLock()
        self._expected: dict[str, list[dict]] = {}
        _live.add(self)

    # -- sandbox management
    def start(self) -> None:
        """Start the warm sandbox now (otherwise it starts on the first submission)."""
        with self._lock:
            if self.warm and (self._supervisor is None or not self._supervisor.alive):
                if self._supervisor is not None:
                    self._supervisor.close()  # its cgroup and temporary folder
                self._supervisor = Supervisor(WARM_PRELOAD, PROCESS_LIMIT, self.mode)
                try:
                    self._supervisor.start()
                except SandboxError as exc:
                    self._supervisor = None
                    raise GraderError(str(exc)) from exc

    def close(self) -> None:
        with self._lock:
            if self._supervisor is not None:
                self._supervisor.close()
                self._supervisor = None

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sandbox_label(self) -> str:
        return "bubblewrap" if self.mode == "bubblewrap" else "process (not a security boundary)"

    def _observe(self, challenge: Challenge, source: str, probes: list[dict],
                 files: Mapping[str, bytes] | None = None
                 ) -> tuple[list[dict], dict | None, Limits]:
        with self._lock:
            if self.warm:
                self.start()
                supervisor = self._supervisor
                assert supervisor is not None
            else:
                supervisor = Supervisor((), PROCESS_LIMIT, self.mode)
                try:
                    supervisor.start()
                except SandboxError as exc:
                    raise GraderError(str(exc)) from exc
            try:
                limits = limits_for(challenge, supervisor.process_limit)
                job = _job(challenge, source, probes, limits, files)
                events, done = supervisor.run(job)
            finally:
                if not self.warm:
                    supervisor.close()
            if not _well_formed(events, job["token"], len(probes)):
                done = dict(done or {}, tampered=True)
            return events, done, limits

    # -- expected values from the reference solution
    def expected(self, challenge: Challenge) -> list[dict]:
        """The reference solution's observations for every probe (cached per challenge version)."""
        key = f"{challenge.name}-{challenge.fingerprint}"
        if key in self._expected:
            return self._expected[key]
        cache_file = home_dir() / "cache" / f"expected-{key}.json"
        try:
            data = json.loads(cache_file.read_text())
            self._expected[key] = data
            return data
        except (OSError, ValueError):
            pass
        needed = [getattr(c.check, "needs_reference", True) for c in challenge.cases]
        probes = [{"code": c.code} if need else {"code": "None"}
                  for c, need in zip(challenge.cases, needed, strict=True)]
        reference_files = getattr(challenge, "reference_files", None)  # a project stage's
        events, done, _ = self._observe(challenge, challenge.reference, probes, reference_files)
        observed = {e["index"]: e for e in events if e.get("event") == "obs"}
        data = []
        for i, case in enumerate(challenge.cases):
            obs = observed.get(i)
            if obs is None or obs.get("error"):
                why = obs["error"] if obs else (done or {}).get("limit", "no observation")
                raise GraderError(f"challenge {challenge.name}: the reference solution fails "
                                  f"probe {case.name!r}: {why}")
            data.append({"value": obs["value"], "stdout": obs["stdout"]})
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(cache_file)
        self._expected[key] = data
        return data

    # -- grading
    def grade(self, challenge: Challenge | str, source: str, *, hidden: bool = True,
              files: Mapping[str, bytes] | None = None) -> GradeResult:
        """Grade ``source`` against ``challenge``'s tests (hidden ones too unless ``hidden``
        is False). ``files``: a package submitted with it (see ``package_payload``)."""
        if isinstance(challenge, str):
            challenge = get_challenge(challenge)
        source = source.removeprefix("\ufeff")  # a byte-order mark is not code
        started = time.perf_counter()
        expected = self.expected(challenge)
        chosen = [(i, c) for i, c in enumerate(challenge.cases) if hidden or not c.hidden]
        probes = [{"code": c.code} for _, c in chosen]
        events, done, limits = self._observe(challenge, source, probes, files)
        result = judge(challenge, chosen, expected, events, done, limits)
        result.hidden_run = hidden
        result.sandbox = self.sandbox_label
        result.seconds = round(time.perf_counter() - started, 4)
        return result


def judge(challenge: Challenge, chosen: list, expected: list[dict], events: list[dict],
          done: dict | None, limits: Limits) -> GradeResult:
    """Turn the sandbox's observations into a verdict. Pure function of plain data: trusted."""
    load = next((e for e in events if e.get("event") == "load"), None)
    observed: dict[int, dict] = {}
    for e in events:
        if e.get("event") == "obs" and isinstance(e.get("index"), int):
            observed.setdefault(e["index"], e)  # the first report of a probe counts
    tampered = bool((done or {}).get("tampered"))
    limit = (done or {}).get("limit")
    if limit not in (None, "timeout", "cpu", "memory", "processes", "output", "fsize"):
        limit = None
    output = (load or {}).get("stdout", "") if load else ""
    raw = (done or {}).get("output", "")
    if raw:
        output += raw
    result = GradeResult(challenge=challenge.name, status="fail", score=0.0,
                         max_score=float(sum(c.points for _, c in chosen)),
                         output=cap(_clean(output)), limits=limits)
    if load and load.get("error") and load["error"]["type"] in ("SyntaxError", "IndentationError",
                                                                 "TabError"):
        err = load["error"]
        result.status = "error"
        result.message = f"{err['type']}{err.get('where', '')}: {err['message']}"
        result.tests = [TestResult(c.name, "not run", 0.0, float(c.points), c.hidden)
                        for _, c in chosen]
        return result
    load_problem = None
    if load and load.get("error"):
        load_problem = "your file raised " + _describe_error(load["error"], limits)
    stopped_at = None
    probe_limit = None  # the first limit a probe hit inside the observer (before any kill)
    for position, (i, case) in enumerate(chosen):
        obs = observed.get(position)
        test = TestResult(case.name, "fail", 0.0, float(case.points), case.hidden)
        if obs is None and probe_limit:
            test.status = "not run"
            test.message = f"not run: an earlier test hit the {limits.describe(probe_limit)}"
        elif obs is None:
            if stopped_at is None:
                stopped_at = position
                test.status = "error"
                if limit:
                    test.message = f"stopped by the {limits.describe(limit)}"
                elif done is None:
                    test.message = "the sandbox stopped answering (was its supervisor killed?)"
                else:
                    sig = done.get("signal")
                    test.message = ("the process ended before this test"
                                    + (f" (signal {sig})" if sig else "")
                                    + (f" (exit code {done.get('exit_code')})"
                                       if done.get("exit_code") not in (0, None) and not sig
                                       else ""))
            else:
                test.status = "not run"
                test.message = "not run: an earlier test stopped the run"
        elif obs.get("error"):
            test.status = "error"
            test.message = _describe_error(obs["error"], limits)
            probe_limit = probe_limit or _limit_from_error(obs["error"])
            if load_problem and obs["error"]["type"] == "NameError":
                test.message = load_problem
        else:
            problem = case.check(obs, expected[i])
            if problem is None:
                test.status, test.points = "pass", case.points
            else:
                probe = case.code.strip()
                test.message = f"{probe}: {problem}" if "\n" not in probe and len(probe) < 60 \
                    else problem
        if obs is not None and not case.hidden:
            test.output = cap(_clean(obs.get("stdout", "")))
        if case.hidden and test.status != "pass":
            test.message = "hidden test failed" + (
                f": {test.message}" if test.message.startswith("stopped by") else
                " (its inputs are not shown; try the edge cases the statement mentions)")
        elif test.status != "pass":
            test.hint = case.hint
        result.tests.append(test)
    result.score = float(sum(t.points for t in result.tests))
    limit = probe_limit or limit
    if limit:
        result.limit_exceeded = limit
        result.status = "error"
        result.message = f"stopped by the {limits.describe(limit)}"
    elif done is None:
        result.status = "error"
        result.message = "the sandbox stopped answering (was its supervisor killed?)"
    elif all(t.passed for t in result.tests):
        result.status = "pass"
    elif stopped_at is not None:
        result.status = "error"
        result.message = result.tests[stopped_at].message
    else:
        result.status = "fail"
        result.message = load_problem or ""
    if tampered:
        result.status, result.score = "error", 0.0
        for test in result.tests:
            test.status, test.points = ("error", 0.0) if test.status == "pass" else (
                test.status, test.points)
        result.message = ("the submission wrote to the grader's results channel: "
                          "this attempt is void")
    return result


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    """Drop terminal control characters from a learner's output before anyone renders it."""
    return _CONTROL.sub("", text)


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

