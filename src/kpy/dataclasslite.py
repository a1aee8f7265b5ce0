"""``dataclass`` for the classes on kpy's start-up path: the same classes, built without ``dataclasses``.

On Python 3.11 ``dataclasses.dataclass`` compiles each class's methods from generated source (~0.5 ms a class)
and importing ``dataclasses`` loads ``inspect`` with ``ast``, ``dis`` and ``tokenize`` (~5 ms): together a
sixth of the CPU of a whole small ``kpy get``, which creates ~20 such classes. ``dataclass`` here builds the
same class from a few generic methods (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, frozen
``__setattr__``/``__delattr__``, ``__match_args__``), with the dataclass rules: fields in base-class order,
``field(default=..., default_factory=..., init=, repr=, hash=, compare=, metadata=)``, ``ClassVar``
annotations skipped, ``__post_init__``, the hash rules of ``eq``/``frozen``, the frozen inheritance checks,
mutable defaults refused, no non-default field after a default one.

Type checkers see ``dataclasses`` itself (``TYPE_CHECKING``), so the classes are checked as dataclasses, and
``dataclasses.fields``/``replace``/``asdict``/``is_dataclass`` work on them: ``__dataclass_fields__`` and
``__dataclass_params__`` are built on first use, from an equivalent dataclass made then. Anything else
(``order``, ``slots``, ``unsafe_hash``, ``kw_only``, ``InitVar``, ``KW_ONLY``, a class without a docstring,
whose ``__doc__`` dataclasses derives through ``inspect``, a base made by ``dataclasses`` itself, annotations
that are not strings) is handed to ``dataclasses.dataclass`` unchanged. ``fields`` and ``replace`` here answer
for these classes without importing ``dataclasses``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import fields as fields
    from dataclasses import replace as replace
else:
    from kpy._dataclasslite import dataclass, field, fields, replace

__all__ = ["dataclass", "field", "fields", "replace"]
