"""The logs collector's pure parts: frames, lines, timestamps, what a later read adds, bounds."""

from __future__ import annotations

import struct

from tui.backend.logs import MAX_LINE_CHARS, LogBuffer, parse_lines, split_frames
from tui.backend.model.logs import MAX_LINES, LogLine, LogView, since_arg, stamp_ns
from tui.backend.serial import from_jsonable, to_jsonable

T1 = "2026-12-04T09:58:58.678408106Z"
T2 = "2026-12-04T09:58:58.881681388Z"


def frame(kind: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", kind, len(payload)) + payload


def test_frames_tell_stdout_from_stderr_and_keep_a_cut_frame_back() -> None:
    data = frame(1, f"{T1} out 1\n".encode()) + frame(2, f"{T2} err 1\n".encode())
    cut = frame(1, b"2026-12-04T09:58:59Z partial\n")[:-5]
    frames, rest = split_frames(data + cut)
    assert [s for s, _ in frames] == ["stdout", "stderr"]
    assert rest == cut
    lines = parse_lines(frames)
    assert [(stamp, stream, text) for _, stamp, stream, text in lines] == [
        (T1, "stdout", "out 1"), (T2, "stderr", "err 1")]
    assert lines[0][0] < lines[1][0]


def test_lines_of_a_tty_stream_blank_lines_and_bad_bytes() -> None:
    body = f"{T1} hi\r\n{T1} \r\n{T2} \xff\xfe bytes\r\nno stamp here\n".encode("latin-1")
    lines = parse_lines([("tty", body)])
    assert [(s, t) for _, _, s, t in lines] == [("tty", "hi"), ("tty", ""), ("tty", "\ufffd\ufffd bytes"),
                                                ("tty", "no stamp here")]
    assert lines[-1][:2] == (0, "")


def test_timestamps_docker_podman_and_offsets() -> None:
    assert stamp_ns(T1) == 1796378338_678408106
    assert stamp_ns("2026-12-04T09:59:05Z") == 1796378345_000000000
    assert stamp_ns("2026-12-04T11:59:05.5+02:00") == 1796378345_500000000
    assert stamp_ns("not a time") == 0
    assert since_arg(1796378345_000000001) == "1796378345.000000001"


def raw(ns: int, stream: str, text: str) -> tuple[int, str, str, str]:
    return (ns, f"t{ns}", stream, text)


def test_a_later_read_adds_only_what_is_new_at_the_inclusive_boundary() -> None:
    buf = LogBuffer()
    assert buf.take([raw(1, "stdout", "a"), raw(2, "stdout", "b"), raw(2, "stderr", "b")]) == 3
    assert buf.last_ns == 2
    # ``since`` is inclusive: the lines stamped 2 come back, with a new one of the same instant
    assert buf.take([raw(2, "stderr", "b"), raw(2, "stdout", "b"), raw(2, "stdout", "b"), raw(3, "stdout", "c")]) == 2
    assert [(l.seq, l.stream, l.text) for l in buf.lines] == [
        (1, "stdout", "a"), (2, "stdout", "b"), (3, "stderr", "b"), (4, "stdout", "b"), (5, "stdout", "c")]
    assert buf.take([raw(1, "stdout", "a"), raw(3, "stdout", "c")]) == 0  # older and already seen


def test_whole_second_stamps_podman_repeats_a_line_in_the_same_second() -> None:
    buf = LogBuffer()
    buf.take([raw(5, "stdout", "ping")])
    assert buf.take([raw(5, "stdout", "ping"), raw(5, "stdout", "ping")]) == 1
    assert [l.text for l in buf.lines] == ["ping", "ping"]


def test_memory_is_bounded_and_what_was_let_go_is_counted() -> None:
    buf = LogBuffer()
    buf.take(raw(n, "stdout", f"line {n}") for n in range(1, MAX_LINES + 251))
    assert len(buf.lines) == MAX_LINES
    assert buf.dropped == 250
    assert buf.lines[0].text == "line 251" and buf.lines[-1].seq == MAX_LINES + 250
    buf.take([raw(10**6, "stdout", "x" * (MAX_LINE_CHARS + 10))])
    assert len(buf.lines[-1].text) == MAX_LINE_CHARS and buf.lines[-1].more == 10


def test_a_view_goes_to_json_and_back() -> None:
    v = LogView("abc", (LogLine(1, T1, "stderr", "[bold]x\x1b[31m"),), "docker logs --timestamps --tail 1000 web",
                "json-file", False, 3, 1, 42, True)
    assert from_jsonable(LogView, to_jsonable(v)) == v
