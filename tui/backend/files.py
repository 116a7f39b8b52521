"""Safe, bounded, read-only access to the files Docker keeps for a container.

Files are opened with ``O_NOFOLLOW|O_NONBLOCK|O_NOCTTY`` and must be regular files after
``fstat`` (no FIFOs, sockets or device nodes); at most ``max_bytes`` are read.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
from dataclasses import dataclass

from .model import DiskFile

MAX_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class FileView:
    """What the viewer shows for one file."""

    path: str
    text: str
    size: int
    truncated: bool
    source: str
    error: str = ""


def _kind(name: str) -> str:
    if name.endswith(".json"):
        return "json"
    if name.endswith("-json.log") or name.endswith(".log"):
        return "log"
    return "text"


def list_container_dir(cdir: str) -> tuple[DiskFile, ...]:
    """Entries of ``<DockerRootDir>/containers/<id>/`` with sizes (lstat), sorted by name.

    Raises ``PermissionError`` for a non-root user (the directory is ``drwx--x---``).
    """
    out = []
    with os.scandir(cdir) as it:
        for e in it:
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                out.append(DiskFile(e.name + "/", e.path, None, "dir"))
            elif stat.S_ISREG(st.st_mode):
                out.append(DiskFile(e.name, e.path, st.st_size, _kind(e.name)))
    return tuple(sorted(out, key=lambda f: (f.kind == "dir", f.name)))


def _read_bounded(path: str, max_bytes: int, tail: bool) -> tuple[bytes, int]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"not a regular file: {path}")
        size = st.st_size
        if tail and size > max_bytes:
            os.lseek(fd, size - max_bytes, os.SEEK_SET)
        chunks, left = [], max_bytes
        while left > 0:
            b = os.read(fd, min(left, 65536))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks), size
    finally:
        os.close(fd)


def format_json_log(data: bytes) -> str:
    """json-file log lines (``{"log":…,"stream":…,"time":…}``) as ``time stream text`` lines."""
    out = []
    for raw in data.splitlines():
        try:
            rec = json.loads(raw)
            out.append(f"{rec.get('time', '')[:23]} {rec.get('stream', ''):6} "
                       f"{str(rec.get('log', '')).rstrip(chr(13) + chr(10))}")
        except (ValueError, AttributeError):
            out.append(raw.decode("utf-8", "replace"))
    return "\n".join(out)


def read_container_file(path: str, kind: str, max_bytes: int = MAX_BYTES) -> FileView:
    """Read one container file for display: pretty JSON, a log tail, or plain text."""
    name = os.path.basename(path)
    tail = kind == "log"
    source = f"tail -c {max_bytes} {shlex.quote(path)}" if tail else f"cat {shlex.quote(path)}"
    try:
        data, size = _read_bounded(path, max_bytes, tail)
    except PermissionError:
        return FileView(path, "", 0, False, source,
                        error=f"needs root: {path} is readable by root only")
    except OSError as exc:
        return FileView(path, "", 0, False, source, error=f"cannot read {path}: {exc.strerror or exc}")
    truncated = size > len(data)
    if tail and truncated:
        data = data[data.find(b"\n") + 1:]  # drop the partial first line
    if kind == "json" and not truncated:
        try:
            text = json.dumps(json.loads(data), indent=2, sort_keys=True, ensure_ascii=False)
            source = f"jq . {shlex.quote(path)}"
        except ValueError:
            text = data.decode("utf-8", "replace")
    elif kind == "log" and name.endswith("-json.log"):
        text = format_json_log(data)
    else:
        text = data.decode("utf-8", "replace")
    return FileView(path, text, size, truncated, source)
