"""The run-time side of ``kpy.dataclasslite`` (see there): generic methods instead of generated source."""

from __future__ import annotations

import types
from _thread import get_ident
from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up (mypy reads it as True)
if TYPE_CHECKING:
    from typing import Any


class _Missing:
    def __repr__(self) -> str:
        return "<factory>"


MISSING: Any = _Missing()

#: dataclass options handled here; any other one given as True goes to ``dataclasses.dataclass``
_OWN = {"init": True, "repr": True, "eq": True, "frozen": False, "match_args": True}


class Field:
    """What ``field()`` returns and ``fields()`` lists: the attributes of ``dataclasses.Field``."""

    __slots__ = (
        "compare",
        "default",
        "default_factory",
        "hash",
        "init",
        "kw_only",
        "metadata",
        "name",
        "repr",
        "type",
    )

    def __init__(
        self,
        default: Any,
        default_factory: Any,
        init: bool,
        repr: bool,
        hash: bool | None,
        compare: bool,
        metadata: Any,
    ) -> None:
        self.name: str = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.metadata = types.MappingProxyType(dict(metadata) if metadata else {})
        self.kw_only = False

    def __repr__(self) -> str:
        return (
            f"Field(name={self.name!r},type={self.type!r},default={self.default!r},"
            f"default_factory={self.default_factory!r},init={self.init!r},repr={self.repr!r},"
            f"hash={self.hash!r},compare={self.compare!r},metadata={self.metadata!r},kw_only={self.kw_only!r})"
        )


def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    init: bool = True,
    repr: bool = True,
    hash: bool | None = None,
    compare: bool = True,
    metadata: Any = None,
) -> Any:
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, hash, compare, metadata)


def dataclass(cls: type | None = None, /, **options: Any) -> Any:
    def wrap(cls: type) -> type:
        return _process(cls, options)

    return wrap if cls is None else wrap(cls)


def _real(cls: type, options: dict[str, Any]) -> type:
    """``dataclasses.dataclass`` for what this module does not cover; ``field()`` objects made here become its."""
    import dataclasses

    for name, value in list(cls.__dict__.items()):
        if isinstance(value, Field):
            setattr(
                cls,
                name,
                dataclasses.field(
                    default=value.default if value.default is not MISSING else dataclasses.MISSING,
                    default_factory=(
                        value.default_factory if value.default_factory is not MISSING else dataclasses.MISSING
                    ),
                    init=value.init,
                    repr=value.repr,
                    hash=value.hash,
                    compare=value.compare,
                    metadata=value.metadata,
                ),
            )
    made: type = dataclasses.dataclass(cls, **options)
    return made


def _is_classvar(annotation: str) -> bool | None:
    """True for ``ClassVar[...]``, None for what dataclasses must judge (``InitVar``, ``KW_ONLY``)."""
    head = annotation.strip().split("[", 1)[0].strip().rsplit(".", 1)[-1]
    if head == "ClassVar":
        return True
    if head in ("InitVar", "KW_ONLY"):
        return None
    return False


