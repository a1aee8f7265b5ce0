"""kpy.config.yamlfast against PyYAML: every document it reads must come out exactly as PyYAML reads it (types
included), and everything else must be left to PyYAML (UNSUPPORTED), never guessed."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from kpy.config import yamlfast
from kpy.config.kubeconfig import KubeConfig

KUBECTL = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1
    tls-server-name: api.example
  name: other
contexts:
- context:
    cluster: kind-kind
    namespace: web
    user: kind-kind
  name: kind-kind
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==
    client-key-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - us-east-1
      - eks
      - get-token
      command: aws
      env: null
      interactiveMode: IfAvailable
      provideClusterInfo: false
"""

#: the real-API-server kit's kubeconfig: flow mappings, comments, relative paths
KIT = """# written by the kit
apiVersion: v1
kind: Config
clusters:
- name: realk8s
  cluster:
    server: https://127.0.0.1:6443   # the API server
    certificate-authority: ../pki/ca.crt
users:
- name: user
  user:
    token: 'admin-0123'
    tokenFile: ~/token
contexts:
- name: realk8s
  context: {cluster: realk8s, user: user, namespace: default}
current-context: "realk8s"
extensions: []
"""

EMULATOR_JSON = """{
  "apiVersion": "v1",
  "kind": "Config",
  "clusters": [{"name": "e", "cluster": {"server": "https://127.0.0.1:1", "insecure-skip-tls-verify": true}}],
  "users": [{"name": "e", "user": {"token": "abc"}}],
  "contexts": [{"name": "e", "context": {"cluster": "e", "user": "e", "namespace": null}}],
  "current-context": "e",
  "preferences": {}
}
"""

#: documents the reader must leave to PyYAML (or read exactly as PyYAML does)
ODD = [
    "a: &x b\nc: *x\n",  # anchors and aliases
    "a: !!str 1\n",  # tags
    "a: {b: c, d: [e, f]}\n",  # nested flow
    "a: [b, c]\nd: {e: f}\n",
    "a: {b: 'c'}\n",
    '"quoted": v\n',  # quoted keys
    "'quoted': v\n",
    "a: |\n  text\n  more\n",  # block scalars
    "a: >\n  folded\n  text\n",
    "a: plain\n  continued\n",  # multi-line plain scalar
    'a: "double\n  continued"\n',
    "a: 'single\n  continued'\n",
    "a:\tb\n",  # tabs
    "a:\n\t- b\n",
    "a: b\na: c\n",  # duplicate keys
    "a: {b: c, b: d}\n",
    '{"a": "b", "a": "c"}',
    "\ufeffa: b\n",  # BOM
    "a: b\r\nc: d\r\n",  # CRLF
    "# only a comment\n",
    "",
    "---\na: b\n",
    "a: b\n...\n",
    "%YAML 1.1\n---\na: b\n",
    "a: b # comment\nc: 'd' # comment\ne: \"f\"   # c\n# full line\n  # indented comment\ng: h#not-a-comment\n",
    "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: ~\nh: null\ni: Null\nj:\n",
    "a: 1\n",
    "a: 0x1f\n",
    "a: 1_000\n",
    "a: 1:20\n",
    "a: .inf\n",
    "a: -.inf\n",
    "a: .5\n",
    "a: 2001-12-14\n",
    "a: =\n",
    "<<: {a: b}\n",
    "yes: b\n",
    "null: b\n",
    "1: b\n",
    "a: -1\n",
    "a: --flag\n",
    "a: -\n",
    "a: - b\n",
    "- a\n- b\n",  # not a mapping at the top
    "a:\n- b\n - c\n",
    "a:\n  - b\n  -   c\n",
    "a:\n- - b\n",
    "a:\n-\n  b: c\n-\n- d\n",
    "a: b: c\n",
    "a: b:\n",
    "a:b\n",
    "a : b\n",
    "a: 'it''s'\n",
    "a: 'unterminated\n",
    'a: "x"y\n',
    'a: "back\\\\slash"\n',
    'a: "\\u00e9"\n',
    "a: caf\u00e9\n",
    "a: [b, ]\n",
    "a: {b: c,}\n",
    "a: {b}\n",
    "a: {b:c}\n",
    "a: [yes, null, ~, b]\n",
    "a: {b: yes, c: null}\n",
    "a: [b c]\n",
    "a: {b: http://x}\n",
    "a: ./rel\nb: ../up\nc: ~/home\nd: /abs\ne: _x\n",
    "a: .hidden\n",
    "a:\n  b:\n    c: d\n   e: f\n",
    "a:\n    b: c\n  d: e\n",
    "a: b\n  c: d\n",
    "k" * 1001 + ": v\n",
    '{"' + "k" * 1001 + '": "v"}',
    '{"a": 1}',
    '{"a": 1.5, "b": "c"}',
    '{"a": NaN}',
    '{"a": true, "b": null, "c": [], "d": {}}',
    '{"a": "b"} # trailing comment',
    "{a: b}",
    '{"a":"b","c":["d",true],"e":{}}',
    '{"a"\n: "b"}',
    '{"a":\n"b"}',
    '{"a": "b",\n"c": "d"\n}',
    '["a"]',
    "a: '#not-a-comment'\n",
    "a: b\n\n\nc: d\n",
    "a:   \n  b: c\n",
    "a: # comment\n  b: c\n",
    "- # comment\n",
    "a:\n- # comment\n  b: c\n",
    "a: `x`\n",
    "a: @x\n",
    "a: %x\n",
    "a: ?x\n",
    "? a\n: b\n",
    "a: [\n  b]\n",
]


