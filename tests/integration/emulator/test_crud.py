"""CRUD semantics of the emulated apiserver, each copying a kube-apiserver behaviour (named per test)."""

from __future__ import annotations

from typing import Any

from tests.integration.clihelpers import Api, pod

LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"


def lease(name: str, holder: str = "a") -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": name},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 10},
    }


def test_create_sets_metadata_and_a_global_increasing_resource_version(api: Api) -> None:
    """Upstream: the store sets uid/creationTimestamp; resourceVersion is etcd's global revision (a string)."""
    c1, a = api.call("POST", LEASES, lease("rv-a"))
    c2, b = api.call(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "rv-b"}, "data": {"k": "v"}}
    )
    assert (c1, c2) == (201, 201)
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    assert a["metadata"]["uid"] and a["metadata"]["creationTimestamp"].endswith("Z")
    assert a["metadata"]["namespace"] == "default"
    assert (a["apiVersion"], a["kind"]) == ("coordination.k8s.io/v1", "Lease")


def test_get_missing_object_is_a_404_not_found_status(api: Api) -> None:
    """Upstream: errors.NewNotFound -> Status{reason NotFound, details{name, kind=resource}}."""
    code, body = api.call("GET", "/api/v1/namespaces/default/pods/nope")
    assert code == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "kind": "pods"},
        "code": 404,
    }
    code, body = api.call("GET", LEASES + "/nope")
    assert body["message"] == 'leases.coordination.k8s.io "nope" not found'
    assert body["details"] == {"name": "nope", "group": "coordination.k8s.io", "kind": "leases"}


def test_post_of_an_existing_name_is_409_already_exists(api: Api) -> None:
    """Upstream: errors.NewAlreadyExists on create of an existing key."""
    api.call("POST", LEASES, lease("dup"))
    code, body = api.call("POST", LEASES, lease("dup"))
    assert code == 409
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'leases.coordination.k8s.io "dup" already exists'
    assert body["details"] == {"name": "dup", "group": "coordination.k8s.io", "kind": "leases"}


def test_put_with_a_stale_resource_version_is_409_conflict(api: Api) -> None:
    """Upstream: GuaranteedUpdate with a mismatched precondition -> errors.NewConflict (optimistic locking)."""
    _, obj = api.call("POST", LEASES, lease("cas"))
    obj["spec"]["holderIdentity"] = "b"
    code, updated = api.call("PUT", LEASES + "/cas", obj)
    assert code == 200
    assert int(updated["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    obj["spec"]["holderIdentity"] = "c"  # still carries the old resourceVersion
    code, body = api.call("PUT", LEASES + "/cas", obj)
    assert code == 409
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Operation cannot be fulfilled on leases.coordination.k8s.io "cas": the object has '
        "been modified; please apply your changes to the latest version and try again",
        "reason": "Conflict",
        "details": {"name": "cas", "group": "coordination.k8s.io", "kind": "leases"},
        "code": 409,
    }


def test_put_without_resource_version_is_an_unconditional_update(api: Api) -> None:
    """Upstream: AllowUnconditionalUpdate() is true for most types: an empty resourceVersion skips the check."""
    api.call("POST", LEASES, lease("uncond"))
    code, body = api.call("PUT", LEASES + "/uncond", lease("uncond", "z"))
    assert code == 200 and body["spec"]["holderIdentity"] == "z"


def test_put_creates_a_missing_lease_but_not_a_missing_pod(api: Api) -> None:
    """Upstream: AllowCreateOnUpdate() is true for leases (and events, endpoints), false for pods."""
    code, body = api.call("PUT", LEASES + "/put-created", lease("put-created"))
    assert code == 201 and body["metadata"]["resourceVersion"]
    code, body = api.call("PUT", "/api/v1/namespaces/default/pods/put-pod", pod("put-pod"))
    assert (code, body["reason"]) == (404, "NotFound")


def test_unchanged_put_does_not_bump_the_resource_version(api: Api) -> None:
    """Upstream: GuaranteedUpdate skips the etcd write when the new object equals the stored one."""
    _, obj = api.call("POST", LEASES, lease("noop"))
    _, again = api.call("PUT", LEASES + "/noop", obj)
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_name_mismatch_and_namespace_mismatch_are_400(api: Api) -> None:
    """Upstream: rest.BeforeUpdate/handlers check the body's name and namespace against the URL."""
    code, body = api.call("PUT", LEASES + "/x", lease("y"))
    assert (code, body["reason"]) == (400, "BadRequest")
    assert body["message"] == "the name of the object (y) does not match the name on the URL (x)"
    other = lease("z")
    other["metadata"]["namespace"] = "kube-system"
    code, body = api.call("POST", LEASES, other)
    assert code == 400
    assert body["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request"
    )


def test_invalid_json_body_is_400(api: Api) -> None:
    """Upstream: a body that does not decode answers 400 BadRequest."""
    import json
    import urllib.request

    req = urllib.request.Request(api.url + LEASES, data=b"{not json", method="POST")
    req.add_header("Authorization", f"Bearer {api.token}")
    req.add_header("Content-Type", "application/json")
    try:
        urllib.request.urlopen(req, context=api.ctx, timeout=10)
        raise AssertionError("expected an HTTP error")
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
        assert (exc.code, body["reason"], body["kind"]) == (400, "BadRequest", "Status")


def test_create_in_a_missing_namespace_is_404_for_the_namespace(api: Api) -> None:
    """Upstream: the NamespaceLifecycle admission plugin answers namespaces "x" not found."""
    code, body = api.call("POST", "/api/v1/namespaces/ghost/pods", pod("p", "ghost"))
    assert code == 404
    assert body["message"] == 'namespaces "ghost" not found'
    assert body["details"] == {"name": "ghost", "kind": "namespaces"}


def test_missing_name_is_422_invalid_and_generate_name_fills_it(api: Api) -> None:
    """Upstream: ValidateObjectMeta requires name or generateName; generateName appends 5 random chars."""
    code, body = api.call("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {}})
    assert (code, body["reason"]) == (422, "Invalid")
    assert (
        body["message"]
        == 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'
    )
    code, body = api.call(
        "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"generateName": "gen-"}}
    )
    assert code == 201
    assert body["metadata"]["name"].startswith("gen-") and len(body["metadata"]["name"]) == 9


def test_delete_returns_status_for_leases_and_the_object_for_pods(api: Api) -> None:
    """Upstream: the generic registry answers a Status{Success} unless deletion is graceful (pods)."""
    _, created = api.call("POST", LEASES, lease("gone"))
    code, body = api.call("DELETE", LEASES + "/gone")
    assert code == 200
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": "gone",
            "group": "coordination.k8s.io",
            "kind": "leases",
            "uid": created["metadata"]["uid"],
        },
    }
    assert api.call("GET", LEASES + "/gone")[0] == 404
    api.call("POST", "/api/v1/namespaces/default/pods", pod("del-pod"))
    code, body = api.call("DELETE", "/api/v1/namespaces/default/pods/del-pod")
    assert code == 200 and body["kind"] == "Pod" and body["metadata"]["deletionTimestamp"]
    assert api.call("DELETE", "/api/v1/namespaces/default/pods/del-pod")[0] == 404


