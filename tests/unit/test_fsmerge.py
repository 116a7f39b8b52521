"""The merged view computed from layer directories, on trees built here the way overlayfs and
Docker's overlay2 driver write them (internals.md §5.3): whiteouts as 0:0 character devices,
opaque directories by xattr (``trusted.overlay.opaque``; ``user.overlay.opaque`` as a rootless
engine writes it), escaping symlinks, a FIFO. Needs root for ``mknod`` and ``trusted.*``."""

from __future__ import annotations

import os
import stat
from collections import OrderedDict
from pathlib import Path

import pytest

from tui.backend.fsmerge import changes, hexdump, list_merged, preview, visible_names

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a whiteout and trusted.* xattrs need root")


def whiteout(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def layers(tmp: Path, opaque_attr: bytes = b"trusted.overlay.opaque") -> list[tuple[str, str]]:
    """base: bin/sh, etc/passwd, data/opq/a.txt, opt/doomed.txt, opt/keep.txt, links out, a FIFO;
    image:1 deletes opt/doomed.txt and makes data/opq opaque with new.txt;
    rw: edits opt/keep.txt, adds hello.world, deletes bin/sh."""
    base, mid, rw = tmp / "base", tmp / "mid", tmp / "rw"
    for d in (base / "bin", base / "etc", base / "data" / "opq", base / "opt", mid / "opt", mid / "data" / "opq",
              rw / "opt", rw / "bin"):
        d.mkdir(parents=True, exist_ok=True)
    (base / "bin" / "sh").write_bytes(b"\x7fELF\0\0binary")
    (base / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (base / "data" / "opq" / "a.txt").write_text("a\n")
    (base / "opt" / "doomed.txt").write_text("doomed\n")
    (base / "opt" / "keep.txt").write_text("keep\n")
    os.symlink("/etc/shadow", base / "etc" / "abs-escape")
    os.symlink("../../../../etc/shadow", base / "etc" / "rel-escape")
    os.mkfifo(base / "etc" / "fifo")
    whiteout(mid / "opt" / "doomed.txt")
    os.setxattr(mid / "data" / "opq", opaque_attr, b"y")
    (mid / "data" / "opq" / "new.txt").write_text("fresh\n")
    (rw / "opt" / "keep.txt").write_text("keep\nchanged\n")
    (rw / "hello.world").write_text("")
    whiteout(rw / "bin" / "sh")
    return [("rw", str(rw)), ("image:1", str(mid)), ("image:0", str(base))]


@pytest.mark.parametrize("attr", [b"trusted.overlay.opaque", b"user.overlay.opaque"])
def test_merged_view_statuses(tmp_path, attr: bytes) -> None:
    ls = layers(tmp_path, attr)
    root = {e.name: e for e in list_merged(ls, "/").entries}
    assert root["hello.world"].layer == "rw" and root["hello.world"].status == "added"
    assert root["etc"].layer == "image:0" and root["etc"].status == ""  # the base's own
    assert root["opt"].status == "modified" and root["opt"].lower_copies == 2
    opt = {e.name: e for e in list_merged(ls, "/opt").entries}
    assert opt["doomed.txt"].status == "deleted" and opt["doomed.txt"].layer == "image:1"
    assert opt["keep.txt"].status == "modified" and opt["keep.txt"].layer == "rw"
    sh = {e.name: e for e in list_merged(ls, "/bin").entries}["sh"]
    assert sh.status == "deleted" and sh.layer == "rw"
    data = {e.name: e for e in list_merged(ls, "/data").entries}
    assert data["opq"].opaque and data["opq"].layer == "image:1"
    opq = {e.name: e for e in list_merged(ls, "/data/opq").entries}
    assert opq["new.txt"].status == "added" and opq["new.txt"].layer == "image:1"
    assert opq["a.txt"].status == "deleted" and opq["a.txt"].layer == "image:1"  # hidden by the opaque dir
    d = list_merged(ls, "/data/opq")
    assert d.layers == ("image:1",)  # the opaque layer ends the stack for this directory


def test_changes_are_docker_diff(tmp_path) -> None:
    ls = layers(tmp_path)
    got, total = changes(ls[0][1], ls[1:])
    assert [(c.path, c.kind) for c in got] == [("/bin", "C"), ("/bin/sh", "D"), ("/hello.world", "A"),
                                               ("/opt", "C"), ("/opt/keep.txt", "C")]
    assert total == 5
    assert "doomed.txt" not in visible_names(ls[1:], "/opt")  # deleted by image:1
    assert visible_names(ls[1:], "/data/opq") == {"new.txt"}  # a.txt hidden by the opaque dir


def test_links_are_shown_never_followed_and_specials_never_opened(tmp_path) -> None:
    ls = layers(tmp_path)
    etc = {e.name: e for e in list_merged(ls, "/etc").entries}
    assert etc["abs-escape"].kind == "link" and etc["abs-escape"].link == "/etc/shadow"
    p = preview(ls, "/etc/rel-escape", {})
    assert p.kind == "link" and p.link == "../../../../etc/shadow" and not p.text
    p = preview(ls, "/etc/fifo", {})
    assert p.kind == "fifo" and "never opened" in p.note and not p.text
    p = preview(ls, "/etc/passwd", {})
    assert p.text.startswith("root:x:0:0") and p.layer == "image:0" and p.layer_path.endswith("base/etc/passwd")
    p = preview(ls, "/opt/keep.txt", {})
    assert p.layer == "rw" and p.text == "keep\nchanged\n"
    with pytest.raises(FileNotFoundError):
        preview(ls, "/opt/doomed.txt/../../etc/passwd", {})
    with pytest.raises(OSError):
        list_merged(ls, "/etc/../../..")
    gone = preview(ls, "/bin/sh", {})  # deleted in the writable layer: its whiteout, nothing below
    assert gone.kind == "whiteout" and gone.layer == "rw" and not gone.text and not gone.hexdump
    sh = preview([x for x in ls if x[0] != "rw"], "/bin/sh", {})
    assert sh.hexdump.startswith("00000000: 7f45 4c46 0000") and not sh.text


def test_a_path_through_a_symlinked_directory_is_not_followed(tmp_path) -> None:
    """A layer that puts a link where a directory was: the directory is gone from the merged
    view at that layer, and nothing is read through the link (it could point at the host)."""
    ls = layers(tmp_path)
    os.symlink("/etc", Path(ls[0][1]) / "data")  # rw: data -> /etc (the host's, if it were followed)
    d = list_merged(ls, "/data")
    assert all(e.status == "deleted" for e in d.entries)
    with pytest.raises(FileNotFoundError):
        preview(ls, "/data/passwd", {})


def test_immutable_layers_are_listed_once(tmp_path) -> None:
    ls = layers(tmp_path)
    cache: OrderedDict = OrderedDict()
    first = list_merged(ls, "/opt", cache=cache, immutable=frozenset({"image:0", "image:1"}))
    assert len(cache) == 2
    (Path(ls[2][1]) / "opt" / "late.txt").write_text("")  # an image layer never changes: not seen
    (Path(ls[0][1]) / "opt" / "new.txt").write_text("")  # the writable layer is read each time
    again = list_merged(ls, "/opt", cache=cache, immutable=frozenset({"image:0", "image:1"}))
    names = {e.name for e in again.entries}
    assert "new.txt" in names and "late.txt" not in names and len(again.entries) == len(first.entries) + 1


def test_hexdump_layout() -> None:
    assert hexdump(b"ABC\x00\xff") == "00000000: 4142 4300 ff" + " " * 29 + "ABC.."  # columns as xxd's
    assert hexdump(bytes(range(16))).startswith("00000000: 0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ")


def test_layer_summaries_and_wasted_space(tmp_path) -> None:
    from tui.backend.fsmerge import layer_summary
    ls = layers(tmp_path)
    top, mid, base = (layer_summary(ls, i, 1) for i in range(3))
    assert (top.added, top.modified, top.deleted) == (1, 3, 1)  # hello.world; /bin, /opt, keep.txt; bin/sh
    assert top.wasted == 0  # the container's layer: nothing above it in the image
    assert (mid.added, mid.deleted) == (1, 2)  # new.txt; doomed.txt and a.txt (under the opaque dir)
    # the base's doomed.txt (7 B) and data/opq/a.txt (2 B) are deleted by image:1: wasted in the image;
    # keep.txt is overwritten only by the writable layer, which is not the image's
    assert base.wasted == len("doomed\n") + len("a\n")
    assert base.size == sum(len(x) for x in (b"\x7fELF\0\0binary", b"root:x:0:0:root:/root:/bin/sh\n", b"a\n",
                                             b"doomed\n", b"keep\n")) + len("/etc/shadow") + len("../../../../etc/shadow")


def test_a_directory_as_it_was_is_handed_back_unchanged(tmp_path) -> None:
    """While a directory is as it was, the same listing object comes back (the tab then redraws
    nothing for it): without reading it again while only image layers hold it, after comparing
    when the container's layer holds it; a change, and its undoing, are seen."""
    from tui.backend.fsview import _listing
    ls = layers(tmp_path)
    mutable, image = ls[:1], frozenset({"image:1", "image:0"})
    kept: dict = {}
    first = _listing(ls, mutable, "/etc", {}, OrderedDict(), image, kept)
    assert _listing(ls, mutable, "/etc", {}, OrderedDict(), image, kept) is first
    (Path(ls[0][1]) / "etc").mkdir()
    (Path(ls[0][1]) / "etc" / "new").write_text("")
    changed = _listing(ls, mutable, "/etc", {}, OrderedDict(), image, kept)
    assert changed is not first and "new" in {e.name for e in changed.entries}
    assert _listing(ls, mutable, "/etc", {}, OrderedDict(), image, kept) is changed
    (Path(ls[0][1]) / "etc" / "new").unlink()
    (Path(ls[0][1]) / "etc").rmdir()
    back = _listing(ls, mutable, "/etc", {}, OrderedDict(), image, kept)
    assert "new" not in {e.name for e in back.entries} and back == first


def test_a_big_log_is_previewed_from_its_end_other_files_from_their_start(tmp_path) -> None:
    from tui.backend.fsmerge import PREVIEW_BYTES, is_log
    ls = layers(tmp_path)
    rw = Path(ls[0][1])
    (rw / "var" / "log").mkdir(parents=True)
    lines = [f"line {i}" for i in range(30000)]
    body = "\n".join(lines) + "\n"
    assert len(body) > PREVIEW_BYTES
    (rw / "var" / "log" / "app.log").write_text(body)
    (rw / "opt" / "big.txt").write_text(body)
    log = preview(ls, "/var/log/app.log", {})
    assert log.tail and log.truncated and log.text.endswith("line 29999\n")
    assert log.text.split("\n", 1)[0] in lines  # starts on a whole line
    big = preview(ls, "/opt/big.txt", {})
    assert not big.tail and big.truncated and big.text.startswith("line 0\n")
    (rw / "var" / "log" / "small.log").write_text("a\nb\n")
    small = preview(ls, "/var/log/small.log", {})
    assert small.tail and not small.truncated and small.text == "a\nb\n"  # whole, still shown from its end
    assert [is_log(p) for p in ("/x/app.log", "/x/app.log.1", "/var/log/messages", "/srv/logs/x", "/etc/logo.png",
                                "/etc/passwd")] == [True, True, True, True, False, False]
