"""Thin ctypes wrappers for the Linux calls the sandbox needs (stdlib only): prctl, unshare,
mount, setns and capabilities. Each raises OSError naming the call when the kernel refuses."""

from __future__ import annotations

import contextlib
import ctypes
import os

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECUREBITS, PR_SET_CHILD_SUBREAPER, PR_CAP_AMBIENT = 28, 36, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECURE_LOCKED_NOROOT = 0xE3  # NOROOT, NO_CAP_AMBIENT_RAISE and KEEP_CAPS off, each locked
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = (0x08000000, 0x10000000, 0x20000000,
                                                            0x40000000)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
_CAP_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def prctl(option: int, value: int = 0, arg3: int = 0) -> int:
    return _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(arg3),
                              ctypes.c_ulong(0), ctypes.c_ulong(0)), f"prctl({option})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(ctypes.c_int(fd), ctypes.c_int(nstype)), "setns")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


TMP_BYTES = 64 * 2**20
SHM_BYTES = 16 * 2**20
_NODEV_NOSUID = MS_NOSUID | MS_NODEV


def _mounts_below(folder: str) -> list[str]:
    """The outermost mount points strictly below ``folder`` (from /proc/self/mountinfo)."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(folder + "/"):
                points.append(point)
    points.sort(key=len)
    outer: list[str] = []
    for point in points:
        if not any(point.startswith(o + "/") or point == o for o in outer):
            outer.append(point)
    return outer


def fresh_tmp() -> None:
    """In a new mount namespace: a private copy of the file system with its own size-capped
    /tmp and /dev/shm (what a job writes dies with its namespace). Read-only binds that live
    under /tmp (a checkout or virtualenv there, as in a CI clone) are bound again on top."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    kept = [(point, os.open(point, os.O_PATH | os.O_CLOEXEC)) for point in _mounts_below("/tmp")]
    mount("tmpfs", "/tmp", "tmpfs", _NODEV_NOSUID, f"size={TMP_BYTES},mode=1777")
    for point, fd in kept:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(point, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(point), mode=0o755, exist_ok=True)
            open(point, "a").close()
        mount(f"/proc/self/fd/{fd}", point, None, MS_BIND | MS_REC)
        mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _mount_flags(point))
        os.close(fd)
    with contextlib.suppress(OSError):  # a template without /dev/shm
        mount("tmpfs", "/dev/shm", "tmpfs", _NODEV_NOSUID | MS_NOEXEC,
              f"size={SHM_BYTES},mode=1777")


# statvfs flag -> mount flag (a remount must keep the flags the kernel locked on the original)
_STATVFS_TO_MS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC,
                  os.ST_NOATIME: 1024, os.ST_NODIRATIME: 2048, os.ST_RELATIME: 1 << 21}


def _mount_flags(path: str) -> int:
    flags, result = os.statvfs(path).f_flag, MS_NOSUID | MS_NODEV
    for st, ms in _STATVFS_TO_MS.items():
        if flags & st:
            result |= ms
    return result


def fresh_proc() -> None:
    """As the first process of a new pid namespace: its own /proc, with /proc/sys read-only."""
    flags = _NODEV_NOSUID | MS_NOEXEC
    mount("proc", "/proc", "proc", flags)
    mount("/proc/sys", "/proc/sys", None, MS_BIND | MS_REC)
    mount(None, "/proc/sys", None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid: int | None = None, gid: int | None = None) -> None:
    """Become ``uid``/``gid`` (when given) with no capability left: the bounding and ambient
    sets are emptied and "root has no privileges" is locked before the switch, the effective,
    permitted and inheritable sets cleared after it, so nothing this process or its children
    run can regain a capability (not even by exec as uid 0)."""
    for cap in range(64):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            break  # past the last capability this kernel knows (EINVAL), or none to drop
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    # Needs CAP_SETPCAP; a process without it has nothing to regain anyway.
    with contextlib.suppress(OSError):
        prctl(PR_SET_SECUREBITS, SECURE_LOCKED_NOROOT)
    if gid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
    if uid is not None:
        os.setresuid(uid, uid, uid)
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def capabilities() -> int:
    """The effective capability mask of this process (from /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0
