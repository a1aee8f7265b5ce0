"""WriteBehind: ordered writes in their own thread, a fixed set of buffers, a failing writer ends the stream."""

from __future__ import annotations

import threading

import pytest

from kpy.streams.writebehind import Inline, WriteBehind


def test_everything_is_written_in_order_across_sinks_and_buffers() -> None:
    out: list[tuple[str, bytes]] = []
    behind = WriteBehind(8, count=2)
    for i in range(50):
        buf = behind.take()
        buf[:4] = i.to_bytes(4, "big")
        behind.put(lambda d: out.append(("out", bytes(d))), buf[:2])
        behind.put(lambda d: out.append(("err", bytes(d))), buf[2:4])
        behind.put(lambda d: out.append(("out", bytes(d))), b"!")  # bytes, not from a buffer
        behind.release(buf)
    behind.close()
    want = []
    for i in range(50):
        raw = i.to_bytes(4, "big")
        want += [("out", raw[:2]), ("err", raw[2:]), ("out", b"!")]
    assert out == want


def test_consecutive_writes_to_one_sink_are_one_call_in_order() -> None:
    out: list[bytes] = []
    err: list[bytes] = []
    behind = WriteBehind(16, count=2)
    buf = behind.take()
    buf[:6] = b"abcdef"
    behind.put(out.append, buf[0:2])
    behind.put(out.append, buf[2:4])
    behind.put(err.append, buf[4:5])
    behind.put(out.append, buf[5:6])
    behind.release(buf)
    behind.close()
    assert [bytes(x) for x in out] == [b"abcd", b"f"]
    assert [bytes(x) for x in err] == [b"e"]


def test_memory_is_bounded_by_the_buffers_it_was_given() -> None:
    """However much goes through, only ``count`` buffers of ``size`` bytes ever exist (reused)."""
    behind = WriteBehind(1024, count=3)
    seen: set[int] = set()
    written = 0

    def sink(data: bytes | memoryview) -> None:
        nonlocal written
        written += len(data)

    for _ in range(200):
        buf = behind.take()
        assert len(buf) == 1024
        seen.add(id(buf.obj))
        behind.put(sink, buf)
        behind.release(buf)
    behind.close()
    assert written == 200 * 1024
    assert len(seen) <= 3


def test_a_failing_writer_stops_the_writes_and_the_receiver_gets_its_error() -> None:
    written: list[bytes] = []

    def sink(data: bytes | memoryview) -> None:
        if bytes(data) == b"3":
            raise BrokenPipeError("the reader went away")
        written.append(bytes(data))

    behind = WriteBehind(4, count=2)
    with pytest.raises(BrokenPipeError):
        for i in range(1000):  # the receiver cannot go on for long: take() or release() raises
            buf = behind.take()
            buf[:1] = str(i % 10).encode()
            behind.put(sink, buf[:1])
            behind.release(buf)
    assert written == [b"0", b"1", b"2"]  # nothing after the failure: no gap in the output
    with pytest.raises(BrokenPipeError):
        behind.close()


def test_a_receiver_waiting_for_a_buffer_wakes_up_when_the_writer_fails() -> None:
    go = threading.Event()

    def sink(_data: bytes | memoryview) -> None:
        go.wait()
        raise OSError("disk full")

    behind = WriteBehind(4, count=2)
    for _ in range(2):  # both buffers in flight, the writer stuck in the first
        buf = behind.take()
        behind.put(sink, buf)
        behind.release(buf)
    go.set()
    with pytest.raises(OSError, match="disk full"):
        behind.take()  # would block forever without the failure's wake-up


def test_close_raises_an_error_of_the_last_writes() -> None:
    def sink(_data: bytes | memoryview) -> None:
        raise OSError("no space left on device")

    behind = WriteBehind(4, count=2)
    behind.put(sink, b"tail")  # queued but not released: close writes it
    with pytest.raises(OSError, match="no space"):
        behind.close()


def test_abandon_does_not_wait_for_a_stuck_writer() -> None:
    stuck = threading.Event()
    release = threading.Event()
    written: list[bytes] = []

    def sink(data: bytes | memoryview) -> None:
        stuck.set()
        release.wait()
        written.append(bytes(data))

    behind = WriteBehind(4, count=2)
    behind.put(sink, b"a")
    behind.release(None)
    behind.put(sink, b"b")
    behind.release(None)
    assert stuck.wait(10)
    behind.abandon()
    behind.close()  # returns at once although the writer is stuck
    release.set()
    behind._thread.join(10)
    assert written == [b"a"]  # what was still queued is dropped


def test_it_needs_two_buffers() -> None:
    with pytest.raises(ValueError):
        WriteBehind(4, count=1)


def test_inline_writes_at_once_in_the_calling_thread_from_one_buffer() -> None:
    out: list[tuple[bytes, str]] = []
    inline = Inline(8)
    first = inline.take()
    first[:3] = b"abc"
    inline.put(lambda d: out.append((bytes(d), threading.current_thread().name)), first[:3])
    assert out == [(b"abc", threading.current_thread().name)]  # before release: nothing is deferred
    inline.release(first)
    assert inline.take().obj is first.obj
    inline.close()
