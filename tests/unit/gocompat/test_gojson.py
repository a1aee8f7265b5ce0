"""Go's encoding/json, as kubectl reports it: the scanner's messages and offsets, number limits, Marshal's form."""

from __future__ import annotations

import pytest

from kpy.gocompat import gojson


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": tru}', "json: offset 10: invalid character '}' in literal true (expecting 'e')"),
        (b'{"a": "x\\q"}', "json: offset 10: invalid character 'q' in string escape code"),
        (b'{"a": "\\u12G4"}', "json: offset 12: invalid character 'G' in \\u hexadecimal character escape"),
        (b'{"a": "x\ny"}', "json: offset 9: invalid character '\\n' in string literal"),
        (b'{"a": 1.}', "json: offset 9: invalid character '}' after decimal point in numeric literal"),
        (b'{"a": 1e+}', "json: offset 10: invalid character '}' in exponent of numeric literal"),
        (b'{"a": -x}', "json: offset 8: invalid character 'x' in numeric literal"),
        (b'{"a" 1}', "json: offset 6: invalid character '1' after object key"),
        (b'{"a": 1 "b": 2}', "json: offset 9: invalid character '\"' after object key:value pair"),
        (b"[1 2]", "json: offset 4: invalid character '2' after array element"),
        (b"{1: 2}", "json: offset 2: invalid character '1' looking for beginning of object key string"),
        (b"{'a': 1}", "json: offset 2: invalid character '\\'' looking for beginning of object key string"),
        (b'{"a": \x01}', "json: offset 7: invalid character '\\x01' looking for beginning of value"),
        (b'{"a": [1, 2', "unexpected EOF"),
        (b"{}" + b" " * 3 + b"}", "json: offset 6: invalid character '}' looking for beginning of value"),
    ],
)
def test_syntax_errors_read_like_gos(data: bytes, message: str) -> None:
    assert gojson.syntax_error(data) == message
    with pytest.raises(gojson.SyntaxError_, match="^" + __import__("re").escape(message) + "$"):
        gojson.decode_stream(data)


def test_a_stream_of_values_is_decoded_in_order() -> None:
    assert gojson.decode_stream(b' {"a": 1}\n{"b": [true, null]}  ') == [{"a": 1}, {"b": [True, None]}]


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("9223372036854775807", True),
        ("18446744073709551615", True),
        ("1" + "0" * 300, True),
        ("1" + "0" * 309, False),
        ("1e308", True),
        ("1e309", False),
        ("-1e309", False),
    ],
)
def test_numbers_beyond_float64_are_refused(number: str, ok: bool) -> None:
    if ok:
        gojson.decode_stream(b'{"n": ' + number.encode() + b"}")
    else:
        with pytest.raises(
            gojson.DecodeError, match=f"cannot unmarshal number {number} into Go value of type"
        ):
            gojson.decode_stream(b'{"n": ' + number.encode() + b"}")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"b": 1, "a": [1.5, 2.0, None, True]}, '{"a":[1.5,2,null,true],"b":1}'),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1e20, "100000000000000000000"),
        ("<a&b>", '"\\u003ca\\u0026b\\u003e"'),
    ],
)
def test_marshal_is_gos_compact_form(value: object, text: str) -> None:
    assert gojson.marshal(value) == text
