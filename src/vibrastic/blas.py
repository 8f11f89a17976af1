"""BLAS threads that never hurt: how many threads each matrix product may use.

NumPy hands matrix products to its BLAS (OpenBLAS in the wheels), which splits every product
above a small size over all cores. On a busy machine the extra thread waits for a core, and a
product of 50 µs can take 20 ms. So vibrastic gives a product one thread unless more threads were
seen to be faster for its shape, here, while a core is idle:

* below ``FLOOR`` multiply-adds a product always gets one thread (threads cost more than they
  save there; below ``UNTOUCHED`` BLAS libraries stay on one thread by themselves);
* a larger shape is timed on its first calls with one thread and with ``get_num_threads()``
  threads, alternately, and keeps the faster choice (cached per shape);
* a shape that got more threads is still timed: a call slower than the one-thread time sends it
  back to one thread, to be tried again after 16, 32, 64, ... calls;
* more threads are tried only while the load average leaves a core idle.

The numbers do not depend on the choice: OpenBLAS splits a product by rows and columns of the
result, so each element is summed in the same order whatever the thread count (tested).
Thread counts are set through threadpoolctl; without it, the BLAS keeps its own settings.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

FLOOR = 1 << 21  # multiply-adds (~50 µs on one core) below which one thread always wins
UNTOUCHED = 1 << 16  # BLAS libraries run products this small on one thread by themselves
TRIALS = 3  # timed calls with each choice before a shape is decided
adaptive = True  # False leaves thread counts to the BLAS (benchmarks compare both)

clock: Callable[[], float] = time.perf_counter


class _State:
    libraries: ClassVar[list[Any]] = []  # threadpoolctl's controllers of NumPy's BLAS
    ready = False
    current = 0  # threads the BLAS is set to now (0: unknown)
    most = 1  # get_num_threads()
    spare_checked = -math.inf
    spare = False
    tick = 0  # small products since the thread count was last read back


def matmul(x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x @ y`` on the BLAS thread count that pays off for this shape (into ``out`` if given:
    the same BLAS call, so the same bits)."""
    macs = x.size * y.shape[-1]
    if macs < UNTOUCHED or not adaptive:
        return np.matmul(x, y, out)
    if not _State.ready:
        _init()
    if macs < FLOOR or _State.most == 1:
        _State.tick += 1
        if not _State.tick & 255:  # now and then: someone else may have changed it
            _sync()
        if _State.current != 1:
            _use(1)
        return np.matmul(x, y, out)
    _sync()  # a big product: reading the count costs nothing next to it
    key = (x.shape, y.shape, x.dtype.char)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan()
    return plan.run(x, y, out)


def one_thread() -> None:
    """What ``matmul`` does before a product below ``FLOOR`` (one BLAS thread), done once for
    several such products in a row (vb.compile's generated code calls it, then ``np.matmul``)."""
    if not adaptive:
        return
    if not _State.ready:
        _init()
    _State.tick += 1
    if not _State.tick & 255:  # now and then: someone else may have changed it
        _sync()
    if _State.current != 1:
        _use(1)


class _Plan:
    """What one product shape has shown: its best times on one and on more threads."""

    __slots__ = ("backoff", "calls", "many", "one", "retry_at", "threads", "trials")

    def __init__(self) -> None:
        self.one = self.many = math.inf  # best seconds seen with one thread, with more
        self.trials = 2 * TRIALS  # timed calls left before deciding
        self.threads = 1
        self.calls = 0
        self.backoff = 16
        self.retry_at = 0

    def run(self, x: np.ndarray, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        self.calls += 1
        most = _State.most
        if not self.trials and self.threads == 1 and self.calls >= self.retry_at \
                and spare_core():  # time to see whether more threads pay off now
            self.trials, self.many = 2 * TRIALS, math.inf
        if self.trials:  # deciding: alternate one thread and `most` (while a core is idle)
            n = most if self.trials % 2 == 1 and spare_core() else 1
            out, seconds = _timed(x, y, n, out)
            self._note(n, seconds)
            self.trials -= 1
            if not self.trials:
                self.threads = most if self.many < 0.9 * self.one else 1
                self._retry_later()
            return out
        if self.threads > 1 and spare_core():
            out, seconds = _timed(x, y, self.threads, out)
            if seconds > 1.2 * self.one:  # slower than one thread: back to one, try later
                self.threads = 1
                self._retry_later()
            return out
        out, seconds = _timed(x, y, 1, out)
        self._note(1, seconds)
        return out

    def _note(self, threads: int, seconds: float) -> None:
        if threads == 1:
            self.one = min(self.one, seconds)
        else:
            self.many = min(self.many, seconds)

    def _retry_later(self) -> None:
        if self.threads == 1:
            self.retry_at = self.calls + self.backoff
            self.backoff = min(2 * self.backoff, 1 << 16)


_plans: dict[tuple[Any, ...], _Plan] = {}


def _timed(x: np.ndarray, y: np.ndarray, threads: int,
           out: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    _use(threads)
    start = clock()
    out = np.matmul(x, y, out)
    return out, clock() - start


def _use(threads: int) -> None:
    if _State.current != threads and _State.libraries:
        for lib in _State.libraries:
            lib.set_num_threads(threads)
        _State.current = threads


def _sync() -> None:
    """Read the BLAS's thread count back: code outside vibrastic (threadpoolctl's
    ``threadpool_limits``, say) may have changed it since vibrastic last set it."""
    try:
        _State.current = max(lib.num_threads for lib in _State.libraries) if \
            _State.libraries else _State.current
    except Exception:  # a BLAS that cannot say: set it before the next product
        _State.current = 0


def spare_core() -> bool:
    """Whether the 1-minute load average leaves a core idle (checked at most once a second)."""
    now = clock()
    if now - _State.spare_checked > 1.0:
        _State.spare_checked = now
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        try:
            _State.spare = os.getloadavg()[0] <= cores - 1
        except (AttributeError, OSError):  # no load average (Windows): assume a quiet machine
            _State.spare = True
    return _State.spare


def _init() -> None:
    """Find NumPy's BLAS through threadpoolctl, and remember its default thread count."""
    _State.ready = True
    try:
        from threadpoolctl import ThreadpoolController

        blas = ThreadpoolController().select(user_api="blas").lib_controllers
    except Exception:  # no threadpoolctl, or it cannot inspect this process: leave BLAS alone
        return
    numpy_libs = os.path.dirname(np.__file__) + ".libs"  # NumPy's wheel keeps its BLAS there
    own = [lib for lib in blas if lib.filepath.startswith((numpy_libs, np.__path__[0]))]
    _State.libraries = own or blas
    if _State.libraries:
        _State.most = max(lib.num_threads for lib in _State.libraries)
    _State.current = 0


def get_num_threads() -> int:
    """The most BLAS threads a matrix product may use (``torch.get_num_threads``)."""
    if not _State.ready:
        _init()
    return _State.most


def set_num_threads(threads: int) -> None:
    """Allow at most ``threads`` BLAS threads per product (``torch.set_num_threads``).

    Products still get one thread unless more were measured faster for their shape.
    """
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {threads!r}")
    if not _State.ready:
        _init()
    _State.most = threads
    _plans.clear()
