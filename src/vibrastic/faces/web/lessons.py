"""Lesson pages for the web face: cached pages, and one background thread that executes lessons.

A lesson that is not cached yet is shown at once without outputs while a single worker thread
executes it (one lesson at a time: the machine has few cores); the page then reloads. Web
processes sharing a cache folder (``classroom serve --processes N``) execute a lesson once: the
others wait for it and show its page.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vibrastic.platform.course import Course, Lesson
from vibrastic.platform.course.render import LessonCache, LessonPage, unexecuted_page

log = logging.getLogger(__name__)


@dataclass
class BuildState:
    """Where a lesson's execution stands: ``queued``, ``running``, ``done`` or ``failed``."""

    state: str
    queued_at: float
    started_at: float | None = None
    error: str | None = None
    future: Future[None] | None = None


class LessonPages:
    """Cached lesson pages keyed by content hash, built in the background on first view."""

    def __init__(self, course: Course, cache_dir: Path, *, quick: bool = False) -> None:
        self.course = course
        self.cache = LessonCache(cache_dir)
        self.quick = quick
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lesson-build")
        self._lock = threading.Lock()
        self._states: dict[str, BuildState] = {}
        self._keys: dict[str, tuple[float, str]] = {}

    def key(self, lesson: Lesson) -> str:
        """The lesson's content hash, recomputed when its file changes (mtime)."""
        mtime = lesson.path.stat().st_mtime
        known = self._keys.get(lesson.name)
        if known and known[0] == mtime:
            return known[1]
        key = self.cache.key(lesson, quick=self.quick)
        self._keys[lesson.name] = (mtime, key)
        return key

    def page(self, lesson: Lesson, *, build: bool = True) -> tuple[LessonPage, BuildState | None]:
        """The executed page when cached; else the page without outputs (and a build starts)."""
        key = self.key(lesson)
        cached = self.cache.load(key)
        state = self._states.get(lesson.name)
        if cached is not None and (state is None or state.state in ("done", "failed")):
            return cached, state
        if build:
            state = self.schedule(lesson)
        return cached or unexecuted_page(lesson, quick=self.quick), state

    def schedule(self, lesson: Lesson, *, again: bool = False) -> BuildState:
        """Queue an execution of ``lesson`` unless one is queued or running already;
        ``again``: even when another process has just built it ("run again")."""
        with self._lock:
            state = self._states.get(lesson.name)
            if state and state.state in ("queued", "running"):
                return state
            state = BuildState("queued", time.time())
            self._states[lesson.name] = state
        state.future = self._pool.submit(self._build, lesson, state, again)
        return state

    def state(self, lesson: Lesson) -> BuildState | None:
        return self._states.get(lesson.name)

    def _build(self, lesson: Lesson, state: BuildState, again: bool = False) -> None:
        state.state, state.started_at = "running", time.time()
        try:
            self.cache.root.mkdir(parents=True, exist_ok=True)
            with open(self.cache.root / f"{lesson.name}.lock", "w") as lock:
                # another process building this lesson holds the lock: wait, then use its page
                fcntl.flock(lock, fcntl.LOCK_EX)
                page = None if again else self.cache.load(self.key(lesson))
                if page is None:
                    page = self.cache.build(lesson, quick=self.quick)
        except Exception as exc:  # a broken lesson must not kill the worker thread
            log.exception("executing lesson %s failed", lesson.ref)
            state.state, state.error = "failed", f"{type(exc).__name__}: {exc}"
            return
        self._keys.pop(lesson.name, None)
        state.state, state.error = "done", page.error

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
