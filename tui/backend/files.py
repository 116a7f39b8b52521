"""Safe, bounded, read-only access to the files Docker keeps for a container.

Files are opened with ``O_NOFOLLOW|O_NONBLOCK|O_NOCTTY`` and must be regular files after
``fstat`` (no FIFOs, sockets or device nodes); at most ``max_bytes`` are read.
"""

from __future__ import annotations

import json
import os
import shlex
import stat

from .collect import Context, SourceState, Unavailable
from .model import DiskFile, FileRequest, FileView
from .procfs import read_fd

MAX_BYTES = 512 * 1024


def _kind(name: str) -> str:
    if name.endswith(".json"):
        return "json"
    if name.endswith("-json.log") or name.endswith(".log"):
        return "log"
    return "text"


def list_container_dir(cdir: str, open_dir: str | None = None) -> tuple[DiskFile, ...]:
    """Entries of ``<DockerRootDir>/containers/<id>/`` with sizes (lstat), sorted by name.

    ``open_dir`` is where to read it (a fixture tree); paths in the result stay under ``cdir``.
    Raises ``PermissionError`` for a non-root user (the directory is ``drwx--x---``).
    """
    out = []
    with os.scandir(open_dir or cdir) as it:
        for e in it:
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            path = os.path.join(cdir, e.name)
            if stat.S_ISDIR(st.st_mode):
                out.append(DiskFile(e.name + "/", path, None, "dir"))
            elif stat.S_ISREG(st.st_mode):
                out.append(DiskFile(e.name, path, st.st_size, _kind(e.name)))
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
        return read_fd(fd, max_bytes), size
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


def read_container_file(path: str, kind: str, max_bytes: int = MAX_BYTES,
                        open_path: str | None = None) -> FileView:
    """Read one container file for display: pretty JSON, a log tail, or plain text.

    ``open_path`` is where to read it (a fixture tree); the view names ``path``.
    """
    name = os.path.basename(path)
    tail = kind == "log"
    source = f"tail -c {max_bytes} {shlex.quote(path)}" if tail else f"cat {shlex.quote(path)}"
    try:
        data, size = _read_bounded(open_path or path, max_bytes, tail)
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


def _container_dir(ctx: Context) -> tuple[str, str]:
    """The selected container's directory on the host, and where to open it."""
    c = ctx.selected
    if c is None or c.detail is None:
        raise Unavailable("waiting for docker inspect")
    cdir = c.detail.container_dir.value
    if not cdir:
        raise Unavailable("the engine did not report the container's directory")
    root = ctx.engine.docker_root_dir.value if ctx.engine is not None else ""
    return cdir, ctx.paths.in_docker_root(cdir, root)


def collect_disk_files(ctx: Context, state: SourceState) -> tuple[DiskFile, ...]:
    """The files the engine keeps for the selected container, with sizes: its directory, and
    its log's directory when that is another one (Podman splits them between ``/run`` and
    ``/var/lib``)."""
    cdir, where = _container_dir(ctx)
    try:
        files = list_container_dir(cdir, where)
    except PermissionError:
        raise Unavailable(f"needs root: {cdir} is readable by root only (ls -l {shlex.quote(cdir)})") from None
    except FileNotFoundError:
        raise Unavailable(f"{cdir} not found on this host") from None
    except OSError as exc:
        raise OSError(f"cannot list {cdir}: {exc.strerror or exc}") from None
    assert ctx.selected is not None and ctx.selected.detail is not None
    log_dir = os.path.dirname(ctx.selected.detail.log_path)
    if log_dir and log_dir != cdir:
        root = ctx.engine.docker_root_dir.value if ctx.engine is not None else ""
        try:
            files += list_container_dir(log_dir, ctx.paths.in_docker_root(log_dir, root))
        except OSError:  # the container's own directory is listed; its log's is a bonus
            pass
    return files


def collect_file(ctx: Context, state: SourceState) -> FileView:
    """Read one file the last listing named (on demand; never any other path)."""
    req = ctx.arg
    if not isinstance(req, FileRequest):
        raise Unavailable("no file asked for")
    listed = {f.path for f in ctx.value("disk_files", ())}
    if req.path not in listed:
        return FileView(req.path, "", 0, False, f"cat {shlex.quote(req.path)}",
                        error="not one of the selected container's files")
    root = ctx.engine.docker_root_dir.value if ctx.engine is not None else ""
    return read_container_file(req.path, req.kind, open_path=ctx.paths.in_docker_root(req.path, root))
