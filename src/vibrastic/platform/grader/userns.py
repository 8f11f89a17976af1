"""Start bubblewrap as root without giving the sandbox root (stdlib only; run as a script).

A sandbox started by root with ``bwrap --unshare-user`` maps its uid to host root: its files
and ``/proc/sys`` are then root's to write. Instead, this launcher (run by a root grader, never
inside a sandbox) creates a user namespace whose uids 0‥65535 are the unprivileged host uids
``base``‥``base+65535`` — host root is not mapped at all — and runs bubblewrap inside it. The
sandbox's init then has capabilities only over its own namespaces, and the supervisor can give
the learner's process a uid different from its own (as CMS isolate does).

Paths the unprivileged uids cannot reach (an interpreter under ``/root``, mode 0700) are first
bind-mounted, in a mount namespace private to this launch, onto a staging folder they can reach.

    python -I -B userns.py CONFIG_JSON        # {"base", "stage", "binds": [[src, dest], ...],
                                              #  "argv": [bwrap args before the binds],
                                              #  "command": [after the binds]}
"""

from __future__ import annotations

import ctypes
import json
import os
import stat
import sys

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
SPAN = 65536
libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def user_namespace(base: int) -> int:
    """A new user namespace mapping 0‥SPAN-1 to base‥base+SPAN-1; returns an fd for setns."""
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the namespace's first member only holds it until we opened it
        try:
            _check(libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
            os.write(ready_w, b"1")
            os.read(go_r, 1)
        finally:
            os._exit(0)
    os.close(ready_w)
    os.close(go_r)
    try:
        if os.read(ready_r, 1) != b"1":
            raise OSError("could not create a user namespace")
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(f"0 {base} {SPAN}\n")
        return os.open(f"/proc/{pid}/ns/user", os.O_RDONLY)
    finally:
        os.write(go_w, b"1")
        os.waitpid(pid, 0)


def reachable(path: str) -> bool:
    """Whether a uid that is neither owner nor group could reach and read ``path``."""
    parts = os.path.abspath(path).split("/")
    for i in range(2, len(parts) + 1):
        mode = os.stat("/".join(parts[:i]) or "/").st_mode
        need = stat.S_IXOTH if stat.S_ISDIR(mode) else stat.S_IROTH
        if not mode & need:
            return False
    return True


def stage(binds: list[list[str]], folder: str) -> list[list[str]]:
    """Bind the unreachable sources onto ``folder``/N (in a private mount namespace)."""
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    # A tmpfs of our own over the staging folder: the mount points made below never touch the
    # host's file system.
    _check(libc.mount(b"tmpfs", folder.encode(), b"tmpfs", 0, b"mode=755,size=1m"),
           "tmpfs on the staging folder")
    out = []
    for number, (source, dest) in enumerate(binds):
        if os.path.exists(source) and not reachable(source):
            target = os.path.join(folder, str(number))
            if os.path.isdir(source):
                os.makedirs(target, mode=0o755, exist_ok=True)
            else:
                open(target, "a").close()
            os.chmod(target, 0o755)
            _check(libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None),
                   f"bind {source}")
            source = target
        out.append([source, dest])
    return out


def main(config: dict) -> None:
    binds = stage(config["binds"], config["stage"])
    userns = user_namespace(int(config["base"]))
    os.setgroups([])
    _check(libc.setns(userns, CLONE_NEWUSER), "setns(user)")
    os.close(userns)
    os.setresgid(0, 0, 0)  # host gid base, uid base: nobody on the host
    os.setresuid(0, 0, 0)
    argv = list(config["argv"])
    for source, dest in binds:
        argv += ["--ro-bind", source, dest]
    os.execv(argv[0], argv + list(config["command"]))  # an absolute path: no lookups now


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
