"""API server Warning headers: apimachinery's ParseWarningHeaders grammar and kubectl's deduplicating writer."""

from __future__ import annotations

import pytest

from kpy.rest.warnings import (
    WarningHeader,
    WarningWriter,
    format_warning_header,
    handle_warnings,
    parse_warning_headers,
)

DEPRECATED = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


@pytest.mark.parametrize(
    ("headers", "warnings", "errors"),
    [
        ([f'299 - "{DEPRECATED}"'], [(299, "-", DEPRECATED)], []),
        (['  299 - "padded"  '], [(299, "-", "padded")], []),
        (['299 kube-apiserver "with agent"'], [(299, "kube-apiserver", "with agent")], []),
        (['299 - "a \\"quoted\\" \\\\ word"'], [(299, "-", 'a "quoted" \\ word')], []),
        (['299 - "dated" "Wed, 21 Oct 2015 07:28:00 GMT"'], [(299, "-", "dated")], []),
        (
            ['299 - "one", 299 - "two" "date", 199 x "three"'],
            [(299, "-", "one"), (299, "-", "two"), (199, "x", "three")],
            [],
        ),
        (['299 - "first"', '299 - "second"'], [(299, "-", "first"), (299, "-", "second")], []),
        (['299 - "=?UTF-8?Q?caf=C3=A9?="'], [(299, "-", "café")], []),
        (["299 -"], [], ["invalid warning header: fewer than 3 segments"]),
        (['29 - "x"'], [], ["invalid warning header: code segment is not 3 digits between 100-299"]),
        (['299  "x"'], [], ["invalid warning header: empty agent segment"]),
        (["299 - x"], [], ["invalid warning header: invalid quoted string: missing initial quote"]),
        (['299 - "x'], [], ["invalid warning header: invalid quoted string: missing closing quote"]),
        (['299 - "x\x01y"'], [], ["invalid warning header: invalid text"]),
        (['299 - "x" "date'], [], ["invalid warning header: unterminated date segment"]),
        (['299 - "x" junk'], [], ["invalid warning header: unexpected token after warn-date"]),
        # a bad warning ends its header (the ones before it count), the next header is parsed on its own
        (
            ['299 - "ok", bogus', '299 - "next"'],
            [(299, "-", "ok"), (299, "-", "next")],
            ["invalid warning header: fewer than 3 segments"],
        ),
    ],
)
def test_parse_warning_headers(
    headers: list[str], warnings: list[tuple[int, str, str]], errors: list[str]
) -> None:
    parsed, errs = parse_warning_headers(headers)
    assert parsed == [WarningHeader(*w) for w in warnings]
    assert [str(e) for e in errs] == errors


def test_format_round_trips_through_the_parser() -> None:
    text = 'say "hi" \\ bye'
    assert format_warning_header(text) == '299 - "say \\"hi\\" \\\\ bye"'
    assert parse_warning_headers([format_warning_header(text)])[0] == [WarningHeader(299, "-", text)]


def test_writer_prints_each_299_text_once() -> None:
    lines: list[str] = []
    writer = WarningWriter(lines.append)
    handle_warnings([f'299 - "{DEPRECATED}"'], writer)
    handle_warnings([f'299 - "{DEPRECATED}"', '299 - "other"'], writer)
    handle_warnings(['199 - "not a 299"', '299 - ""'], writer)
    assert lines == [f"Warning: {DEPRECATED}\n", "Warning: other\n"]
    assert writer.count == 2


def test_writer_without_dedup_and_in_color() -> None:
    lines: list[str] = []
    writer = WarningWriter(lines.append, deduplicate=False, color=True)
    writer(299, "-", "x")
    writer(299, "-", "x")
    assert lines == ["\x1b[33;1mWarning:\x1b[0m x\n"] * 2
