"""A seccomp filter for the learner's process, built as a classic BPF program (stdlib only).

libseccomp's Python bindings are not on PyPI; the filter is small enough to assemble here: check
the architecture (an unknown one, or x32 calls on x86-64, kill the process), then return EPERM
(ENOSYS for ``clone3`` and io_uring, so libraries fall back) for the calls a submission never
needs and that widen the kernel's attack surface or reach other processes: ptrace and
process_vm_*, keyrings, bpf, perf, userfaultfd, mounting and namespaces (``unshare``, ``setns``,
``clone`` with a CLONE_NEW* flag), modules, kexec, reboot, swap, clock setting, ``prlimit64`` on
another process, and — when no memory cgroup accounts them — ``memfd_create`` and SysV ``shmget``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

# struct seccomp_data: nr (u32) @0, arch (u32) @4, instruction_pointer (u64) @8, args[6] (u64) @16
_NR, _ARCH, _ARG0_LO, _ARG0_HI = 0, 4, 16, 20
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_KILL_PROCESS, RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
CLONE_NS_FLAGS = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 \
    | 0x20000000 | 0x40000000  # NEWTIME NEWNS NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "mount", "umount2",
    "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "unshare", "setns", "swapon", "swapoff", "reboot", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "acct", "quotactl",
    "quotactl_fd", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "syslog",
    "iopl", "ioperm", "fanotify_init", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "sethostname", "setdomainname", "vhangup", "uselib", "ustat", "sysfs",
    "_sysctl", "create_module", "get_kernel_syms", "query_module", "nfsservctl",
    "memfd_secret",
)
UNAVAILABLE = ("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register")
UNACCOUNTED_MEMORY = ("memfd_create", "shmget")

#: (AUDIT_ARCH value, syscall numbers) per machine; x86-64's x32 calls have bit 30 set.
ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "keyctl": 250,
        "add_key": 248, "request_key": 249, "bpf": 321, "mount": 165, "umount2": 166,
        "pivot_root": 155, "chroot": 161, "swapon": 167, "swapoff": 168, "reboot": 169,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "unshare": 272, "setns": 308, "perf_event_open": 298,
        "userfaultfd": 323, "acct": 163, "quotactl": 179, "open_by_handle_at": 304,
        "name_to_handle_at": 303, "lookup_dcookie": 212, "syslog": 103, "iopl": 172,
        "ioperm": 173, "kcmp": 312, "pidfd_getfd": 438, "fanotify_init": 300,
        "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "settimeofday": 164, "clock_settime": 227,
        "clock_adjtime": 305, "adjtimex": 159, "sethostname": 170, "setdomainname": 171,
        "vhangup": 153, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "uselib": 134, "ustat": 136, "sysfs": 139, "_sysctl": 156,
        "create_module": 174, "get_kernel_syms": 177, "query_module": 178, "nfsservctl": 180,
        "clone": 56, "clone3": 435, "prlimit64": 302, "memfd_create": 319, "shmget": 29,
        "memfd_secret": 447, "quotactl_fd": 443,
    }),
    "aarch64": (0xC00000B7, {
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "keyctl": 219,
        "add_key": 217, "request_key": 218, "bpf": 280, "mount": 40, "umount2": 39,
        "pivot_root": 41, "chroot": 51, "swapon": 224, "swapoff": 225, "reboot": 142,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "unshare": 97, "setns": 268, "perf_event_open": 241,
        "userfaultfd": 282, "acct": 89, "quotactl": 60, "open_by_handle_at": 265,
        "name_to_handle_at": 264, "lookup_dcookie": 18, "syslog": 116, "kcmp": 272,
        "pidfd_getfd": 438, "fanotify_init": 262, "move_mount": 429, "open_tree": 428,
        "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
        "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171,
        "sethostname": 161, "setdomainname": 162, "vhangup": 58, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "nfsservctl": 42, "clone": 220,
        "clone3": 435, "prlimit64": 261, "memfd_create": 279, "shmget": 194,
        "memfd_secret": 447, "quotactl_fd": 443,
    }),
}


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def build_filter(machine: str | None = None, *, deny_unaccounted_memory: bool = True) -> bytes:
    """The BPF program (bytes of ``struct sock_filter``) for ``machine`` (default: this one)."""
    audit_arch, numbers = ARCHES[machine or platform.machine()]
    eperm, enosys = RET_ERRNO | errno.EPERM, RET_ERRNO | errno.ENOSYS
    prog = [_op(_LD_W_ABS, _ARCH), _op(_JEQ_K, audit_arch, 1, 0), _op(_RET_K, RET_KILL_PROCESS),
            _op(_LD_W_ABS, _NR)]
    if audit_arch == 0xC000003E:  # x32 system calls on x86-64: never ours
        prog += [_op(_JGE_K, 0x40000000, 0, 1), _op(_RET_K, RET_KILL_PROCESS)]
    rules = [(n, eperm) for n in DENIED] + [(n, enosys) for n in UNAVAILABLE]
    if deny_unaccounted_memory:
        rules += [(n, eperm) for n in UNACCOUNTED_MEMORY]
    for name, action in rules:
        if name in numbers:
            prog += [_op(_JEQ_K, numbers[name], 0, 1), _op(_RET_K, action)]
    # clone(flags, ...): no new namespaces. The accumulator is reloaded with nr afterwards.
    prog += [_op(_JEQ_K, numbers["clone"], 0, 4), _op(_LD_W_ABS, _ARG0_LO),
             _op(_JSET_K, CLONE_NS_FLAGS, 0, 1), _op(_RET_K, eperm), _op(_RET_K, RET_ALLOW)]
    # prlimit64(pid, ...): only on itself (pid 0), never on the supervisor.
    prog += [_op(_JEQ_K, numbers["prlimit64"], 0, 5), _op(_LD_W_ABS, _ARG0_LO),
             _op(_JEQ_K, 0, 0, 2), _op(_LD_W_ABS, _ARG0_HI), _op(_JEQ_K, 0, 1, 0),
             _op(_RET_K, eperm)]
    prog += [_op(_RET_K, RET_ALLOW)]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    return platform.system() == "Linux" and platform.machine() in ARCHES


def install(*, deny_unaccounted_memory: bool = True) -> None:
    """Set no_new_privs and load the filter into this process (inherited by its children).
    Raises OSError when the kernel refuses."""
    program = build_filter(deny_unaccounted_memory=deny_unaccounted_memory)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong,
                      ctypes.c_ulong]
    if prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
