from __future__ import annotations

import io
import json
from typing import Any

import pytest

from kpy.errors import UsageError
from kpy.events.commands import use_color
from kpy.events.tail import (
    EventFilter,
    EventRenderer,
    EventView,
    TailOptions,
    TailState,
    human_duration,
    interval,
    parse_types,
    sort_events,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def stamp(seconds_ago: float) -> str:
    from kpy.gocompat.metav1 import format_time

    return format_time(NOW - seconds_ago)


def core(
    name: str,
    *,
    ago: float = 5,
    first_ago: float | None = None,
    count: int = 1,
    type_: str = "Normal",
    reason: str = "Pulled",
    message: str = "pulled image",
    ns: str = "default",
    rv: str = "1",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "resourceVersion": rv},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": ns},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "lastTimestamp": stamp(ago),
        "firstTimestamp": stamp(ago if first_ago is None else first_ago),
        "eventTime": None,
        "source": {"component": "kubelet", "host": "node-1"},
    }


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (2 * 365 * 86400, "2y"),
        (2 * 365 * 86400 + 86400, "2y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_interval_shows_repeats_like_kubectl_events() -> None:
    assert interval(EventView(core("a", ago=5)), NOW) == "5s"
    assert interval(EventView(core("a", ago=5, first_ago=180, count=5)), NOW) == "5s (x5 over 3m)"


def test_interval_uses_series_and_event_time_of_events_k8s_io() -> None:
    from kpy.gocompat.metav1 import format_micro_time

    ev = {
        "metadata": {"name": "x"},
        "eventTime": format_micro_time(NOW - 600),
        "series": {"count": 4, "lastObservedTime": format_micro_time(NOW - 30)},
        "regarding": {"kind": "Pod", "name": "web"},
        "note": "hello",
        "type": "Warning",
        "reason": "R",
    }
    view = EventView(ev)
    assert interval(view, NOW) == "30s (x4 over 10m)"
    assert view.object == "Pod/web" and view.message == "hello"
    assert interval(EventView({"metadata": {}}), NOW) == "<unknown>"


def test_sort_is_series_then_last_timestamp_then_event_time_oldest_first() -> None:
    from kpy.gocompat.metav1 import format_micro_time

    a = core("a", ago=100)
    b = {"metadata": {"name": "b"}, "eventTime": format_micro_time(NOW - 50)}
    c = core("c", ago=500)
    c["series"] = {"count": 2, "lastObservedTime": format_micro_time(NOW - 10)}
    d = core("d", ago=300)
    assert [e["metadata"]["name"] for e in sort_events([a, b, c, d])] == ["d", "a", "b", "c"]


def test_types_are_validated_case_insensitively() -> None:
    assert parse_types("warning,Normal") == ("Warning", "Normal")
    assert parse_types(None) == ()
    with pytest.raises(UsageError, match="valid --types are Normal or Warning"):
        parse_types("Error")


def test_filter_by_type_and_since() -> None:
    f = EventFilter(("Warning",), 60, lambda: NOW)
    assert f.accepts(core("a", type_="Warning", ago=10))
    assert not f.accepts(core("b", type_="Normal", ago=10))
    assert not f.accepts(core("c", type_="Warning", ago=61))


class _ListingClient:
    """A client whose every list answers ``events`` in one page."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    async def get_json(
        self, path: str, params: Any = None, timeout: Any = None, *, lean: bool = False
    ) -> dict[str, Any]:
        return {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": self.events}


def test_filter_by_type_and_since_reads_table_entries_as_events() -> None:
    """The --no-watch table filters the entries it reads each event into: the same answers as for events,
    series and repeats included (their sort time is what --since compares)."""
    from kpy.events.tail import table_entry
    from kpy.gocompat.metav1 import format_micro_time

    f = EventFilter(("Warning",), 60, lambda: NOW)
    series = core("s", type_="Warning", ago=600)
    series["series"] = {"count": 3, "lastObservedTime": format_micro_time(NOW - 5)}
    events = [
        core("a", type_="Warning", ago=10),
        core("b", type_="Normal", ago=10),
        core("c", type_="Warning", ago=61),
        core("d", type_="Warning", ago=10, first_ago=600, count=4),
        series,
        {"metadata": {"name": "bare"}, "type": "Warning"},  # no time at all: kept, as kubectl's --since would
    ]
    assert [f.accepts_entry(table_entry(e)) for e in events] == [f.accepts(e) for e in events]
    assert [f.accepts(e) for e in events] == [True, False, False, True, True, True]


def test_the_no_watch_table_applies_types_and_since() -> None:
    import asyncio

    from kpy.events.tail import tail_events

    events = [
        core("old", ago=600, type_="Warning"),
        core("normal", ago=5),
        core("new", ago=5, type_="Warning"),
    ]

    out = io.StringIO()
    options = TailOptions(namespace="default", watch=False, types=("Warning",), since=60)
    printed = asyncio.run(tail_events(_ListingClient(events), options, out, now=lambda: NOW))  # type: ignore[arg-type]
    assert printed == 1
    assert out.getvalue() == reference_table([events[2]], all_namespaces=False)


def render(events: list[dict[str, Any]], **kw: Any) -> str:
    out = io.StringIO()
    r = EventRenderer(out, TailOptions(**kw), now=lambda: NOW)
    r.print_events(events)
    return out.getvalue()


def test_table_columns_like_kubectl_events() -> None:
    text = render(
        [
            core("a", ago=5),
            core(
                "b",
                ago=2,
                first_ago=180,
                count=5,
                type_="Warning",
                reason="BackOff",
                message="Back-off restarting\n",
            ),
        ],
        namespace="default",
    )
    assert text.splitlines() == [
        "LAST SEEN         TYPE      REASON    OBJECT    MESSAGE",
        "5s                Normal    Pulled    Pod/web   pulled image",
        "2s (x5 over 3m)   Warning   BackOff   Pod/web   Back-off restarting",
    ]


def test_all_namespaces_adds_namespace_column_and_no_headers_drops_header() -> None:
    text = render([core("a", ns="kube-system")], namespace=None, no_headers=True)
    assert text.splitlines() == ["kube-system   5s    Normal   Pulled   Pod/web   pulled image"]


@pytest.mark.parametrize("output", ["wide", "custom-columns=A:.x", "bogus=x"])
def test_outputs_kubectl_events_has_no_printer_for_are_refused(output: str) -> None:
    with pytest.raises(UsageError) as info:
        render([core("a")], namespace="default", output=output)
    assert info.value.format() == (
        f'error: unable to match a printer suitable for the output format "{output}", allowed formats are: '
        "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"
    )


def test_json_prints_an_event_list_without_watch_and_single_events_while_following() -> None:
    out = io.StringIO()
    EventRenderer(out, TailOptions(namespace="default", output="json", watch=False)).print_events([core("a")])
    listed = json.loads(out.getvalue())
    assert listed["kind"] == "EventList" and listed["metadata"] == {}
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    out = io.StringIO()
    r = EventRenderer(out, TailOptions(namespace="default", output="json"), now=lambda: NOW)
    r.print_events([core("a")])
    r.print_event(core("b"))
    decoder = json.JSONDecoder()
    text = out.getvalue()
    first, end = decoder.raw_decode(text)
    second, _ = decoder.raw_decode(text[end:].lstrip())
    assert [first["kind"], second["kind"]] == ["Event", "Event"]
    assert [first["metadata"]["name"], second["metadata"]["name"]] == ["a", "b"]


def test_following_yaml_separates_documents_and_name_without_watch_prints_nothing() -> None:
    out = io.StringIO()
    EventRenderer(out, TailOptions(namespace="default", output="yaml")).print_events([core("a"), core("b")])
    assert out.getvalue().count("\n---\n") == 1 and not out.getvalue().startswith("---")
    out = io.StringIO()
    r = EventRenderer(out, TailOptions(namespace="default", output="name", watch=False))
    r.print_events([core("a")])
    assert out.getvalue() == "" and r.printed == 1  # kubectl's name printer refuses the EventList
    out = io.StringIO()
    EventRenderer(out, TailOptions(namespace="default", output="name")).print_events([core("a")])
    assert out.getvalue() == "event/a\n"


def test_warning_rows_are_highlighted_only_when_color_is_on() -> None:
    events = [core("a"), core("b", type_="Warning")]
    plain = render(events, namespace="default")
    colored = render(events, namespace="default", color=True)
    assert "\x1b[" not in plain
    lines = colored.splitlines()
    assert "\x1b[" not in lines[1] and "\x1b[" in lines[2] and "Warning" in lines[2]


def test_color_needs_a_tty_and_no_NO_COLOR() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color(Tty(), {})
    assert not use_color(Tty(), {"NO_COLOR": "1"})
    assert not use_color(io.StringIO(), {})


def test_tail_state_prints_each_uid_and_resource_version_once() -> None:
    s = TailState()
    assert s.first_time(core("a", rv="1"))
    assert not s.first_time(core("a", rv="1"))
    assert s.first_time(core("a", rv="2", count=2))
    assert s.duplicates == 1


def test_streamed_json_list_is_byte_identical_to_the_whole_list_encoded() -> None:
    from kpy.events.typed import event_list, go_struct_json

    events = [core("a"), core("b", type_="Warning", message='<x> & "y"\nz'), core("c", count=3)]
    out = io.StringIO()
    EventRenderer(out, TailOptions(namespace="default", output="json", watch=False)).print_events(events)
    assert out.getvalue() == go_struct_json(event_list(events)) + "\n"


def reference_table(events: list[dict[str, Any]], all_namespaces: bool) -> str:
    """The events table built the plain way: one EventView per event, ``interval`` per row, one tabwriter row
    at a time (what the renderer did before it formatted whole columns)."""
    from kpy.printers.table import TabWriter

    out = io.StringIO()
    writer = TabWriter(out)
    writer.add(
        (["NAMESPACE"] if all_namespaces else []) + ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    )
    for event in events:
        v = EventView(event)
        cells = [interval(v, NOW), v.type, v.reason, v.object, " ".join(v.message.strip().splitlines())]
        writer.add(([v.namespace] if all_namespaces else []) + cells)
    writer.flush()
    return out.getvalue()


def test_table_rows_are_those_of_the_plain_way_for_odd_events() -> None:
    """Missing fields, both APIs' names, series, repeats, counts as text, line breaks of every kind, unicode,
    tabs, other namespaces: the column-wise table prints what one row at a time did."""
    import random

    from kpy.gocompat.metav1 import format_micro_time

    rng = random.Random(3)
    messages = [
        "",
        "  padded  ",
        "two\nlines",
        "crlf\r\nend",
        "sep\u2028x\x85y\x0cz",
        "tab\tin",
        "名前 ✓",
        "a\x00b",
    ]
    events: list[dict[str, Any]] = []
    for i in range(300):
        e = core(f"e{i}", ago=rng.choice([0, 5, 5, 200, 90000]), count=rng.choice([0, 1, 2, 7]))
        e["message"] = rng.choice(messages)
        e["metadata"]["namespace"] = rng.choice(["default", "kube-system", "ns-ü"])
        roll = rng.random()
        if roll < 0.15:  # events.k8s.io names, a series
            for old, new in (("involvedObject", "regarding"), ("message", "note")):
                e[new] = e.pop(old)
            e["series"] = {"count": rng.randint(2, 9), "lastObservedTime": format_micro_time(NOW - 3)}
            e["eventTime"] = format_micro_time(NOW - 700)
        elif roll < 0.25:  # missing timestamps, type and count
            for key in ("lastTimestamp", "firstTimestamp", "type", "count"):
                e.pop(key, None)
        elif roll < 0.3:
            e["count"] = "3"
            e["involvedObject"] = {}
        events.append(e)
    for all_namespaces in (False, True):
        ns = None if all_namespaces else "default"
        assert render(events, namespace=ns) == reference_table(events, all_namespaces)


def test_the_no_watch_list_is_sorted_stably_and_printed_once() -> None:
    """Ties keep the server's order (kubectl's sort is unstable; kpy's is the list order); one uid and
    resourceVersion twice is printed once."""
    import asyncio

    from kpy.events.tail import tail_events

    same = [core(f"tie{i}", ago=60) for i in range(5)]
    events = [core("new", ago=1), *same, core("old", ago=600), core("tie0", ago=60)]

    out = io.StringIO()
    options = TailOptions(namespace="default", watch=False)
    printed = asyncio.run(tail_events(_ListingClient(events), options, out, now=lambda: NOW))  # type: ignore[arg-type]
    assert printed == 7
    assert [line.split()[0] for line in out.getvalue().splitlines()[1:]] == ["10m", *["60s"] * 5, "1s"]
    assert out.getvalue() == reference_table([events[6], *same, events[0]], all_namespaces=False)
