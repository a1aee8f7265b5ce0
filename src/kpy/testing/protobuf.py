"""Decode a Kubernetes protobuf request body (``application/vnd.kubernetes.protobuf``) into the object's JSON.

The body is the 4-byte magic ``k8s\\x00`` and a ``runtime.Unknown`` (typeMeta = field 1, raw = field 2); raw is
the object's message, read with the field table in :mod:`kpy.testing.protoschema`. Go's gogo-protobuf writes
every non-pointer field even when it is zero, and the JSON of the same object omits those (``omitempty``), so
zeros are dropped except for pointer fields. A non-zero field the table does not know is refused (415), so
nothing the client sent is lost silently; a zero one is skipped (it carries nothing for a non-pointer field).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from kpy.gocompat.metav1 import format_micro_time, format_time
from kpy.testing.protoschema import KINDS, MESSAGES

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    """The body is not a protobuf object the emulator can read; ``unsupported`` is True for a gap in the table."""

    def __init__(self, message: str, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.unsupported = unsupported


Field = tuple[int, int, Any]  # (number, wire type, int value or bytes)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("unexpected EOF")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint overflow")


def fields(data: bytes) -> list[Field]:
    """The wire fields of one message, in order."""
    out: list[Field] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, wire, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("unexpected EOF")
            out.append((number, wire, data[pos : pos + length]))
            pos += length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            out.append((number, wire, int.from_bytes(data[pos : pos + size], "little")))
            pos += size
        else:
            raise ProtobufError(f"illegal wireType {wire} for field {number}")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _string(value: Any) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("a string field was not length-delimited")
    return value.decode("utf-8")


def _time(data: bytes, micro: bool = False) -> str | None:
    seconds = nanos = 0
    for number, _, value in fields(data):
        if number == 1:
            seconds = _signed(value)
        elif number == 2:
            nanos = _signed(value)
    if seconds == 0 and nanos == 0:
        return None
    stamp = datetime.fromtimestamp(seconds, tz=UTC)
    return format_micro_time(stamp.replace(microsecond=nanos // 1000)) if micro else format_time(stamp)


def _int_or_string(data: bytes) -> int | str:
    kind, ival, sval = 0, 0, ""
    for number, _, value in fields(data):
        if number == 1:
            kind = value
        elif number == 2:
            ival = _signed(value)
        elif number == 3:
            sval = _string(value)
    return sval if kind == 1 else ival


def _special(name: str, data: bytes) -> tuple[bool, Any]:
    """Messages whose JSON is not an object: (handled, value)."""
    if name in ("Time", "MicroTime"):
        return True, _time(data, micro=name == "MicroTime")
    if name == "Quantity":
        return True, next((_string(v) for n, _, v in fields(data) if n == 1), "")
    if name == "IntOrString":
        return True, _int_or_string(data)
    if name in ("FieldsV1", "RawExtension"):
        raw = next((v for n, _, v in fields(data) if n == 1), b"")
        return True, json.loads(raw) if raw else None
    return False, None


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind == "string":
        return _string(value)
    if kind == "bytes":
        return base64.b64encode(value).decode() if isinstance(value, bytes) else ""
    if kind == "bool":
        return bool(value)
    if kind == "int":
        if wire != 0:
            raise ProtobufError("an integer field was not a varint")
        return _signed(value)
    raise ProtobufError(f"unknown scalar type {kind}", unsupported=True)


def _map_entry(data: bytes, kind: str) -> tuple[str, Any]:
    key, val = "", None
    for number, wire, value in fields(data):
        if number == 1:
            key = _string(value)
        elif number == 2:
            val = _value(kind, wire, value)
    if val is None:
        val = "" if kind in ("string", "bytes", "Quantity") else None
    return key, val


def _value(kind: str, wire: int, value: Any) -> Any:
    if kind[:1].isupper():
        if not isinstance(value, bytes):
            raise ProtobufError(f"field of type {kind} was not length-delimited")
        return decode_message(kind, value)
    return _scalar(kind, wire, value)


def decode_message(name: str, data: bytes) -> Any:
    """One message as its JSON value (an object, or a string/number for Time, Quantity, IntOrString ...)."""
    handled, special = _special(name, data)
    if handled:
        return special
    schema = MESSAGES.get(name)
    if schema is None:
        raise ProtobufError(f"message {name} is not supported", unsupported=True)
    out: dict[str, Any] = {}
    for number, wire, value in fields(data):
        spec = schema.get(number)
        if spec is None:
            if value in (0, b""):
                continue  # a zero value of a field we do not model carries nothing
            raise ProtobufError(f"field {number} of {name} is not supported", unsupported=True)
        json_name, kind = spec
        pointer = kind.startswith("?")
        kind = kind.lstrip("?")
        if kind.startswith("{"):
            key, val = _map_entry(value, kind[1:])
            out.setdefault(json_name, {})[key] = val
        elif kind.startswith("["):
            item = _value(kind[1:], wire, value)
            out.setdefault(json_name, []).append(item)
        elif json_name == "":
            inlined = _value(kind, wire, value)
            if isinstance(inlined, dict):
                out.update(inlined)
        else:
            val = _value(kind, wire, value)
            if val is None or (not pointer and not kind[:1].isupper() and val in ("", 0) and val is not True):
                continue
            out[json_name] = val
    return out


def decode_object(body: bytes) -> dict[str, Any]:
    """A whole request body: magic + runtime.Unknown → the object's JSON with apiVersion and kind."""
    if not body.startswith(MAGIC):
        raise ProtobufError(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    api_version = kind = ""
    raw = b""
    for number, _, value in fields(body[len(MAGIC) :]):
        if number == 1:
            for n, _, v in fields(value):
                if n == 1:
                    api_version = _string(v)
                elif n == 2:
                    kind = _string(v)
        elif number == 2:
            raw = value
    message = KINDS.get((api_version, kind))
    if message is None:
        raise ProtobufError(f"no protobuf support for {kind} in {api_version or 'v1'}", unsupported=True)
    obj = decode_message(message, raw)
    return {"apiVersion": api_version, "kind": kind, **obj}
