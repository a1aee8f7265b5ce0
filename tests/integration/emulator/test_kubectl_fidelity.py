"""kubectl against the emulator, answered as kube-apiserver 1.36 answers (expected texts recorded from the
realk8s kit with the same kubectl commands; bench/compare_real.py --only fidelity repeats them on any server).

Each test names what it covers; stdout, stderr and the exit code are compared literally where the server
decides them (ages, uids and times are never part of the expectation).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.integration.clihelpers import KUBECTL, kubectl

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def k(emu: Any, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    res = kubectl(*args, kubeconfig=emu.kubeconfig_path, stdin=stdin)
    return res.code, res.out, res.err


def test_auth_can_i_asks_self_subject_access_reviews(emu: Any) -> None:
    assert k(emu, "auth", "can-i", "get", "pods") == (0, "yes\n", "")
    assert k(emu, "auth", "can-i", "get", "pods", "--as=nobody") == (1, "no\n", "")
    assert k(emu, "auth", "can-i", "get", "/api", "--as=nobody") == (0, "yes\n", "")  # system:discovery
    warning = "Warning: resource 'selfsubjectaccessreviews' is not namespace scoped in group 'authorization.k8s.io'\n\n"
    assert k(emu, "auth", "can-i", "create", "selfsubjectaccessreviews", "--as=nobody") == (
        0,
        "yes\n",
        warning,
    )


def test_impersonation_changes_who_the_request_is(emu: Any) -> None:
    expected = "ATTRIBUTE   VALUE\nUsername    bob\nGroups      [g1 system:authenticated]\n"
    assert k(emu, "auth", "whoami", "--as=bob", "--as-group=g1") == (0, expected, "")


def test_access_review_names_the_binding_that_allows_it(emu: Any, tmp_path: Path) -> None:
    assert k(emu, "create", "ns", "ssar")[0] == 0
    assert k(emu, "create", "role", "fid-reader", "-n", "ssar", "--verb=get", "--resource=pods")[0] == 0
    rb = ("create", "rolebinding", "fid-rb", "-n", "ssar", "--role=fid-reader", "--user=alice")
    assert k(emu, *rb, "--serviceaccount=ssar:sa1")[0] == 0
    body = tmp_path / "ssar.json"
    attrs = {"namespace": "ssar", "verb": "get", "resource": "pods"}
    body.write_text(json.dumps({"kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": attrs}}))
    code, out, err = k(emu, "create", "--raw", SSAR, "-f", str(body), "--as=alice")
    assert (code, err) == (0, "")
    review = json.loads(out)
    assert review["status"] == {
        "allowed": True,
        "reason": 'RBAC: allowed by RoleBinding "fid-rb/ssar" of Role "fid-reader" to User "alice"',
    }
    (entry,) = review["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"]) == ("kubectl", "Update")
    assert entry["fieldsV1"] == {
        "f:spec": {"f:resourceAttributes": {".": {}, "f:namespace": {}, "f:resource": {}, "f:verb": {}}}
    }
    code, out, err = k(emu, "create", "--raw", SSAR, "-f", str(body), "--as=system:serviceaccount:ssar:sa1")
    reason = 'RBAC: allowed by RoleBinding "fid-rb/ssar" of Role "fid-reader" to ServiceAccount "sa1/ssar"'
    assert json.loads(out)["status"] == {"allowed": True, "reason": reason}
    body.write_text('{"spec":{}}')
    assert k(emu, "create", "--raw", SSAR, "-f", str(body)) == (
        1,
        "",
        "The request is invalid: spec.resourceAttributes: Invalid value: null: exactly one of "
        "nonResourceAttributes or resourceAttributes must be specified\n",
    )


_UNRECOGNIZED = (
    "Error from server (BadRequest): the object provided is unrecognized (must be of type ConfigMap): "
    "couldn't get version/kind; json parse error: "
)
_TYPE_META = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            '{"apiVersion":"v1","kind":"ConfigMap",',
            'unexpected end of JSON input ({"apiVersion":"v1","kind":"Con ...)',
        ),
        ("[1,2]", f"json: cannot unmarshal array into Go value of type {_TYPE_META} (5b312c325d)"),
        ("", "unexpected end of JSON input (<empty>)"),
        ("{x}", "invalid character 'x' looking for beginning of object key string ({x})"),
        (
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "invalid character 'a' looking for beginning of value "
            "(6162636465666768696a6b6c6d6e6f707172737475767778797a30313233 ...)",
        ),
    ],
)
def test_undecodable_create_and_replace_bodies(emu: Any, tmp_path: Path, body: str, error: str) -> None:
    """kubectl create/replace --raw send the bytes as they are; the handler names the kind it wanted, Go's
    json error and the start of the body (hex unless it starts with "{")."""
    path = tmp_path / "body.json"
    path.write_text(body)
    expected = (1, "", _UNRECOGNIZED + error + "\n")
    assert k(emu, "create", "--raw", "/api/v1/namespaces/default/configmaps", "-f", str(path)) == expected
    if body.startswith("{"):
        assert (
            k(emu, "replace", "--raw", "/api/v1/namespaces/default/configmaps/x", "-f", str(path)) == expected
        )


def test_json_patch_that_does_not_apply_is_the_generic_invalid(emu: Any) -> None:
    assert k(emu, "create", "cm", "jp", "--from-literal=a=b")[0] == 0
    expected = (
        1,
        "",
        "The request is invalid: the server rejected our request due to an error in our request\n",
    )
    for ops in ('[{"op":"test","path":"/data/a","value":"z"}]', '[{"op":"remove","path":"/data/nosuch"}]'):
        assert k(emu, "patch", "cm", "jp", "--type", "json", "-p", ops) == expected


_MAP = "map[string]interface {}"


@pytest.mark.parametrize(
    ("content_type", "body", "code", "message"),
    [
        ("application/json", '{"data":{}}', 415, "415: Unsupported Media Type"),
        ("text/plain", "{}", 415, "415: Unsupported Media Type"),
        ("application/merge-patch+json", '{"data":', 400, "error decoding patch: unexpected end of JSON input"),
        ("application/merge-patch+json", "[1]", 400, f"error decoding patch: json: cannot unmarshal array into Go value of type {_MAP}"),
        ("application/merge-patch+json", "null", 400, "Invalid JSON Patch"),
        ("application/json-patch+json", "{x}", 400, "error decoding patch: invalid character 'x' looking for beginning of object key string"),
        ("application/json-patch+json", '{"a":1}', 400, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"),
        ("application/json-patch+json", "[1]", 400, "error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp"),
        ("application/json-patch+json", '[{"op":"bogus","path":"/data"}]', 422, "the server rejected our request due to an error in our request"),
        ("application/strategic-merge-patch+json", "", 400, "unexpected end of JSON input"),
        ("application/strategic-merge-patch+json", '"s"', 400, f"json: cannot unmarshal string into Go value of type {_MAP}"),
    ],
)  # fmt: skip
def test_undecodable_patch_bodies(api: Any, content_type: str, body: str, code: int, message: str) -> None:
    """What a raw client gets for a PATCH kube-apiserver cannot read (kubectl checks its patches first)."""
    import urllib.error
    import urllib.request

    api.call("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "raw-patch"}})
    req = urllib.request.Request(
        api.url + "/api/v1/namespaces/default/configmaps/raw-patch", data=body.encode(), method="PATCH"
    )
    req.add_header("Authorization", f"Bearer {api.token}")
    req.add_header("Content-Type", content_type)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(req, context=api.ctx)
    answer = json.loads(caught.value.read())
    assert (caught.value.code, answer["message"]) == (code, message)
    if code == 415 or code == 422:
        assert answer["details"] == {}


def test_create_or_replace_in_a_media_type_the_server_does_not_read(api: Any) -> None:
    import urllib.error
    import urllib.request

    for method, path in (("POST", ""), ("PUT", "/raw-patch")):
        req = urllib.request.Request(
            api.url + "/api/v1/namespaces/default/configmaps" + path, data=b"{}", method=method
        )
        req.add_header("Authorization", f"Bearer {api.token}")
        req.add_header("Content-Type", "text/plain")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, context=api.ctx)
        answer = json.loads(caught.value.read())
        assert (caught.value.code, answer["message"]) == (
            415,
            "the body of the request was in an unknown format - accepted media types include: application/json, "
            "application/yaml, application/vnd.kubernetes.protobuf",
        )


_POD_P2 = """apiVersion: v1
kind: Pod
metadata:
  name: p2