def test_delete_precondition_mismatch_is_409(api: Api) -> None:
    """Upstream: DeleteOptions.preconditions.resourceVersion must match or the delete is a Conflict."""
    api.call("POST", LEASES, lease("pre"))
    code, body = api.call("DELETE", LEASES + "/pre", {"preconditions": {"resourceVersion": "1"}})
    assert code == 409 and "Precondition failed: ResourceVersion in precondition: 1" in body["message"]


def test_deleting_a_namespace_deletes_its_objects(api: Api) -> None:
    """Upstream: the namespace controller empties a namespace before it goes (here: immediately)."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    api.call("POST", "/api/v1/namespaces/doomed/pods", pod("p", "doomed"))
    code, body = api.call("DELETE", "/api/v1/namespaces/doomed")
    assert code == 200 and body["status"]["phase"] == "Terminating"
    assert api.call("GET", "/api/v1/namespaces/doomed/pods/p")[0] == 404
    assert api.call("GET", "/api/v1/namespaces/doomed")[0] == 404


def test_deletecollection_deletes_matching_objects_and_returns_them(api: Api) -> None:
    """Upstream: DELETE on a collection honours label selectors and returns the deleted list."""
    api.call("POST", "/api/v1/namespaces", {"metadata": {"name": "coll"}})
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        api.call(
            "POST", "/api/v1/namespaces/coll/configmaps", {"metadata": {"name": name, "labels": {"t": tier}}}
        )
    code, body = api.call("DELETE", "/api/v1/namespaces/coll/configmaps?labelSelector=t%3Dx")
    assert code == 200 and body["kind"] == "ConfigMapList"
    assert sorted(i["metadata"]["name"] for i in body["items"]) == ["a", "b"]
    _, left = api.call("GET", "/api/v1/namespaces/coll/configmaps")
    assert [i["metadata"]["name"] for i in left["items"]] == ["c"]


def test_status_subresource_changes_only_status_and_main_resource_ignores_status(api: Api) -> None:
    """Upstream: pod strategies reset status on main-resource updates and everything but status on /status."""
    _, created = api.call("POST", "/api/v1/namespaces/default/pods", pod("st", phase="Pending"))
    created["status"]["phase"] = "Running"
    created["metadata"]["labels"] = {"changed": "yes"}
    code, body = api.call("PUT", "/api/v1/namespaces/default/pods/st", created)
    assert (
        code == 200
        and body["status"]["phase"] == "Pending"
        and body["metadata"]["labels"] == {"changed": "yes"}
    )
    body["status"]["phase"] = "Running"
    body["metadata"]["labels"] = {"changed": "again"}
    code, st = api.call("PUT", "/api/v1/namespaces/default/pods/st/status", body)
    assert (
        code == 200 and st["status"]["phase"] == "Running" and st["metadata"]["labels"] == {"changed": "yes"}
    )


def test_generation_counts_spec_changes_only(api: Api) -> None:
    """Upstream: deployment strategy bumps metadata.generation when the spec changes (not labels/status)."""
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "gen"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    path = "/apis/apps/v1/namespaces/default/deployments"
    _, d = api.call("POST", path, dep)
    assert d["metadata"]["generation"] == 1
    _, d = api.call(
        "PATCH", path + "/gen", {"metadata": {"labels": {"x": "y"}}}, "application/merge-patch+json"
    )
    assert d["metadata"]["generation"] == 1
    _, d = api.call("PATCH", path + "/gen", {"spec": {"replicas": 3}}, "application/merge-patch+json")
    assert d["metadata"]["generation"] == 2


def test_unauthenticated_and_bad_tokens_get_401(api: Api) -> None:
    """Upstream: a request whose bearer token no authenticator accepts is 401 Unauthorized."""
    import json
    import urllib.request

    req = urllib.request.Request(api.url + "/api/v1/namespaces/default/pods")
    req.add_header("Authorization", "Bearer wrong")
    try:
        urllib.request.urlopen(req, context=api.ctx, timeout=10)
        raise AssertionError("expected 401")
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
        assert json.loads(exc.read()) == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