def _process(cls: type, options: dict[str, Any]) -> type:
    for key, value in options.items():
        if key not in _OWN and value:
            return _real(cls, options)
    settings = {**_OWN, **options}
    frozen: bool = settings["frozen"]
    eq: bool = settings["eq"]
    own = cls.__dict__
    if own.get("__doc__") is None:
        return _real(cls, options)  # its __doc__ is the signature, which dataclasses gets from inspect
    found: dict[str, Field] = {}
    any_frozen_base = False
    has_bases = False
    for base in cls.__mro__[-1:0:-1]:
        if "__dataclass_fields__" in base.__dict__ and "_kpy_fields" not in base.__dict__:
            return _real(cls, options)  # a base made by dataclasses
        spec = base.__dict__.get("_kpy_fields")
        if spec is not None:
            has_bases = True
            for f in spec:
                found[f.name] = f
            if base.__dict__["_kpy_frozen"]:
                any_frozen_base = True
    for name, annotation in own.get("__annotations__", {}).items():
        if not isinstance(annotation, str):
            return _real(cls, options)
        classvar = _is_classvar(annotation)
        if classvar is None:
            return _real(cls, options)
        if classvar:
            continue
        default = own.get(name, MISSING)
        if isinstance(default, Field):
            f = default
        elif isinstance(default, types.MemberDescriptorType) or type(default).__module__ == "dataclasses":
            return _real(cls, options)
        else:
            f = Field(default, MISSING, True, True, None, True, None)
        f.name, f.type = name, annotation
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: use default_factory"
            )
        if isinstance(default, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        found[name] = f
    for name, value in own.items():
        if isinstance(value, Field) and name not in found:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    if has_bases:
        if any_frozen_base and not frozen:
            raise TypeError("cannot inherit non-frozen dataclass from a frozen one")
        if not any_frozen_base and frozen:
            raise TypeError("cannot inherit frozen dataclass from a non-frozen one")
    all_fields = tuple(found.values())
    seen_default = False
    for f in all_fields:
        if not f.init:
            continue
        if f.default is MISSING and f.default_factory is MISSING:
            if seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
        else:
            seen_default = True
    type.__setattr__(cls, "_kpy_fields", all_fields)
    type.__setattr__(cls, "_kpy_frozen", frozen)
    type.__setattr__(cls, "__dataclass_fields__", _Lazy(cls, "__dataclass_fields__", settings))
    type.__setattr__(cls, "__dataclass_params__", _Lazy(cls, "__dataclass_params__", settings))
    if settings["init"]:
        _set(cls, "__init__", _make_init(cls, all_fields))
    if settings["repr"]:
        _set(cls, "__repr__", _make_repr(cls, all_fields))
    compared = tuple(f.name for f in all_fields if f.compare)
    if eq:
        _set(cls, "__eq__", _make_eq(cls, compared))
    class_hash = own.get("__hash__", MISSING)
    explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in own))
    if eq and not explicit_hash:
        if frozen:
            hashed = tuple(f.name for f in all_fields if (f.compare if f.hash is None else f.hash))
            type.__setattr__(cls, "__hash__", _make_hash(cls, hashed))
        else:
            type.__setattr__(cls, "__hash__", None)
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        names = frozenset(f.name for f in all_fields)
        type.__setattr__(cls, "__setattr__", _make_setattr(cls, names))
        type.__setattr__(cls, "__delattr__", _make_delattr(cls, names))
    if settings["match_args"] and "__match_args__" not in own:
        type.__setattr__(cls, "__match_args__", tuple(f.name for f in all_fields if f.init))
    return cls


def _set(cls: type, name: str, fn: Callable[..., Any]) -> None:
    if name not in cls.__dict__:
        fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
        type.__setattr__(cls, name, fn)


def _make_init(cls: type, all_fields: tuple[Field, ...]) -> Callable[..., None]:
    names = tuple(f.name for f in all_fields if f.init)
    known = frozenset(names)
    defaults = {f.name: f.default for f in all_fields if f.default is not MISSING}
    factories = {f.name: f.default_factory for f in all_fields if f.default_factory is not MISSING}
    order = tuple(
        f.name for f in all_fields if f.init or f.default is not MISSING or f.default_factory is not MISSING
    )
    count = len(names)
    required = sum(1 for f in all_fields if f.init and f.default is MISSING and f.default_factory is MISSING)
    takes = f"from {required + 1} to {count + 1}" if required < count else f"{count + 1}"
    plural_takes = "" if takes == "1" else "s"
    post_init = hasattr(cls, "__post_init__")
    qualname = f"{cls.__qualname__}.__init__"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > count:
            raise TypeError(
                f"{qualname}() takes {takes} positional argument{plural_takes} but {len(args) + 1} were given"
            )
        values = dict(zip(names, args, strict=False))
        for key in kwargs:
            if key in values:
                raise TypeError(f"{qualname}() got multiple values for argument {key!r}")
            if key not in known:
                raise TypeError(f"{qualname}() got an unexpected keyword argument {key!r}")
        values.update(kwargs)
        state = self.__dict__
        missing = []
        for name in order:
            if name in values:
                state[name] = values[name]
            elif name in defaults:
                state[name] = defaults[name]
            elif name in factories:
                state[name] = factories[name]()
            else:
                missing.append(name)
        if missing:
            for name in missing:
                state.pop(name, None)
            listed = " and ".join(", ".join(repr(n) for n in missing).rsplit(", ", 1))
            plural = "s" if len(missing) > 1 else ""
            raise TypeError(
                f"{qualname}() missing {len(missing)} required positional argument{plural}: {listed}"
            )
        if post_init:
            self.__post_init__()

    return __init__


