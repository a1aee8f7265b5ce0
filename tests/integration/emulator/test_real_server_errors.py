"""Error answers as a real kube-apiserver gives them (texts read off one with bench/compare_real.py).

Each case was answered by kube-apiserver and by the emulator with the same request; a client that handles
the emulator's answer handles the real one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from tests.integration.clihelpers import Api

NS = "/api/v1/namespaces/default"
_PREFIX = "invalid continue token: continue key is not valid"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=1&continue=bogus", f"{_PREFIX}: illegal base64 data at input byte 4"),
        ("limit=1&continue=ab!c", f"{_PREFIX}: illegal base64 data at input byte 2"),
        ("limit=1&continue=a%3D%3D", f"{_PREFIX}: illegal base64 data at input byte 1"),
        ("limit=1&continue=YWJj", f"{_PREFIX}: invalid character 'a' looking for beginning of value"),
        (  # {"v":"meta.k8s.io/v2","rv":1,"start":"x"}
            "limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjIiLCJydiI6MSwic3RhcnQiOiJ4In0",
            f"{_PREFIX}: server does not recognize this encoded version meta.k8s.io/v2",
        ),
        (  # {"v":"meta.k8s.io/v1","rv":0,"start":"x"}
            "limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJ4In0",
            f"{_PREFIX}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
        ),
        (  # {"v":"meta.k8s.io/v1","rv":1,"start":""}
            "limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIifQ",
            f"{_PREFIX}: encoded start key empty (version meta.k8s.io/v1)",
        ),
        # The token is checked before the resourceVersion that may not come with it.
        (
            "continue=YWJj&resourceVersion=5",
            f"{_PREFIX}: invalid character 'a' looking for beginning of value",
        ),
        (
            "resourceVersion=abc&limit=1",
            'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": '
            "invalid syntax",
        ),
        ("limit=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
        ("limit=1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'),
        ("timeoutSeconds=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
        (
            "resourceVersion=-1",
            'invalid resource version: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": '
            "invalid syntax",
        ),
    ],
)
def test_bad_list_parameters_are_400_with_the_storage_layers_words(
    api: Api, query: str, message: str
) -> None:
    """Upstream: storage.ValidateListOptions wraps DecodeContinue's error (Go's RawURLEncoding offset, then
    encoding/json's, then the token's fields) in "invalid continue token: "; APIObjectVersioner's ParseUint
    error follows "invalid resource version: "; integer parameters fail with strconv.ParseInt's own words."""
    code, body = api.call("GET", f"{NS}/pods?{query}")
    assert (code, body["reason"], body["message"]) == (400, "BadRequest", message)


_FORBIDDEN_WITHOUT_RV = "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
_UNSUPPORTED = 'Unsupported value: "Bogus": supported values: "Exact", "NotOlderThan", ""'


