"""kpy's JSONPath printer against kubectl: client-go's own jsonpath cases plus real-looking objects.

Expected answers are recorded in ``jsonpath_cases.json`` (from kubectl 1.32 via ``jsonpath_record.py``), so the
suite runs without kubectl; when kubectl is installed, one test also re-asks it live for every case and checks
the recording still holds. Cases whose output depends on Go's random map order compare as sorted words.
"""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from jsonpath_oracle import KUBECTL, kubectl_jsonpath

from kpy.errors import TemplateError
from kpy.printers.jsonpath import JSONPathPrinter

DATA = json.loads((Path(__file__).parent / "jsonpath_cases.json").read_text(encoding="utf-8"))
INPUTS: dict[str, Any] = DATA["inputs"]
CASES: list[dict[str, Any]] = DATA["cases"]


def run_kpy(obj: Any, template: str, allow_missing_keys: bool) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) the way the CLI would produce them (errors are ``format()``ed)."""
    out = io.StringIO()
    try:
        JSONPathPrinter(template, allow_missing_keys=allow_missing_keys).print_obj(obj, out)
    except TemplateError as exc:
        return 1, out.getvalue(), exc.format()
    return 0, out.getvalue(), ""


def same_output(case: dict[str, Any], got: str, want: str) -> bool:
    if case["unordered"]:  # Go visits maps in random order: compare the words, ignoring their order
        return words(got) == words(want)
    return got == want


def words(text: str) -> list[str]:
    return sorted(re.split(r"[\s{}\[\],]+", text))


def first_error_line(stderr: str) -> str:
    return stderr.split("\n", 1)[0]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_kpy_matches_recorded_kubectl_output(case: dict[str, Any]) -> None:
    rc, out, err = run_kpy(INPUTS[case["input"]], case["template"], case["allow_missing_keys"])
    assert rc == case["rc"], err
    assert same_output(case, out, case["stdout"])
    if case["rc"]:
        if case["unordered"]:
            assert first_error_line(err).split(":")[:2] == first_error_line(case["stderr"]).split(":")[:2]
        elif "error parsing jsonpath" in case["stderr"]:
            # kpy adds the template and a caret under the error position after kubectl's line
            message, _, caret = err.rsplit("\n", 2)[0], None, err.rsplit("\n", 1)[1]
            assert message == case["stderr"].rstrip("\n")
            assert caret.strip() == "^"
        else:
            assert err.rstrip("\n") == case["stderr"].rstrip("\n")


def test_execution_error_message_is_kubectls_with_object_dump() -> None:
    rc, _, err = run_kpy(INPUTS["store"], "{.hello}", False)
    assert rc == 1
    assert err.startswith(
        'error: error executing jsonpath "{.hello}": Error executing template: hello is not '
        "found. Printing more information for debugging the template:\n\ttemplate was:\n\t\t"
        "{.hello}\n\tobject given to jsonpath engine was:\n\t\tmap[string]interface {}{"
    )


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed: recorded answers are used instead")
def test_recorded_answers_still_match_live_kubectl() -> None:
    def ask(case: dict[str, Any]) -> tuple[str, tuple[int, str, str]]:
        return case["name"], kubectl_jsonpath(
            INPUTS[case["input"]], case["template"], case["allow_missing_keys"]
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        live = dict(pool.map(ask, CASES))
    wrong = []
    for case in CASES:
        rc, out, err = live[case["name"]]
        if rc != case["rc"] or not same_output(case, out, case["stdout"]):
            wrong.append((case["name"], rc, out))
        elif rc and not case["unordered"] and err != case["stderr"]:
            wrong.append((case["name"], rc, err))
    assert not wrong
