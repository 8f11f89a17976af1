"""Big temporaries without page faults: freed memory stays in the process for the next step.

Every eager op makes new arrays, and a training step of a wide layer makes and frees several
arrays of megabytes. glibc's malloc gives blocks that size back to the kernel (``munmap``, or by
trimming the heap once more than twice its mmap threshold lies free at the top), so the next
step takes a page fault for every 4 KiB it touches again. At 512 hidden units and batch 1024
that was more than half of an eager step: 8.5 ms against 3.1–3.8 ms, and 91,000 page faults
against 11,500 (``benchmarks/bench_compile.py --only grid``).

So at a process's first backward pass (training; a web server or grading worker that only
imports vibrastic keeps glibc's defaults) vibrastic sets glibc's thresholds once: blocks up to
``MMAP_THRESHOLD`` come from the heap, and up to ``TRIM_THRESHOLD`` of free heap stays mapped
for the next step. Larger arrays still go straight back to the kernel when freed, and freed
memory is reused by the next allocation, so what stays mapped is at most ``TRIM_THRESHOLD``
more than the program's peak. Setting ``VIBRASTIC_MALLOC=system`` in the environment keeps
glibc's own settings; on a C library other than glibc (macOS, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import os

MMAP_THRESHOLD = 32 << 20  # bytes: glibc's largest allowed value on 64-bit machines
TRIM_THRESHOLD = 64 << 20  # bytes of free heap kept mapped (twice the largest heap block)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)

asked = False  # whether this process has decided yet (at its first backward pass)
kept = False  # whether keep_freed_memory took effect in this process


def keep_freed_memory(mmap_threshold: int = MMAP_THRESHOLD,
                      trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Ask glibc's malloc to serve blocks up to ``mmap_threshold`` bytes from the heap and to
    keep up to ``trim_threshold`` bytes of it free for reuse. True if glibc took both."""
    global kept
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (only glibc has it, and mallopt's numbering)
    except (OSError, AttributeError):
        return False
    kept = bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)
                and libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold))
    return kept


def at_first_backward() -> None:
    """Keep freed memory from now on, unless ``VIBRASTIC_MALLOC=system`` says not to (the
    autograd engine calls this once per process)."""
    global asked
    asked = True
    if os.environ.get("VIBRASTIC_MALLOC", "") != "system":
        keep_freed_memory()
