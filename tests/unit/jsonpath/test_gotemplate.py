"""The go-template engine on plain data (expected texts recorded from kubectl 1.32's ``-o go-template``)."""

from __future__ import annotations

from typing import Any

import pytest

from kpy.errors import TemplateError
from kpy.jsonpath.gotemplate import GoTemplate, GoTemplateError

DATA: dict[str, Any] = {
    "kind": "List",
    "items": [
        {
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
            "status": {"phase": "Running", "probe": None},
        },
        {"metadata": {"name": "worker"}, "status": {"phase": "Pending", "probe": None}},
    ],
}


def render(template: str, data: Any = DATA, allow_missing_keys: bool = True) -> str:
    out: list[str] = []
    GoTemplate(template, allow_missing_keys=allow_missing_keys).execute(data, out.append)
    return "".join(out)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            '{{range .items}}{{.metadata.name}}{{"\\t"}}{{.status.phase}}{{"\\n"}}{{end}}',
            "web\tRunning\nworker\tPending\n",
        ),
        ("{{.kind}} {{len .items}}", "List 2"),
        ("{{range $i, $p := .items}}{{$i}}={{$p.metadata.name}} {{end}}", "0=web 1=worker "),
        ("{{with index .items 0}}{{.metadata.labels}}{{end}}", "map[app:web tier:fe]"),
        ("{{.x}} {{.x.y}} {{index .kind}}", "<no value> <no value> List"),
        ('{{index .items 0 "x"}}', "<no value>"),
        ("{{range .items}}{{.status.probe}},{{end}}", "<no value>,<no value>,"),
        ('{{printf "%s-%d|%5s|%-5s|%q|%v" "a" 3 "b" "c" "q" .x}}', 'a-3|    b|c    |"q"|<nil>'),
        ('{{printf "%s" 1}} {{printf "%d"}}', "%!s(int=1) %!d(MISSING)"),
        ("{{- range .items -}} {{ .metadata.name }} {{- end }}", "webworker"),
        ("{{range.items}}{{if.metadata.labels}}{{.metadata.name}}{{else}}-{{end}}{{end}}", "web-"),
        ('{{if eq .kind "Pod"}}p{{else if eq .kind "List"}}l{{else}}x{{end}}', "l"),
        (
            "{{range .items}}{{range $k, $v := .metadata.labels}}{{$k}}={{$v}};{{end}}{{end}}",
            "app=web;tier=fe;",
        ),
        ('{{.items | len | printf "%d items"}}', "2 items"),
        (
            '{{lt 1 2}} {{gt 2.5 1.5}} {{ne "a" "b"}} {{not 0}} {{or .x .kind}} {{and .kind .x}}',
            "true true true true List <no value>",
        ),
        (
            '{{exists . "items" 0 "metadata"}} {{exists . "nope"}} {{base64decode "aGVsbG8="}}',
            "true false hello",
        ),
        ('{{print nil 1 2 "a" 3}}|{{println .kind 1}}', "<nil> 1 2a3|List 1\n"),
        (
            '{{range .items}}{{if eq .metadata.name "web"}}{{continue}}{{end}}{{.metadata.name}}{{break}}{{end}}',
            "worker",
        ),
        ("{{$x := 1}}{{$x = 2}}{{$x}}{{/* comment */}}", "2"),
        ("{{range .nothing}}a{{else}}empty{{end}}", "empty"),
        ("{{with .x}}a{{else}}b{{end}}", "b"),
    ],
)
def test_renders_like_go(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{index .items 5}}",
            'template: output:1:2: executing "output" at <index .items 5>: error calling index: index out of range: 5',
        ),
        (
            "{{.items.x}}",
            'template: output:1:8: executing "output" at <.items.x>: can\'t evaluate field x in type '
            "interface {}",
        ),
        (
            "{{range .kind}}{{end}}",
            'template: output:1:8: executing "output" at <.kind>: range can\'t iterate over List',
        ),
        (
            "{{len 3}}",
            'template: output:1:2: executing "output" at <len 3>: error calling len: len of type int',
        ),
        (
            '{{base64decode "!!"}}',
            'template: output:1:2: executing "output" at <base64decode "!!">: error calling '
            "base64decode: base64 decode failed: illegal base64 data at input byte 0",
        ),
        (
            '{{index .kind "x" "y"}}',
            'template: output:1:2: executing "output" at <index .kind "x" "y">: error '
            "calling index: cannot index slice/array with type string",
        ),
        (
            "{{index 3 1}}",
            'template: output:1:2: executing "output" at <index 3 1>: error calling index: can\'t '
            "index item of type int",
        ),
        (
            "{{index .items 0 1}}",
            'template: output:1:2: executing "output" at <index .items 0 1>: error calling '
            "index: value has type int; should be string",
        ),
        (
            "{{eq 1 1.0}}",
            'template: output:1:2: executing "output" at <eq 1 1.0>: error calling eq: incompatible '
            "types for comparison",
        ),
    ],
)
def test_execution_errors_are_gos(template: str, message: str) -> None:
    with pytest.raises(GoTemplateError) as info:
        render(template)
    assert str(info.value) == message


def test_missing_keys_are_errors_when_not_allowed() -> None:
    with pytest.raises(GoTemplateError) as info:
        render("{{range .items}}{{.metadata.namex}}{{end}}", allow_missing_keys=False)
    assert str(info.value) == (
        'template: output:1:27: executing "output" at <.metadata.namex>: map has no entry for key "namex"'
    )


def test_output_before_an_error_is_kept() -> None:
    out: list[str] = []
    with pytest.raises(GoTemplateError):
        GoTemplate("a{{index .items 9}}").execute(DATA, out.append)
    assert out == ["a"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{foo}}", 'template: output:1: function "foo" not defined'),
        ("{{.x", "template: output:1: unclosed action"),
        ("{{range .items}}", "template: output:1: unexpected EOF"),
        ("{{end}}", "template: output:1: unexpected {{end}}"),
    ],
)
def test_parse_errors_are_gos(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        GoTemplate(template)
    assert str(info.value) == message
