"""-o json / yaml / name print what kubectl prints for the same object.

The expected texts were produced by ``kubectl label --local -f tricky.yaml tmp- -o json|yaml|name`` (kubectl
1.32) and are checked live against the installed kubectl when it is present.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from kpy.gocompat.jsonindent import go_float, go_json
from kpy.manifests import parse
from kpy.printers import make_printer

HERE = Path(__file__).parent
TRICKY = HERE / "tricky.yaml"
KUBECTL = shutil.which("kubectl")


def render(output: str, obj: dict) -> str:
    out = io.StringIO()
    make_printer(output).print_obj(obj, out)
    return out.getvalue()


def tricky() -> dict:
    return parse(TRICKY.read_text(), str(TRICKY)).objects[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "1"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (-2.25, "-2.25"),
        (1e16, "10000000000000000"),
        (123456789.125, "123456789.125"),
        (0.0, "0"),
    ],
)
def test_floats_are_written_like_go(value: float, expected: str) -> None:
    assert go_float(value) == expected


def test_json_escapes_html_characters_like_go() -> None:
    assert go_json({"a": "<b>&</b>"}, indent=None) == '{"a":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e"}'


def test_name_printer_uses_lowercase_kind_and_group() -> None:
    items = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"}},
    ]
    assert render("name", {"kind": "List", "items": items}) == "deployment.apps/web\npod/web-1\n"


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: the live oracle comparison needs it")
@pytest.mark.parametrize("output", ["json", "yaml", "name"])
def test_printers_match_kubectl_live(output: str) -> None:
    expected = subprocess.run(
        [KUBECTL, "label", "--local", "-f", str(TRICKY), "tmp-", "-o", output],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert render(output, tricky()) == expected


def test_yaml_printer_separates_later_objects_like_kubectl() -> None:
    """kubectl get -w -o yaml: each object after the first starts with --- (one printer, several objects)."""
    printer = make_printer("yaml")
    out = io.StringIO()
    for name in ("a", "b", "c"):
        printer.print_obj({"kind": "Pod", "metadata": {"name": name}}, out)
    assert out.getvalue() == (
        "kind: Pod\nmetadata:\n  name: a\n---\nkind: Pod\nmetadata:\n  name: b\n"
        "---\nkind: Pod\nmetadata:\n  name: c\n"
    )