@pytest.mark.parametrize(
    ("query", "causes"),
    [
        ("resourceVersionMatch=Exact", [("FieldValueForbidden", _FORBIDDEN_WITHOUT_RV)]),
        ("resourceVersion=1&resourceVersionMatch=Bogus", [("FieldValueNotSupported", _UNSUPPORTED)]),
        (
            "resourceVersion=0&resourceVersionMatch=Exact",
            [
                (
                    "FieldValueForbidden",
                    'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
            ],
        ),
        (
            "resourceVersionMatch=Bogus",
            [("FieldValueForbidden", _FORBIDDEN_WITHOUT_RV), ("FieldValueNotSupported", _UNSUPPORTED)],
        ),
    ],
)
def test_bad_resource_version_match_is_422_invalid_list_options(
    api: Api, query: str, causes: list[tuple[str, str]]
) -> None:
    """Upstream: ValidateListOptions; several errors are aggregated as "[a, b]" in the message."""
    code, body = api.call("GET", f"{NS}/pods?{query}")
    texts = [f"resourceVersionMatch: {message}" for _, message in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    assert (code, body["reason"]) == (422, "Invalid")
    assert body["message"] == f'ListOptions.meta.k8s.io "" is invalid: {joined}'
    assert body["details"] == {
        "group": "meta.k8s.io",
        "kind": "ListOptions",
        "causes": [{"reason": r, "message": m, "field": "resourceVersionMatch"} for r, m in causes],
    }


def test_resource_version_match_with_a_resource_version_is_served(api: Api) -> None:
    code, body = api.call("GET", f"{NS}/pods?resourceVersion=1&resourceVersionMatch=NotOlderThan")
    assert (code, body["kind"]) == (200, "PodList")


@pytest.mark.parametrize(
    "query", ["resourceVersionMatch=Exact", "limit=1", "resourceVersionMatch=Exact&limit=1"]
)
def test_list_at_a_compacted_resource_version_is_410_the_list_is_too_old(
    emu: Any, api: Api, query: str
) -> None:
    """Upstream (etcd3 store, interpretListError): an exact list below the compaction answers 410 Expired
    "The resourceVersion for the provided list is too old." (a watch says "too old resource version: N (M)")."""
    _, before = api.call("GET", f"{NS}/pods")
    old = before["metadata"]["resourceVersion"]
    api.call("POST", f"{NS}/configmaps", {"metadata": {"name": f"compact-{query.count('=')}{len(query)}"}})
    emu.call(emu.emulator.faults.compact)
    code, body = api.call("GET", f"{NS}/pods?resourceVersion={old}&{query}")
    assert (code, body["reason"], body["message"]) == (
        410,
        "Expired",
        "The resourceVersion for the provided list is too old.",
    )


_DEFAULT_FIELDS = 'is not a known field selector: only "metadata.name", "metadata.namespace"'


@pytest.mark.parametrize(
    ("path", "selector", "message"),
    [
        ("/api/v1/namespaces/default/configmaps", "spec.bogus=x", f'"spec.bogus" {_DEFAULT_FIELDS}'),
        ("/apis/apps/v1/namespaces/default/deployments", "spec.bogus=x", f'"spec.bogus" {_DEFAULT_FIELDS}'),
        (
            "/apis/apps/v1/namespaces/default/replicasets",
            "status.replicas=1",
            f'"status.replicas" {_DEFAULT_FIELDS}',
        ),
        (
            "/apis/coordination.k8s.io/v1/namespaces/default/leases",
            "spec.bogus=x",
            f'"spec.bogus" {_DEFAULT_FIELDS}',
        ),
        ("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", "a=b", f'"a" {_DEFAULT_FIELDS}'),
        ("/api/v1/namespaces/default/services", "spec.bogus=x", "field label not supported: spec.bogus"),
        ("/api/v1/namespaces/default/secrets", "spec.bogus=x", "field label not supported: spec.bogus"),
        ("/api/v1/nodes", "metadata.namespace=x", "field label not supported: metadata.namespace"),
    ],
)
def test_unsupported_field_selectors_name_the_conversion_that_rejected_them(
    api: Api, path: str, selector: str, message: str
) -> None:
    """Upstream: kinds that register field label conversions (pods, services, secrets, events, nodes, ...)
    answer "field label not supported: X"; the others (configmaps, every apps/v1 kind, leases, ...) fall back
    to runtime.DefaultMetaV1FieldSelectorConversion, which names the two fields it knows, each quoted."""
    code, body = api.call("GET", f"{path}?fieldSelector={quote(selector)}")
    assert (code, body["reason"], body["message"]) == (400, "BadRequest", message)


def test_a_watch_from_an_unparsable_resource_version_is_a_500_before_the_stream(api: Api) -> None:
    """Upstream: the cacher's ParseResourceVersion error is not an API status, so the handler answers 500
    with the error's text and no reason, instead of starting the stream."""
    code, body = api.call("GET", f"{NS}/pods?watch=1&resourceVersion=abc")
    assert (code, body) == (
        500,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
            "code": 500,
        },
    )


@pytest.mark.parametrize(
    ("query", "causes"),
    [
        (
            "sendInitialEvents=true",
            [
                (
                    "FieldValueForbidden",
                    "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                )
            ],
        ),
        (
            "resourceVersionMatch=NotOlderThan",
            [
                (
                    "FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                )
            ],
        ),
        (
            "resourceVersionMatch=Exact&resourceVersion=1",
            [
                (
                    "FieldValueForbidden",
                    "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ),
                ("FieldValueNotSupported", 'Unsupported value: "Exact": supported values: "NotOlderThan"'),
            ],
        ),
    ],
)
def test_watch_list_options_are_validated_before_the_stream(
    api: Api, query: str, causes: list[tuple[str, str]]
) -> None:
    """Upstream: validateWatchOptions - sendInitialEvents and resourceVersionMatch=NotOlderThan go together."""
    code, body = api.call("GET", f"{NS}/pods?watch=1&{query}")
    texts = [f"resourceVersionMatch: {m}" for _, m in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    assert (code, body["reason"], body["message"]) == (
        422,
        "Invalid",
        f'ListOptions.meta.k8s.io "" is invalid: {joined}',
    )
    assert body["details"]["causes"] == [
        {"reason": r, "message": m, "field": "resourceVersionMatch"} for r, m in causes
    ]


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("tailLines=x", 400, 'strconv.ParseInt: parsing "x": invalid syntax'),
        ("sinceSeconds=x", 400, 'strconv.ParseInt: parsing "x": invalid syntax'),
        (
            "tailLines=-1",
            422,
            'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
        ),
        (
            "tailLines=-1&limitBytes=0",
            422,
            'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, '
            "limitBytes: Invalid value: 0: must be greater than 0]",
        ),
        (
            "sinceSeconds=0",
            422,
            'PodLogOptions "web" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0',
        ),
        (
            "sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z",
            422,
            'PodLogOptions "web" is invalid: []: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be '
            "specified",
        ),
        ("container=nosuch", 400, "container nosuch is not valid for pod web"),
        ("stream=All", 422, 'PodLogOptions "web" is invalid: stream: Forbidden: may not be specified'),
        ("stream=", 422, 'PodLogOptions "web" is invalid: stream: Forbidden: may not be specified'),
        (
            "stream=Stdout&limitBytes=0",
            422,
            'PodLogOptions "web" is invalid: [limitBytes: Invalid value: 0: must be greater than 0, '
            "stream: Forbidden: may not be specified]",
        ),
    ],
)
def test_pod_log_options_are_checked_like_the_apiserver(
    api: Api, query: str, code: int, message: str
) -> None:
    """Upstream: query conversion (400), ValidatePodLogOptions (422 Invalid PodLogOptions), then the pod's
    container (400)."""
    got, body = api.call("GET", f"{NS}/pods/web/log?{query}")
    assert (got, body["message"]) == (code, message)


def test_the_stream_option_is_refused_like_the_apiserver(api: Api) -> None:
    """A v1.36 API server (PodLogsQuerySplitStreams off) refuses ``stream`` with a FieldValueForbidden cause,
    before it looks the pod up."""
    code, body = api.call("GET", f"{NS}/pods/nosuch/log?stream=Stderr")
    assert (code, body["reason"], body["details"]["kind"]) == (422, "Invalid", "PodLogOptions")
    assert body["details"]["causes"] == [
        {"reason": "FieldValueForbidden", "message": "Forbidden: may not be specified", "field": "stream"}
    ]


def test_pod_log_options_are_validated_before_the_pod_is_looked_up(api: Api) -> None:
    code, body = api.call("GET", f"{NS}/pods/nosuch/log?tailLines=-1")
    assert (code, body["details"]["name"], body["details"]["kind"]) == (422, "nosuch", "PodLogOptions")
    code, body = api.call("GET", f"{NS}/pods/nosuch/log?tailLines=1")
    assert (code, body["message"]) == (404, 'pods "nosuch" not found')


def test_logs_of_a_pod_with_several_containers_need_a_container_name(api: Api) -> None:
    """Upstream (pod strategy validateContainer): the names in VisitContainers order, Go's %s of a slice."""
    spec = {
        "initContainers": [{"name": "init", "image": "busybox"}],
        "containers": [{"name": "worker", "image": "busybox"}, {"name": "sidecar", "image": "busybox"}],
    }
    api.call("POST", f"{NS}/pods", {"metadata": {"name": "two-containers"}, "spec": spec})
    code, body = api.call("GET", f"{NS}/pods/two-containers/log")
    assert (code, body["message"]) == (
        400,
        "a container name must be specified for pod two-containers, choose one of: [init worker sidecar]",
    )
    assert api.call("GET", f"{NS}/pods/two-containers/log?container=sidecar")[0] == 200
