from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from kpy.errors import UsageError
from kpy.events.commands import RecordInput, RecordOptions, parse_duration, parse_line, record_all
from kpy.events.pipeline import RecordPipeline
from kpy.events.recorder import ObjectRef
from kpy.events.sink import SinkOptions

from .helpers import SOURCE


def test_parse_line_reads_the_fields() -> None:
    item = parse_line('{"for": "pod/web", "type": "Warning", "reason": "DiskPressure", "message": "full"}', 1)
    assert (item.for_object, item.type, item.reason, item.message) == (
        "pod/web",
        "Warning",
        "DiskPressure",
        "full",
    )
    assert parse_line('{"for": "node/n1", "reason": "R"}', 1).type == "Normal"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"for": "pod/web", "reason": ', "line 7: invalid JSON"),
        ("[1, 2]", "line 7: expected a JSON object"),
        ('{"for": "pod/web", "reason": "R", "colour": "red"}', "line 7: unknown field 'colour'"),
        ('{"for": "pod/web", "reason": "R", "type": "Error"}', "line 7: invalid event type 'Error'"),
        ('{"for": "web", "reason": "R"}', "line 7: --for must be in resource/name form"),
        ('{"for": "pod/web"}', 'line 7: "reason" is required'),
        ('{"for": "pod/web", "reason": 3}', "line 7: field 'reason' must be a string"),
    ],
)
def test_parse_line_errors_name_the_line(line: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_line(line, 7)
    assert str(err.value).startswith(message)


def test_options_validation() -> None:
    with pytest.raises(UsageError, match="required"):
        RecordOptions().validate()
    with pytest.raises(UsageError, match="cannot be combined"):
        RecordOptions(single=RecordInput("pod/web", "R"), from_file="-").validate()
    with pytest.raises(UsageError, match="--delivery"):
        RecordOptions(from_file="-", delivery="maybe").validate()
    with pytest.raises(UsageError, match="max batch size"):
        RecordOptions(from_file="-", sink=SinkOptions(max_batch_size=0)).validate()
    with pytest.raises(UsageError, match="--for is required"):
        RecordOptions(single=RecordInput("", "R")).validate()


def test_durations() -> None:
    assert parse_duration("10m", "--since") == 600
    with pytest.raises(UsageError, match='invalid argument "ten" for "--since" flag'):
        parse_duration("ten", "--since")


class FakeResolver:
    async def resolve(self, arg: str, namespace: str | None = None, flag: str = "--for") -> ObjectRef:
        kind, _, name = arg.partition("/")
        if kind not in ("pod", "deployment"):
            raise UsageError(f'the server doesn\'t have a resource type "{kind}"')
        return ObjectRef(kind.capitalize(), name, namespace or "default")


class MemoryWriter:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}

    async def create(self, namespace: str, event: dict[str, Any]) -> dict[str, Any]:
        self.events[event["metadata"]["name"]] = event
        return event

    async def patch(
        self, namespace: str, name: str, patch: dict[str, Any], event: dict[str, Any]
    ) -> dict[str, Any]:
        self.events[name].update(patch)
        return self.events[name]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[" * 200000, "line 1: invalid JSON: invalid character '[' exceeded max depth"),
        (
            '{"for": ' + "9" * 5000 + "}",
            "line 1: invalid JSON: json: cannot unmarshal number "
            + "9" * 5000
            + " into Go value of type float64",
        ),
        ('{"for": NaN}', "line 1: invalid JSON: invalid character 'N' looking for beginning of value"),
    ],
    ids=["deep", "digits", "nan"],
)
def test_hostile_lines_are_one_line_errors_in_gos_words(line: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_line(line, 1)
    assert str(info.value) == message


async def test_record_all_counts_bad_lines_and_records_the_rest(tmp_path: Any) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"for": "pod/web", "reason": "R", "message": "same"}',
                "not json",
                '{"for": "widget/x", "reason": "R"}',
                "",
                '{"for": "pod/web", "reason": "R", "message": "same"}',
                '{"for": "deployment/web", "reason": "D", "related": "pod/web"}',
            ]
        )
        + "\n"
    )
    writer = MemoryWriter()
    err = io.StringIO()
    pipeline = RecordPipeline(writer, sink_options=SinkOptions(throttle_qps=0), source=SOURCE)
    stats = await record_all(pipeline, FakeResolver(), RecordOptions(from_file=str(path)), err)  # type: ignore[arg-type]
    assert (stats.read, stats.created, stats.patched, stats.failed) == (5, 2, 1, 2)
    assert stats.accounted == stats.read
    assert err.getvalue().splitlines() == [
        "error: line 2: invalid JSON: invalid character 'o' in literal null (expecting 'u')",
        'error: line 3: the server doesn\'t have a resource type "widget"',
    ]
    counts = sorted((e["reason"], e["count"]) for e in writer.events.values())
    assert counts == [("D", 1), ("R", 2)]
    related = next(e for e in writer.events.values() if e["reason"] == "D")["related"]
    assert related == {"kind": "Pod", "name": "web", "namespace": "default", "apiVersion": "v1"}


async def test_missing_file_is_a_usage_error() -> None:
    pipeline = RecordPipeline(MemoryWriter(), source=SOURCE)
    with pytest.raises(UsageError, match="open /nonexistent/x"):
        await record_all(
            pipeline,
            FakeResolver(),
            RecordOptions(from_file="/nonexistent/x"),  # type: ignore[arg-type]
            io.StringIO(),
        )
    await pipeline.close()


async def test_record_all_resolves_ahead_but_records_in_input_order(tmp_path: Any) -> None:
    class SlowResolver:
        """Each object takes a while to resolve, later ones faster: only a lookahead overlaps them."""

        def __init__(self) -> None:
            self.active = 0
            self.most = 0

        async def resolve(self, arg: str, namespace: str | None = None, flag: str = "--for") -> ObjectRef:
            kind, _, name = arg.partition("/")
            self.active += 1
            self.most = max(self.most, self.active)
            try:
                await asyncio.sleep(0.02 if name.endswith("0") else 0.001)
            finally:
                self.active -= 1
            if kind == "widget":
                raise UsageError(f'the server doesn\'t have a resource type "{kind}"')
            return ObjectRef(kind.capitalize(), name, namespace or "default")

    lines = [json.dumps({"for": f"pod/p{i}", "reason": "R", "message": f"m{i}"}) for i in range(40)]
    lines[5] = '{"for": "widget/w", "reason": "R"}'
    lines[7] = "not json"
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n")
    writer = MemoryWriter()
    err = io.StringIO()
    resolver = SlowResolver()
    pipeline = RecordPipeline(writer, sink_options=SinkOptions(throttle_qps=0), source=SOURCE)
    stats = await record_all(pipeline, resolver, RecordOptions(from_file=str(path)), err)  # type: ignore[arg-type]
    assert (stats.read, stats.created, stats.failed) == (40, 38, 2)
    assert resolver.most > 1  # objects were resolved concurrently
    by_time = [  # an event's name ends in the nanotime it was recorded at
        e["message"]
        for name, e in sorted(writer.events.items(), key=lambda kv: int(kv[0].split(".")[-1], 16))
    ]
    assert by_time == [f"m{i}" for i in range(40) if i not in (5, 7)]
    assert (
        err.getvalue().splitlines()
        == [  # errors in input order, though line 8 was parsed before 6 resolved
            'error: line 6: the server doesn\'t have a resource type "widget"',
            "error: line 8: invalid JSON: invalid character 'o' in literal null (expecting 'u')",
        ]
    )
