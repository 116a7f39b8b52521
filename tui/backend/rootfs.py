"""Reading small files inside a container's root filesystem (``/proc/PID/root``) safely.

Every path component is resolved inside the root, as ``openat2(RESOLVE_IN_ROOT)`` would: an
absolute symlink restarts at the root (never the host's ``/``), ``..`` stops at the root, at
most 40 symlinks are followed, and only a regular file is read (never a FIFO, socket, device or
directory). Python has no ``openat2``, so this walks the components with ``O_PATH|O_NOFOLLOW``.
"""

from __future__ import annotations

import errno
import os
import stat

from .procfs import read_fd

MAX_LINKS = 40
_PATH = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


def _resolve(root_fd: int, path: str) -> int:
    """An ``O_PATH`` fd of ``path`` resolved inside the directory ``root_fd`` (caller closes)."""
    parts = [p for p in path.split("/") if p]
    stack = [os.dup(root_fd)]
    links = 0
    try:
        while parts:
            name = parts.pop(0)
            if name == ".":
                continue
            if name == "..":
                if len(stack) > 1:
                    os.close(stack.pop())
                continue
            fd = os.open(name, _PATH, dir_fd=stack[-1])
            st = os.fstat(fd)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(name, dir_fd=stack[-1])
                os.close(fd)
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, "too many symbolic links", path)
                if target.startswith("/"):
                    while len(stack) > 1:
                        os.close(stack.pop())
                parts[:0] = [p for p in target.split("/") if p]
                continue
            if parts and not stat.S_ISDIR(st.st_mode):
                os.close(fd)
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", path)
            stack.append(fd)
        return stack.pop()
    finally:
        for fd in stack:
            os.close(fd)


def read_in_root(root: str, path: str, limit: int = 65536) -> bytes:
    """At most ``limit`` bytes of ``path`` resolved inside ``root`` (see the module doc)."""
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fd = _resolve(root_fd, path)
    finally:
        os.close(root_fd)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file: {path}")
        rfd = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    finally:
        os.close(fd)
    try:
        again = os.fstat(rfd)
        if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(again.st_mode):
            raise OSError(errno.EINVAL, f"not a regular file: {path}")
        return read_fd(rfd, limit)
    finally:
        os.close(rfd)


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of os-release(5), values unquoted; comments and junk skipped."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        key, sep, value = line.partition("=")
        if not sep or not key or line.startswith("#") or not key.replace("_", "").isalnum():
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                value = _unescape(value)
        out[key] = value
    return out


def _unescape(value: str) -> str:
    """Backslash escapes inside a double-quoted os-release value (``\\"`` → ``"``)."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            i += 1
        out.append(value[i])
        i += 1
    return "".join(out)


def os_release(root: str) -> dict[str, str]:
    """The os-release of the root filesystem at ``root`` (``/etc``, else ``/usr/lib``)."""
    try:
        data = read_in_root(root, "/etc/os-release")
    except FileNotFoundError:
        data = read_in_root(root, "/usr/lib/os-release")
    return parse_os_release(data.decode("utf-8", "replace"))


def parse_passwd(text: str) -> dict[int, str]:
    """uid → name from /etc/passwd text; junk skipped; the first entry for a uid wins."""
    out: dict[int, str] = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[0] and f[2].isdigit():
            out.setdefault(int(f[2]), f[0])
    return out
