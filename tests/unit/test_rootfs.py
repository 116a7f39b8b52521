"""Reading inside a container's root: symlinks resolve inside it, never on the host."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tui.backend.rootfs import os_release, parse_os_release, parse_passwd, read_in_root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "usr" / "lib").mkdir(parents=True)
    (r / "etc").mkdir()
    (r / "usr" / "lib" / "os-release").write_text('PRETTY_NAME="Alpine Linux v3.20"\nID=alpine\n')
    (tmp_path / "secret").write_text("host secret")
    return r


def test_absolute_and_relative_symlinks_stay_inside(root: Path) -> None:
    (root / "etc" / "os-release").symlink_to("/usr/lib/os-release")
    assert os_release(str(root))["PRETTY_NAME"] == "Alpine Linux v3.20"
    (root / "etc" / "os-release").unlink()
    (root / "etc" / "os-release").symlink_to("../usr/lib/os-release")
    assert os_release(str(root))["ID"] == "alpine"


def test_escapes_resolve_inside_the_root(root: Path, tmp_path: Path) -> None:
    (root / "etc" / "evil").symlink_to(str(tmp_path / "secret"))      # absolute: the host's path
    (root / "etc" / "dots").symlink_to("../../../../../../secret")     # climbs past the root
    (root / "secret").write_text("the container's own")
    assert read_in_root(str(root), "/etc/dots") == b"the container's own"
    with pytest.raises(FileNotFoundError):
        read_in_root(str(root), "/etc/evil")
    assert read_in_root(str(root), "../../../secret") == b"the container's own"


def test_loops_fifos_and_directories_are_refused(root: Path) -> None:
    (root / "a").symlink_to("/b")
    (root / "b").symlink_to("/a")
    with pytest.raises(OSError) as exc:
        read_in_root(str(root), "/a")
    assert exc.value.errno == errno.ELOOP
    os.mkfifo(root / "fifo")
    with pytest.raises(OSError) as exc:
        read_in_root(str(root), "/fifo")  # refused without opening it (no block)
    assert exc.value.errno == errno.EINVAL
    with pytest.raises(IsADirectoryError):
        read_in_root(str(root), "/etc")
    with pytest.raises(FileNotFoundError):
        os_release(str(root / "etc"))


def test_limit_and_no_descriptor_leak(root: Path) -> None:
    (root / "big").write_bytes(b"x" * 100_000)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        assert len(read_in_root(str(root), "/big", limit=70_000)) == 70_000
        for bad in ("/nope", "/etc", "/big/x"):
            with pytest.raises(OSError):
                read_in_root(str(root), bad)
    assert len(os.listdir("/proc/self/fd")) == before


def test_parsers_skip_junk() -> None:
    text = '# c\nNAME="Debian \\"x\\" GNU"\nID=debian\nVERSION=\'12 (bookworm)\'\ngarbage\n=x\nBAD KEY=1\n'
    assert parse_os_release(text) == {"NAME": 'Debian "x" GNU', "ID": "debian", "VERSION": "12 (bookworm)"}
    pw = "root:x:0:0:root:/root:/bin/sh\nbad line\nnobody:x:65534:65534::/:/bin/false\ntoor:x:0:0::/:/bin/sh\n"
    assert parse_passwd(pw) == {0: "root", 65534: "nobody"}


def test_a_real_process_root_reads_like_the_host() -> None:
    assert os_release("/proc/self/root") == parse_os_release(Path("/etc/os-release").read_text())
