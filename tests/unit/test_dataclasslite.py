"""``kpy.dataclasslite.dataclass`` builds classes that behave as ``dataclasses.dataclass`` builds them."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from kpy import _dataclasslite as lite

Decorator = Callable[..., Any]
BOTH = pytest.mark.parametrize("dc", [dataclasses, lite], ids=["dataclasses", "lite"])


def _make(dc: Any, frozen: bool = True) -> tuple[type, type]:
    @dc.dataclass(frozen=frozen)
    class Base:
        """A base."""

        kind: str
        tags: tuple[str, ...] = ()
        counter: ClassVar[int] = 0

    @dc.dataclass(frozen=frozen)
    class Child(Base):
        """A child."""

        size: int = 3
        items: list[int] = dc.field(default_factory=list)
        secret: str = dc.field(default="x", repr=False, compare=False)
        meta: str = dc.field(default="", metadata={"k": "v"})

    return Base, Child


@BOTH
def test_init_repr_eq_hash_match_the_real_ones(dc: Any) -> None:
    _, real = _make(dataclasses)
    _, made = _make(dc)
    for args, kwargs in (
        (("pod",), {}),
        (("pod", ("a",), 4), {"secret": "s"}),
        ((), {"kind": "svc", "items": [1]}),
    ):
        a, b = real(*args, **kwargs), made(*args, **kwargs)
        assert repr(a) == repr(b)
        assert vars(a) == vars(b) and list(vars(a)) == list(vars(b))
        assert (a == real(*args, **kwargs)) and (b == made(*args, **kwargs))
    assert made("pod", secret="a") == made("pod", secret="b")  # compare=False
    assert made("pod") != made("svc")
    assert made("pod").__eq__(object()) is NotImplemented
    assert made.__match_args__ == real.__match_args__
    assert made.counter == 0 and made.size == 3 and "items" not in made.__dict__
    with pytest.raises(TypeError):
        hash(made("pod"))  # a list field


@BOTH
def test_hash_frozen_and_not(dc: Any) -> None:
    @dc.dataclass(frozen=True)
    class Key:
        """Hashable."""

        a: str
        b: int = dc.field(default=0, compare=False)

    @dc.dataclass
    class Open:
        """Not hashable."""

        a: str

    assert hash(Key("x", 1)) == hash(Key("x", 2)) == hash(("x",))
    assert Open.__hash__ is None


@BOTH
def test_frozen_refuses_assignment_with_the_dataclasses_error(dc: Any) -> None:
    _, child = _make(dc)
    obj = child("pod")
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'kind'"):
        obj.kind = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del obj.size


@BOTH
def test_errors_of_the_decorator_and_of_init(dc: Any) -> None:
    _, child = _make(dc)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'kind'"):
        child()
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        child("pod", nope=1)
    with pytest.raises(
        TypeError, match=r"__init__\(\) takes from 2 to 7 positional arguments but 9 were given"
    ):
        child(*range(8))
    with pytest.raises(ValueError, match="mutable default"):

        @dc.dataclass
        class Mutable:
            """Refused."""

            items: list[int] = []  # noqa: RUF012

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @dc.dataclass
        class Order:
            """Refused."""

            a: int = 1
            b: int  # type: ignore[misc]

    base, _ = _make(dc, frozen=True)
    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):

        @dc.dataclass
        class Thawed(base):  # type: ignore[misc, valid-type]
            """Refused."""


@BOTH
def test_post_init_and_init_false(dc: Any) -> None:
    @dc.dataclass
    class Counted:
        """Counts."""

        a: int
        b: int = dc.field(default=0, init=False)
        c: list[int] = dc.field(default_factory=list, init=False)

        def __post_init__(self) -> None:
            self.b = self.a * 2

    obj = Counted(2)
    assert (obj.b, obj.c) == (4, [])
    with pytest.raises(TypeError):
        Counted(1, 2)  # type: ignore[call-arg]


def test_dataclasses_functions_work_on_the_classes() -> None:
    _, real = _make(dataclasses)
    _, made = _make(lite)
    assert dataclasses.is_dataclass(made) and dataclasses.is_dataclass(made("pod"))
    assert [f.name for f in dataclasses.fields(made)] == [f.name for f in dataclasses.fields(real)]
    assert [f.name for f in lite.fields(made)] == [f.name for f in dataclasses.fields(real)]
    assert lite.fields(made)[-1].metadata["k"] == "v"
    assert dataclasses.fields(made)[-1].metadata["k"] == "v"
    obj = made("pod", items=[1])
    for replace in (dataclasses.replace, lite.replace):
        changed = replace(obj, size=9)
        assert type(changed) is made and changed.size == 9 and changed.items == [1]
    assert dataclasses.asdict(obj) == dataclasses.asdict(real("pod", items=[1]))
    assert copy.deepcopy(made("pod")) == made("pod")
    assert made.__dataclass_params__.frozen


def test_a_dataclasses_subclass_of_a_lite_class() -> None:
    _, made = _make(lite)

    @dataclasses.dataclass(frozen=True)
    class Grand(made):  # type: ignore[misc, valid-type]
        extra: int = 1

    obj = Grand("pod", extra=2)
    assert obj.kind == "pod" and obj.extra == 2 and obj.size == 3
    assert [f.name for f in lite.fields(obj)][-1] == "extra"
    assert lite.replace(obj, extra=5).extra == 5


def test_what_it_does_not_cover_goes_to_dataclasses() -> None:
    @lite.dataclass(order=True)
    class Ordered:
        """Ordered."""

        a: int

    assert Ordered(1) < Ordered(2)
    assert "_kpy_fields" not in Ordered.__dict__

    @lite.dataclass
    class NoDoc:
        a: int = lite.field(default=1)

    assert NoDoc().a == 1 and NoDoc.__doc__ == dataclasses.dataclass(type("NoDoc", (), {})).__doc__.replace(
        "()", "(a: 'int' = 1)"
    )


def test_importing_it_does_not_import_dataclasses() -> None:
    code = (
        "from __future__ import annotations\nimport sys\n"
        "from kpy.dataclasslite import dataclass, field, fields, replace\n"
        "@dataclass(frozen=True)\n"
        "class A:\n"
        "    '''A.'''\n"
        "    x: int = field(default=1, metadata={'m': 1})\n"
        "a = replace(A(), x=2)\n"
        "assert a.x == 2 and fields(A)[0].metadata['m'] == 1 and A(2) == a\n"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