def _pyyaml(text: str) -> tuple[Any, bool]:
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), True
    except yaml.YAMLError:
        return None, False


def _check(text: str) -> bool:
    """True when the fast reader answered (and then exactly as PyYAML), False when it left it to PyYAML."""
    got = yamlfast.load(text)
    if got is yamlfast.UNSUPPORTED:
        return False
    want, ok = _pyyaml(text)
    assert ok, f"PyYAML refuses {text!r}, the fast reader read {got!r}"
    assert repr(got) == repr(want), text  # repr: True is not 1, "1" is not 1
    return True


@pytest.mark.parametrize("text", [KUBECTL, KIT, EMULATOR_JSON], ids=["kubectl", "kit", "json"])
def test_the_shapes_kubeconfigs_come_in_are_read_without_pyyaml(text: str) -> None:
    assert _check(text)


@pytest.mark.parametrize("text", ODD)
def test_odd_yaml_is_read_exactly_as_pyyaml_or_left_to_it(text: str) -> None:
    _check(text)


def test_the_common_odd_forms_are_read_by_the_fast_reader() -> None:
    """The forms the fast reader claims to handle really are handled (not all left to PyYAML)."""
    handled = [text for text in ODD if _check(text)]
    assert "a: 'it''s'\n" in handled
    assert "a: [yes, null, ~, b]\n" in handled
    assert ODD[24] in handled  # comments
    assert len(handled) >= 15


def test_mutated_kubeconfigs_are_read_exactly_as_pyyaml_or_left_to_it() -> None:
    """Random edits of the three shapes (characters YAML gives meaning to, inserted, deleted or replaced)."""
    rng = random.Random(15)
    alphabet = [*" \n-:#'\"{}[],&*!|>?%@`~.0123456789abyesnoYN\t\\", "- ", ": ", " #", "  "]
    read = 0
    for _ in range(3000):
        text = rng.choice([KUBECTL, KIT, EMULATOR_JSON])
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text))
            what = rng.random()
            if what < 0.4:
                text = text[:at] + rng.choice(alphabet) + text[at:]
            elif what < 0.7:
                text = text[:at] + text[at + 1 :]
            else:
                text = text[:at] + rng.choice(alphabet) + text[at + 1 :]
        read += _check(text)
    assert read > 300  # most edits of values still fall in the subset


def test_kubeconfig_parses_the_same_with_and_without_the_fast_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = KubeConfig.from_text(KIT, "/tmp/k/config")
    monkeypatch.setattr(yamlfast, "load", lambda text: yamlfast.UNSUPPORTED)
    monkeypatch.setattr("kpy.config.kubeconfig.yamlfast_load", lambda text: yamlfast.UNSUPPORTED)
    assert KubeConfig.from_text(KIT, "/tmp/k/config") == fast
    assert fast.contexts["realk8s"] == {"cluster": "realk8s", "user": "user", "namespace": "default"}
    assert fast.clusters["realk8s"]["certificate-authority"] == "/tmp/pki/ca.crt"
