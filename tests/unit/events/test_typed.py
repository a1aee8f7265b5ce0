"""Events decoded the way ``kubectl events`` decodes them (typed ``corev1.Event``), on hand-made inputs."""

from __future__ import annotations

from kpy.events.typed import event_list, go_struct_json, typed_event

SERVER_EVENT = {  # keys sorted, as an unstructured client sees them, with fields the type has not
    "action": "",
    "count": 0,
    "eventTime": None,
    "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": "default"},
    "message": "a <b> & c",
    "metadata": {
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "labels": {"b": "2", "a": "1"},
        "managedFields": [{"manager": "kpy", "operation": "Update", "apiVersion": "v1"}],
        "name": "web.1",
        "namespace": "default",
        "resourceVersion": "7",
        "uid": "u-1",
    },
    "reason": "Pulled",
    "series": {"count": 2, "lastObservedTime": "2024-01-01T00:00:01.000000Z"},
    "notAField": "dropped",
    "type": "Normal",
}


def test_struct_order_omitempty_and_always_written_fields() -> None:
    typed = typed_event(SERVER_EVENT)
    assert list(typed) == [
        "kind",
        "apiVersion",
        "metadata",
        "involvedObject",
        "reason",
        "message",
        "source",
        "firstTimestamp",
        "lastTimestamp",
        "type",
        "eventTime",
        "series",
        "reportingComponent",
        "reportingInstance",
    ]
    assert (typed["kind"], typed["apiVersion"]) == ("Event", "v1")  # kubectl fills in an empty GVK
    assert typed["source"] == {} and typed["firstTimestamp"] is None and typed["reportingComponent"] == ""
    assert list(typed["metadata"]) == [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "labels",
    ]
    assert list(typed["metadata"]["labels"]) == ["a", "b"]
    assert list(typed["involvedObject"]) == ["kind", "namespace", "name", "apiVersion"]


def test_managed_fields_only_when_asked_for() -> None:
    assert "managedFields" not in typed_event(SERVER_EVENT)["metadata"]
    kept = typed_event(SERVER_EVENT, show_managed_fields=True)["metadata"]["managedFields"]
    assert kept == [{"manager": "kpy", "operation": "Update", "apiVersion": "v1"}]


def test_event_list_and_go_escaping() -> None:
    text = go_struct_json(event_list([SERVER_EVENT]))
    assert text.startswith(
        '{\n    "kind": "EventList",\n    "apiVersion": "v1",\n    "metadata": {},\n    "items": [\n'
    )
    assert '"message": "a \\u003cb\\u003e \\u0026 c"' in text