def _make_repr(cls: type, all_fields: tuple[Field, ...]) -> Callable[[Any], str]:
    shown = tuple(f.name for f in all_fields if f.repr)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _make_eq(cls: type, compared: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return tuple(getattr(self, n) for n in compared) == tuple(getattr(other, n) for n in compared)
        return NotImplemented

    return __eq__


def _make_hash(cls: type, hashed: tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in hashed))

    return __hash__


def _frozen_error(name: str) -> Exception:
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(f"cannot assign to field {name!r}")


def _make_setattr(cls: type, names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    owner: Any = cls  # dataclasses calls super(cls, self)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise _frozen_error(name)
        super(owner, self).__setattr__(name, value)

    return __setattr__


def _make_delattr(cls: type, names: frozenset[str]) -> Callable[[Any, str], None]:
    owner: Any = cls  # dataclasses calls super(cls, self)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise _frozen_error(name)
        super(owner, self).__delattr__(name)

    return __delattr__


class _Lazy:
    """``__dataclass_fields__`` / ``__dataclass_params__``, from an equivalent dataclass made on first use."""

    def __init__(self, owner: type, attribute: str, settings: dict[str, Any]) -> None:
        self.owner, self.attribute, self.settings = owner, attribute, settings

    def __get__(self, instance: object, objtype: type | None = None) -> Any:
        shadow = _shadow(self.owner, self.settings)
        return getattr(shadow, self.attribute)


_SHADOWS: dict[type, type] = {}


def _shadow(cls: type, settings: dict[str, Any]) -> type:
    made = _SHADOWS.get(cls)
    if made is None:
        import dataclasses

        namespace: dict[str, Any] = {
            "__annotations__": {},
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        }
        for f in cls.__dict__["_kpy_fields"]:
            namespace["__annotations__"][f.name] = f.type
            namespace[f.name] = dataclasses.field(
                default=f.default if f.default is not MISSING else dataclasses.MISSING,
                default_factory=f.default_factory
                if f.default_factory is not MISSING
                else dataclasses.MISSING,
                init=f.init,
                repr=f.repr,
                hash=f.hash,
                compare=f.compare,
                metadata=f.metadata,
            )
        made = _SHADOWS[cls] = dataclasses.dataclass(type(cls.__name__, (), namespace), **settings)
    return made


def _record_fields(cls: type) -> tuple[Field, ...] | None:
    for klass in cls.__mro__:
        spec = klass.__dict__.get("_kpy_fields")
        if spec is not None:
            return spec  # type: ignore[no-any-return]
        if "__dataclass_fields__" in klass.__dict__:
            return None
    return None


def fields(class_or_instance: Any) -> tuple[Any, ...]:
    cls = class_or_instance if isinstance(class_or_instance, type) else type(class_or_instance)
    spec = _record_fields(cls)
    if spec is None:
        import dataclasses

        return dataclasses.fields(class_or_instance)
    return spec


def replace(obj: Any, /, **changes: Any) -> Any:
    spec = _record_fields(type(obj))
    if spec is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for f in spec:
        if not f.init:
            if f.name in changes:
                raise ValueError(
                    f"field {f.name} is declared with init=False, it cannot be specified with replace()"
                )
            continue
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)
