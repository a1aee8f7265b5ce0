"""The resume core: boundary dedup, continuity proof and gap ranges; the line splitter; timestamps."""

from __future__ import annotations

import io

import pytest

from kpy.logs.render import Renderer, colour_of, use_colour
from kpy.logs.resume import Boundary, Cursor, Gap, LineSplitter
from kpy.logs.stamps import format_seconds, format_ts, parse_rfc3339, split_stamp

T = parse_rfc3339("2026-12-03T09:24:27.213191202Z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03T09:24:27.213191202Z", T),
        ("2026-12-03T09:24:27.2131912Z", T - 2),
        ("2026-12-03T10:24:27.213191202+01:00", T),
        ("2026-12-03T09:24:27Z", T - 213191202),
        ("1970-01-01T00:00:00Z", 0),
    ],
)
def test_parse_rfc3339(text: str, expected: int) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    "text", ["", "garbage", "2026-12-03 09:24:27Z", "2026-12-03T09:24:27", "2026-12-03T09:24:27.x1Z"]
)
def test_parse_rfc3339_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_formats() -> None:
    assert format_ts(T) == "2026-12-03T09:24:27.213191202Z"
    assert format_ts(T - 213191202) == "2026-12-03T09:24:27.000000000Z"
    assert format_seconds(T) == "2026-12-03T09:24:27Z"  # the second the line is in: rounding down keeps it


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"2026-12-03T09:24:27.213191202Z web line 1\n", (T, b"web line 1\n")),
        (b"2026-12-03T09:24:27.213191202Z \n", (T, b"\n")),
        (b"no stamp here\n", (None, b"no stamp here\n")),
        (b"2026-12-03T0", (None, b"2026-12-03T0")),  # cut by limitBytes inside the prefix
    ],
)
def test_split_stamp(line: bytes, expected: tuple[int | None, bytes]) -> None:
    assert split_stamp(line) == expected


# (printed timestamps, resumed stream timestamps, admitted, proven, gap)
BOUNDARY_CASES = [
    # the resumed stream repeats the boundary line: joined, only newer lines pass
    ([1, 2, 3], [3, 4, 5], [4, 5], True, None),
    # sinceTime is a whole second: older lines of that second come back and are dropped
    ([1, 2, 3], [1, 2, 3, 4], [4], True, None),
    # two lines printed at the same nanosecond, a third one with it is new
    ([1, 3, 3], [3, 3, 3, 4], [3, 4], True, None),
    # only one of the two same-time lines came back: not yet proven; the next new line reveals the gap
    ([1, 3, 3], [3, 4], [4], False, (3, 4)),
    # the boundary line is gone (rotated away): gap between the last printed and the first new line
    ([1, 2, 3], [7, 8], [7, 8], False, (3, 7)),
    # nothing new yet: no verdict either way
    ([1, 2, 3], [3], [], True, None),
    ([1, 2, 3], [], [], False, None),
    # nothing printed before: everything is new, nothing to prove
    ([], [1, 2], [1, 2], True, None),
]


@pytest.mark.parametrize(("printed", "resumed", "admitted", "proven", "gap"), BOUNDARY_CASES)
def test_boundary(
    printed: list[int], resumed: list[int], admitted: list[int], proven: bool, gap: tuple[int, int] | None
) -> None:
    cursor = Cursor()
    for ts in printed:
        cursor.printed(ts)
    boundary = cursor.boundary()
    passed = [ts for ts in resumed if boundary.admit(ts)]
    assert passed == admitted
    assert boundary.gap == gap
    if gap is None:
        assert boundary.proven == proven


def test_boundary_without_proof_expected_admits_newer_only() -> None:
    """A new container instance is read from its start: no proof expected, nothing already printed passes."""
    boundary = Boundary(5, 1, expect_proof=False)
    assert [ts for ts in (4, 5, 6) if boundary.admit(ts)] == [6]
    assert boundary.gap is None


def test_cursor_since_time() -> None:
    cursor = Cursor()
    assert cursor.since_time() is None
    cursor.printed(T)
    cursor.printed(None)  # an unstamped line does not move the boundary
    assert (cursor.since_time(), cursor.last, cursor.count, cursor.lines) == ("2026-12-03T09:24:27Z", T, 1, 2)


@pytest.mark.parametrize(
    ("chunks", "lines", "rest"),
    [
        ([b"a\nb", b"c\n"], [b"a\n", b"bc\n"], b""),
        ([b"a", b"", b"b"], [], b"ab"),
        ([b"a\n\nb\n", b"tail"], [b"a\n", b"\n", b"b\n"], b"tail"),
    ],
)
def test_line_splitter(chunks: list[bytes], lines: list[bytes], rest: bytes) -> None:
    splitter = LineSplitter()
    got = [line for chunk in chunks for line in splitter.feed(chunk)]
    assert (got, splitter.rest()) == (lines, rest)


def test_gap_message_and_json() -> None:
    gap = Gap("default", "web", "c", T, T + 1, "the log was rotated")
    assert gap.message() == (
        "kpy: possible gap in the logs of pod/web/c (namespace default) between "
        "2026-12-03T09:24:27.213191202Z and 2026-12-03T09:24:27.213191203Z: the log was rotated"
    )
    assert gap.as_json()["gap"]["to"] == "2026-12-03T09:24:27.213191203Z"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, b"hello\n"),
        ({"prefix": True}, b"[pod/web/c] hello\n"),
        ({"prefix": True, "timestamps": True}, b"[pod/web/c] 2026-12-03T09:24:27.213191202Z hello\n"),
        ({"prefix": True, "colour": True}, f"\x1b[{colour_of('web')}m[pod/web/c]\x1b[0m hello\n".encode()),
        (
            {"as_json": True, "prefix": True},
            b'{"namespace": "ns", "pod": "web", "container": "c", "time": "2026-12-03T09:24:27.213191202Z", '
            b'"line": "hello"}\n',
        ),
    ],
)
def test_renderer(options: dict[str, bool], expected: bytes) -> None:
    out, err = io.BytesIO(), io.StringIO()
    Renderer(out, err, **options).line("ns", "web", "c", T, b"hello\n")
    assert out.getvalue() == expected


def test_colour_only_on_a_tty_without_no_color() -> None:
    class Tty(io.BytesIO):
        def isatty(self) -> bool:
            return True

    assert use_colour(Tty(), {}) is True
    assert use_colour(Tty(), {"NO_COLOR": "1"}) is False
    assert use_colour(io.BytesIO(), {}) is False
    assert colour_of("web") == colour_of("web")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"level": "info", "msg": "ready"}\n', b"info ready\n"),
        (b"plain text\n", b"plain text\n"),  # not JSON: as it is
        (b'"a string"\n', b'"a string"\n'),  # JSON but no object
        (b'{"msg": "no level"}\n', b" no level\n"),  # a missing key is empty, as in kubectl
    ],
)
def test_renderer_jsonpath(line: bytes, expected: bytes) -> None:
    from kpy.jsonpath import parse

    out = io.BytesIO()
    Renderer(out, io.StringIO(), template=parse("{.level} {.msg}")).line("ns", "p", "c", None, line)
    assert out.getvalue() == expected