spec:
  restartPolicy: Bogus
  initContainers:
  - name: c
    image: x
  containers:
  - name: c
    ports:
    - containerPort: 70000
  - name: C_1
    image: img
"""
_DEPLOY_D1 = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: d1
spec:
  selector:
    matchLabels: {a: b}
  template:
    metadata:
      labels: {a: b}
    spec:
      containers: []
"""


def test_pod_specs_are_validated(emu: Any) -> None:
    """ValidatePodSpec's everyday mistakes, for a Pod and a Deployment's template (kubectl create -f)."""
    create = ("create", "--validate=false", "-f", "-")
    no_containers = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n"
    assert k(emu, *create, stdin=no_containers) == (
        1,
        "",
        'The Pod "p1" is invalid: spec.containers: Required value\n',
    )
    assert k(emu, *create, stdin=_POD_P2) == (
        1,
        "",
        'The Pod "p2" is invalid: \n'
        "* spec.containers[0].image: Required value\n"
        "* spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive\n"
        '* spec.containers[1].name: Invalid value: "C_1": a lowercase RFC 1123 label must consist of lower case '
        "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
        "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n"
        '* spec.initContainers[0].name: Duplicate value: "c"\n'
        '* spec.restartPolicy: Unsupported value: "Bogus": supported values: "Always", "OnFailure", "Never"\n',
    )
    assert k(emu, *create, stdin=_DEPLOY_D1) == (
        1,
        "",
        'The Deployment "d1" is invalid: spec.template.spec.containers: Required value\n',
    )


_CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: csa
  labels: {app: fid}
data:
  a: "{a}"
"""
_CM_MIGRATED = """apiVersion: v1
data:
  a: "2"
kind: ConfigMap
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"labels":{"app":"fid"},"name":"csa","namespace":"default"}}
  creationTimestamp: T
  labels:
    app: fid
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:annotations:
          f:kubectl.kubernetes.io/last-applied-configuration: {}
    manager: kubectl-last-applied
    operation: Apply
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:data:
        f:a: {}
      f:metadata:
        f:labels:
          f:app: {}
    manager: kubectl
    operation: Apply
    time: T
  name: csa
  namespace: default
  resourceVersion: RV
  uid: UID
"""


def test_client_side_apply_then_server_side_apply(emu: Any) -> None:
    """kubectl apply, then kubectl apply --server-side with a changed value: no conflict (the server forces
    what the last-applied annotation recorded and rewrites it; kubectl moves the client-side manager's fields),
    then the fields belong to "kubectl", another manager conflicts, and what kubectl stops applying goes."""
    apply = ("apply", "--validate=false", "-f", "-")
    assert k(emu, *apply, stdin=_CM.replace("{a}", "1")) == (0, "configmap/csa created\n", "")
    migrated = k(emu, *apply, "--server-side", stdin=_CM.replace("{a}", "2"))
    assert migrated == (0, "configmap/csa serverside-applied\n", "")
    code, out, err = k(emu, "get", "cm", "csa", "-o", "yaml", "--show-managed-fields")
    out = re.sub(r'(creationTimestamp|time): "[^"]+"', r"\1: T", out)
    out = re.sub(r'resourceVersion: "\d+"', "resourceVersion: RV", re.sub(r"uid: \S+", "uid: UID", out))
    assert (code, out, err) == (0, _CM_MIGRATED, "")
    code, out, err = k(emu, *apply, "--server-side", "--field-manager=other", stdin=_CM.replace("{a}", "1"))
    assert (code, out, err.splitlines()[0]) == (
        1,
        "",
        'error: Apply failed with 1 conflict: conflict with "kubectl": .data.a',
    )
    no_label = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\ndata:\n  a: "3"\n  z: "1"\n'
    assert k(emu, *apply, "--server-side", stdin=no_label) == (0, "configmap/csa serverside-applied\n", "")
    view = "{.metadata.labels}|{.data}|{.metadata.managedFields[*].manager}"
    assert k(emu, "get", "cm", "csa", "-o", f"jsonpath={view}") == (
        0,
        '|{"a":"3","z":"1"}|kubectl-last-applied kubectl',
        "",
    )


_LIMITS = """apiVersion: v1
kind: LimitRange
metadata: {name: lr1}
spec:
  limits:
  - type: Container
    default: {cpu: 500m}
"""


def test_describe_namespace_shows_quotas_and_limit_ranges(emu: Any) -> None:
    """describe ns reads resourcequotas and limitranges (kubectl create quota sends protobuf; a LimitRange's
    default request falls back to its default limit)."""
    assert k(emu, "create", "ns", "quotas")[0] == 0
    empty = (
        "Name:         quotas\nLabels:       kubernetes.io/metadata.name=quotas\nAnnotations:  <none>\n"
        "Status:       Active\n\nNo resource quota.\n\nNo LimitRange resource.\n"
    )
    assert k(emu, "describe", "ns", "quotas") == (0, empty, "")
    quota = k(emu, "create", "quota", "q1", "-n", "quotas", "--hard=pods=10,cpu=2")
    assert quota == (0, "resourcequota/q1 created\n", "")
    assert k(emu, "create", "-n", "quotas", "-f", "-", stdin=_LIMITS)[0] == 0
    full = (
        "Name:         quotas\nLabels:       kubernetes.io/metadata.name=quotas\nAnnotations:  <none>\n"
        "Status:       Active\n\n"
        "Resource Quotas\n  Name:     q1\n  Resource  Used  Hard\n  --------  ---   ---\n\n"
        "Resource Limits\n"
        " Type       Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio\n"
        " ----       --------  ---  ---  ---------------  -------------  -----------------------\n"
        " Container  cpu       -    -    500m             500m           -\n"
    )
    assert k(emu, "describe", "ns", "quotas") == (0, full, "")
    code, out, _ = k(emu, "get", "quota,limits", "-n", "quotas")
    assert (code, [line.split()[0] for line in out.splitlines() if line]) == (
        0,
        ["NAME", "resourcequota/q1", "NAME", "limitrange/lr1"],
    )
    assert out.splitlines()[0].split() == ["NAME", "REQUEST", "LIMIT", "AGE"]


_CM_V1 = 'ConfigMap in version "v1" cannot be handled as a ConfigMap: '


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"metadata": {"name": "x", "labels": {"v": 1}, "annotations": {"a": True}}, "data": {"a": 2}},
            _CM_V1
            + "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        ),
        (
            {"metadata": {"name": "x", "labels": []}},
            _CM_V1 + "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
            "map[string]string",
        ),
        (
            {"metadata": []},
            _CM_V1
            + "json: cannot unmarshal array into Go struct field ConfigMap.metadata of type v1.ObjectMeta",
        ),
        (
            {"metadata": {"name": "x"}, "data": "zz"},
            _CM_V1
            + "json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string",
        ),
        (
            {"kind": "Secret", "metadata": {"name": "x"}},
            'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): '
            "unknown conversion",
        ),
        (
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}},
            'Deployment in version "v1" cannot be handled as a ConfigMap: converting (v1.Deployment) to '
            "(core.ConfigMap): unknown conversion",
        ),
        (
            {"apiVersion": "v2", "kind": "ConfigMap", "metadata": {"name": "x"}},
            'ConfigMap in version "v2" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for '
            'version "v2" in scheme "kubernetes/pkg/api/legacyscheme/scheme.go:30"',
        ),
        (
            {"apiVersion": "v1", "kind": "Foo", "metadata": {"name": "x"}},
            'Foo in version "v1" cannot be handled as a ConfigMap: no kind "Foo" is registered for version "v1" '
            'in scheme "kubernetes/pkg/api/legacyscheme/scheme.go:30"',
        ),
    ],
)
def test_bodies_of_the_wrong_shape_or_kind(
    emu: Any, tmp_path: Path, body: dict[str, Any], message: str
) -> None:
    """The decoder's words: the first wrongly typed field in document order, or the kind it cannot convert."""
    path = tmp_path / "body.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", **body}))
    assert k(emu, "create", "--raw", "/api/v1/namespaces/default/configmaps", "-f", str(path)) == (
        1,
        "",
        f"Error from server (BadRequest): {message}\n",
    )


