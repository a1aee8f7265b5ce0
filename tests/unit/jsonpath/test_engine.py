"""The engine's public API and the behaviours the printers build on (kubectl parity itself is in
tests/conformance)."""

from __future__ import annotations

import io

import pytest

from kpy.errors import TemplateError, UsageError
from kpy.jsonpath import INVALID, parse
from kpy.jsonpath.gofmt import go_float_g, go_quote, go_sharp_v, go_v
from kpy.printers.custom_columns import CustomColumnsPrinter, relaxed_jsonpath
from kpy.printers.jsonpath import JSONPathPrinter

PODS = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "web"}},
            "status": {"phase": "Running"},
            "spec": {"containers": [{"name": "c1"}, {"name": "c2"}]},
        },
        {"metadata": {"name": "b"}, "status": {"phase": "Pending"}, "spec": {"containers": [{"name": "c3"}]}},
    ],
}


def test_compiled_template_renders_many_objects_independently() -> None:
    tmpl = parse('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}')
    assert tmpl.render(PODS) == "a\tRunning\nb\tPending\n"
    assert tmpl.render({"items": [{"metadata": {"name": "z"}}]}) == "z\t\n"
    assert tmpl.render(PODS) == "a\tRunning\nb\tPending\n"


def test_find_returns_one_value_list_per_printed_action() -> None:
    assert parse("x{.items[*].metadata.name}").find(PODS) == [["x"], ["a", "b"]]
    assert parse("{range .items[*]}{@.nope}{end}").find({"items": [None]}) == [[]]
    assert parse("{range .items[*]}{@}{end}").find({"items": [None]}) == [[INVALID]]


def test_escaped_dots_select_label_keys() -> None:
    assert parse("{.items[0].metadata.labels.app\\.kubernetes\\.io/name}").render(PODS) == "web"


def test_parse_error_reports_the_offset() -> None:
    with pytest.raises(TemplateError) as info:
        parse('{.a} {.b[?(@.x=="y"}')
    assert str(info.value) == "unterminated filter"
    assert info.value.position == 8


def test_missing_key_is_an_error_only_when_asked() -> None:
    assert parse("{.nope}").render(PODS) == ""
    with pytest.raises(TemplateError, match=r"^nope is not found$"):
        parse("{.nope}", allow_missing_keys=False).render(PODS)


def test_as_json_prints_one_indented_array_per_action() -> None:
    assert (
        parse("{.items[*].metadata.name}{.x}").render(PODS, as_json=True) == '[\n    "a",\n    "b"\n]\n[]\n'
    )


def test_go_value_formatting() -> None:
    assert [go_float_g(f) for f in (2.0, 1e-7, 1234567.0, 123456.0, 1e21, 0.0001)] == [
        "2",
        "1e-07",
        "1.234567e+06",
        "123456",
        "1e+21",
        "0.0001",
    ]
    assert go_v({"b": [1, None], "a": "x"}) == "map[a:x b:[1 <nil>]]"
    assert go_quote('a"\u2028\t') == '"a\\"\\u2028\\t"'
    assert (
        go_sharp_v({"a": [None, 1.5]})
        == 'map[string]interface {}{"a":[]interface {}{interface {}(nil), 1.5}}'
    )


def test_printer_writes_nothing_when_execution_fails() -> None:
    out = io.StringIO()
    printer = JSONPathPrinter("{.items[*].metadata.name}{.nope}", allow_missing_keys=False)
    with pytest.raises(TemplateError) as info:
        printer.print_obj(PODS, out)
    assert out.getvalue() == ""
    assert info.value.format().startswith(
        'error: error executing jsonpath "{.items[*].metadata.name}{.nope}": '
        "Error executing template: nope is not found."
    )


def test_printer_parse_error_has_kubectl_message_and_caret() -> None:
    with pytest.raises(TemplateError) as info:
        JSONPathPrinter("{.a[}")
    assert info.value.format() == "error: error parsing jsonpath {.a[}, unterminated array\n\t{.a[}\n\t     ^"


def test_printer_streams_large_lists_in_batches() -> None:
    class CountingWriter(io.StringIO):
        writes = 0

        def write(self, s: str) -> int:
            self.writes += 1
            return super().write(s)

    items = [{"metadata": {"name": f"p{i}"}} for i in range(10000)]
    out = CountingWriter()
    JSONPathPrinter('{range .items[*]}{.metadata.name}{"\\n"}{end}').print_obj({"items": items}, out)
    assert out.getvalue().count("\n") == 10000
    assert 5 < out.writes < 100


def test_custom_columns_table_with_none_and_joined_values() -> None:
    out = io.StringIO()
    CustomColumnsPrinter(
        "NAME:.metadata.name,CONTAINERS:spec.containers[*].name,LABELS:{.metadata.labels}"
    ).print_obj(PODS, out)
    assert out.getvalue() == (
        "NAME   CONTAINERS   LABELS\n"
        "a      c1,c2        map[app.kubernetes.io/name:web]\n"
        "b      c3           <none>\n"
    )


def test_custom_columns_header_once_and_no_headers() -> None:
    printer = CustomColumnsPrinter("N:.metadata.name")
    out = io.StringIO()
    printer.print_obj(PODS["items"][0], out)
    printer.print_obj(PODS["items"][1], out)
    assert out.getvalue() == "N\na\nb\n"
    out = io.StringIO()
    CustomColumnsPrinter("N:.metadata.name", no_headers=True).print_obj(PODS, out)
    assert out.getvalue() == "a\nb\n"


def test_custom_columns_spec_errors_read_like_kubectl() -> None:
    with pytest.raises(
        UsageError, match=r"^unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>$"
    ):
        CustomColumnsPrinter("NAME")
    with pytest.raises(UsageError, match=r"unexpected path string"):
        relaxed_jsonpath("{a}{b}")
    assert relaxed_jsonpath("metadata.name") == relaxed_jsonpath("{.metadata.name}") == "{.metadata.name}"
    with pytest.raises(TemplateError, match=r"^unterminated array$"):
        CustomColumnsPrinter("A:.a[").print_obj(PODS, io.StringIO())


def test_custom_columns_file_ignores_no_headers_like_kubectl() -> None:
    out = io.StringIO()
    CustomColumnsPrinter.from_file(
        "NAME   PHASE\n.metadata.name  {.status.phase}\n", no_headers=True
    ).print_obj(PODS, out)
    assert out.getvalue() == "NAME   PHASE\na      Running\nb      Pending\n"
    with pytest.raises(
        UsageError, match=r"number of headers \(2\) and field specifications \(1\) don't match"
    ):
        CustomColumnsPrinter.from_file("A B\n.x\n")
    with pytest.raises(UsageError, match=r"missing spec line"):
        CustomColumnsPrinter.from_file("A B\n")