def test_secret_data_that_is_not_base64(emu: Any) -> None:
    manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec\ndata:\n  password: not-base64!\n"
    assert k(emu, "create", "--validate=false", "-f", "-", stdin=manifest) == (
        1,
        "",
        'Error from server (BadRequest): error when creating "STDIN": Secret in version "v1" cannot be handled '
        "as a Secret: illegal base64 data at input byte 3\n",
    )


_TYPO = (
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\n  lables: {a: b}\ndata:\n  a: "1"\nbogus: 1\n'
)


def test_unknown_fields_follow_field_validation(emu: Any, api: Any) -> None:
    """kubectl sends fieldValidation=Strict (the emulator's OpenAPI lists the parameter): a typo is refused as
    kube-apiserver refuses it; --validate=warn prints the server's warnings; the fields are never stored. The
    texts are kube-apiserver 1.36's answers to the same JSON (kubectl sorts the keys)."""
    assert k(emu, "create", "-f", "-", stdin=_TYPO) == (
        1,
        "",
        'Error from server (BadRequest): error when creating "STDIN": ConfigMap in version "v1" cannot be '
        'handled as a ConfigMap: strict decoding error: unknown field "bogus", unknown field "metadata.lables"\n',
    )
    assert k(emu, "create", "--validate=warn", "-f", "-", stdin=_TYPO) == (
        0,
        "configmap/typo created\n",
        'Warning: unknown field "bogus"\nWarning: unknown field "metadata.lables"\n',
    )
    stored = json.loads(k(emu, "get", "cm", "typo", "-o", "json")[1])
    assert "bogus" not in stored and "lables" not in stored["metadata"]
    code, body = api.call("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Bogus", {})
    assert (code, body["message"]) == (
        422,
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Bogus": supported values: '
        '"", "Ignore", "Strict", "Warn"',
    )


def test_server_dry_run_create_answers_an_identity_but_no_resource_version(emu: Any) -> None:
    code, out, err = k(emu, "create", "cm", "dry", "--from-literal=a=b", "--dry-run=server", "-o", "json")
    assert (code, err) == (0, "")
    meta = json.loads(out)["metadata"]
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"]) and meta["creationTimestamp"].endswith("Z")
    assert "resourceVersion" not in meta
    assert k(emu, "get", "cm", "dry") == (1, "", 'Error from server (NotFound): configmaps "dry" not found\n')


_CAN_I_LIST_HEADER = (
    "Resources                                       Non-Resource URLs   Resource Names   Verbs"
)
_CAN_I_LIST_COMMON = (
    "selfsubjectreviews.authentication.k8s.io        []                  []               [create]\n"
    "selfsubjectaccessreviews.authorization.k8s.io   []                  []               [create]\n"
    "selfsubjectrulesreviews.authorization.k8s.io    []                  []               [create]\n"
    "                                                [/.well-known/*]    []               [get]\n"
    "                                                [/.well-known]      []               [get]\n"
    "                                                [/api/*]            []               [get]\n"
    "                                                [/api]              []               [get]\n"
    "                                                [/apis/*]           []               [get]\n"
    "                                                [/apis]             []               [get]\n"
    "                                                [/healthz]          []               [get]\n"
    "                                                [/healthz]          []               [get]\n"
    "                                                [/livez]            []               [get]\n"
    "                                                [/livez]            []               [get]\n"
    "                                                [/openapi/*]        []               [get]\n"
    "                                                [/openapi]          []               [get]\n"
    "                                                [/readyz]           []               [get]\n"
    "                                                [/readyz]           []               [get]\n"
    "                                                [/version/]         []               [get]\n"
    "                                                [/version/]         []               [get]\n"
    "                                                [/version]          []               [get]\n"
    "                                                [/version]          []               [get]\n"
)
_CAN_I_LIST_ADMIN = (
    "*.*                                             []                  []               [*]\n"
    "                                                [*]                 []               [*]\n"
)


def test_auth_can_i_list_asks_self_subject_rules_reviews(emu: Any) -> None:
    """The bootstrap roles' rules for everyone (the discovery and health URLs twice, from two roles), plus
    cluster-admin's for system:masters; output as kube-apiserver 1.36 answered kubectl."""
    expected = _CAN_I_LIST_HEADER + "\n" + _CAN_I_LIST_COMMON
    assert k(emu, "auth", "can-i", "--list", "--as=nobody") == (0, expected, "")
    admin = _CAN_I_LIST_HEADER + "\n" + _CAN_I_LIST_ADMIN + _CAN_I_LIST_COMMON
    assert k(emu, "auth", "can-i", "--list") == (0, admin, "")
