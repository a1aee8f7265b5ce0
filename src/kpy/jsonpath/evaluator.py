"""Executes a parsed template exactly like client-go's ``JSONPath.FindResults`` (compiled to closures).

Every node becomes a closure ``step(state, values) -> values`` once, at parse time, so rendering many objects
re-walks no tree and dispatches on no node types. The ``range``/``end`` bookkeeping keeps upstream's counters
(``beginRange``, ``inRange``, ``endRange``, last ``end`` seen) because its odd corners are observable: a range
without ``end`` runs the rest of the template inside the loop and then once more outside it, an empty range
still evaluates its body against "no value", and ``{end}`` outside a range is an execution error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpy.jsonpath import parser as p
from kpy.jsonpath.gofmt import INT64_MAX, INT64_MIN, INVALID, GoInt, GoUint8, go_type, go_v


class ExecError(Exception):
    """An execution error with upstream's message; ``partial`` is what the failing node returned alongside it
    (an existence filter still looks at it)."""

    def __init__(self, message: str, partial: list[Any] | None = None) -> None:
        super().__init__(message)
        self.partial: list[Any] = partial if partial is not None else []


class State:
    __slots__ = ("begin_range", "end_range", "in_range", "last_end")

    def __init__(self) -> None:
        self.begin_range = 0
        self.in_range = 0
        self.end_range = 0
        self.last_end = -1


Step = Callable[[State, list[Any]], list[Any]]
_MISSING = object()


def compile_list(node: p.ListNode, allow_missing: bool) -> Step:
    steps = [compile_node(n, allow_missing) for n in node.nodes]
    if not steps:
        return lambda state, values: values
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps
        return lambda state, values: second(state, first(state, values))

    def chain(state: State, values: list[Any]) -> list[Any]:
        for step in steps:
            values = step(state, values)
        return values

    return chain


def compile_node(node: p.Node, allow_missing: bool) -> Step:
    if isinstance(node, p.ListNode):
        return compile_list(node, allow_missing)
    if isinstance(node, p.TextNode):
        text = node.text
        return lambda state, values: [text]
    if isinstance(node, p.FieldNode):
        return _field(node.name, allow_missing)
    if isinstance(node, p.ArrayNode):
        return _array(node.params)
    if isinstance(node, p.FilterNode):
        return _filter(node, allow_missing)
    if isinstance(node, p.IntNode):
        number = GoInt(node.value)
        return lambda state, values: [number] * len(values)
    if isinstance(node, p.FloatNode):
        real = node.value
        return lambda state, values: [real] * len(values)
    if isinstance(node, p.BoolNode):
        flag = node.value
        return lambda state, values: [flag] * len(values)
    if isinstance(node, p.WildcardNode):
        return _wildcard
    if isinstance(node, p.RecursiveNode):
        return _recursive
    if isinstance(node, p.UnionNode):
        return _union([compile_list(n, allow_missing) for n in node.lists])
    if isinstance(node, p.IdentifierNode):
        return _identifier(node.name)
    raise AssertionError(f"unexpected node {node!r}")


def _field(name: str, allow_missing: bool) -> Step:
    message = f"{name} is not found"

    def field(state: State, values: list[Any]) -> list[Any]:
        if len(values) == 1:
            value = values[0]
            if type(value) is dict:
                found = value.get(name, _MISSING)
                if found is not _MISSING:
                    return [found]
            if allow_missing:
                return []
            raise ExecError(message)
        if not values:
            return []
        results = []
        for value in values:
            if isinstance(value, dict):
                found = value.get(name, _MISSING)
                if found is not _MISSING:
                    results.append(found)
        if not results and not allow_missing:
            raise ExecError(message)
        return results

    return field


def _array(params: tuple[p.Param, p.Param, p.Param]) -> Step:
    (known0, value0, _), (known1, value1, derived1), (known2, value2, _) = (
        (q.known, q.value, q.derived) for q in params
    )

    def array(state: State, values: list[Any]) -> list[Any]:
        result: list[Any] = []
        for value in values:
            if value is None:
                continue
            if not isinstance(value, list):
                raise ExecError(f"{go_type(value)} is not array or slice", values)
            length = len(value)
            start = value0 if known0 else 0
            if start < 0:
                start += length
            end = value1 if known1 else length
            if end < 0 or (end == 0 and derived1):
                end += length
            if end == start:
                return result
            if start >= length or start < 0:
                raise ExecError(f"array index out of bounds: index {start}, length {length}", values)
            if end > length or end < 0:
                raise ExecError(f"array index out of bounds: index {end - 1}, length {length}", values)
            if start > end:
                raise ExecError(f"starting index {start} is greater than ending index {end}", values)
            step = 1
            if known2:
                if value2 <= 0:
                    raise ExecError("step must be > 0", values)
                step = value2
            result.extend(value[start:end:step] if step != 1 or start or end != length else value)
        return result

    return array


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [GoUint8(b) for b in value.encode("utf-8", "surrogateescape")]
    return []


def _wildcard(state: State, values: list[Any]) -> list[Any]:
    results: list[Any] = []
    for value in values:
        if value is not None:
            results.extend(_children(value))
    return results


def _recursive(state: State, values: list[Any]) -> list[Any]:
    results: list[Any] = []

    def walk(items: list[Any]) -> None:
        for value in items:
            if value is None:
                continue
            children = _children(value)
            if children:
                results.append(value)
                walk(children)

    walk(values)
    return results


def _union(lists: list[Step]) -> Step:
    def union(state: State, values: list[Any]) -> list[Any]:
        results: list[Any] = []
        for step in lists:
            try:
                results.extend(step(state, values))
            except ExecError as exc:
                raise ExecError(str(exc), values) from None
        return results

    return union


def _identifier(name: str) -> Step:
    if name == "range":

        def begin(state: State, values: list[Any]) -> list[Any]:
            state.begin_range += 1
            return values

        return begin
    if name == "end":

        def end(state: State, values: list[Any]) -> list[Any]:
            if state.in_range > 0:
                state.end_range += 1
                return []
            raise ExecError("not in range, nothing to end")

        return end
    message = f"unrecognized identifier {name}"

    def unknown(state: State, values: list[Any]) -> list[Any]:
        raise ExecError(message, values)

    return unknown


# -- comparisons: the forked text/template ``eq``/``lt`` rules (no int/float mixing, no ordering of bools) -----

_BOOL, _INT, _FLOAT, _STRING, _UINT = range(1, 6)


def _kind(value: Any) -> int:
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, GoUint8):
        return _UINT
    if isinstance(value, int):
        return _INT if INT64_MIN <= value <= INT64_MAX or isinstance(value, GoInt) else _FLOAT
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, str):
        return _STRING
    raise ExecError("invalid type for comparison")


def _equal(left: Any, right: Any) -> bool:
    if (
        type(left) is str and type(right) is str
    ):  # the common filter (@.status.phase=="Running"): no kinds needed
        return left == right
    k1 = _kind(left)
    k2 = _kind(right)
    if k1 != k2:
        if {k1, k2} == {_INT, _UINT}:
            return bool(left == right)
        raise ExecError("incompatible types for comparison")
    return bool(left == right)


def _less(left: Any, right: Any) -> bool:
    k1 = _kind(left)
    k2 = _kind(right)
    if k1 != k2:
        if {k1, k2} == {_INT, _UINT}:
            return bool(left < right)
        raise ExecError("incompatible types for comparison")
    if k1 == _BOOL:
        raise ExecError("invalid type for comparison")
    return bool(left < right)


def _less_equal(left: Any, right: Any) -> bool:
    return _less(left, right) or _equal(left, right)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": _less,
    ">": lambda a, b: not _less_equal(a, b),
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<=": _less_equal,
    ">=": lambda a, b: not _less(a, b),
}


def _filter(node: p.FilterNode, allow_missing: bool) -> Step:
    left_step = compile_list(node.left, allow_missing)
    right_step = compile_list(node.right, allow_missing)
    operator = node.operator
    compare = _OPERATORS.get(operator)

    def filter_(state: State, values: list[Any]) -> list[Any]:
        results: list[Any] = []
        for value in values:
            if not isinstance(value, list):
                text = "<nil>" if value is None else go_v(value)
                raise ExecError(f"{text} is not array or slice and cannot be filtered", values)
            for item in value:
                temp = [item]
                try:
                    lefts = left_step(state, temp)
                    error: ExecError | None = None
                except ExecError as exc:
                    lefts = exc.partial
                    error = exc
                if operator == "exists":
                    if lefts:
                        results.append(item)
                    continue
                if error is not None:
                    raise ExecError(str(error), values)
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise ExecError("can only compare one element at a time", values)
                try:
                    rights = right_step(state, temp)
                except ExecError as exc:
                    raise ExecError(str(exc), values) from None
                if not rights:
                    continue
                if len(rights) > 1:
                    raise ExecError("can only compare one element at a time", values)
                if compare is None:
                    raise ExecError(f"unrecognized filter operator {operator}", results)
                try:
                    passed = compare(lefts[0], rights[0])
                except ExecError as exc:
                    raise ExecError(str(exc), results) from None
                if passed:
                    results.append(item)
        return results

    return filter_


class Program:
    """A compiled template: the root's nodes as steps, run by upstream's ``FindResults`` loop."""

    def __init__(self, root: p.ListNode, allow_missing: bool) -> None:
        self.steps: list[Step] = [compile_node(n, allow_missing) for n in root.nodes]

    def find(self, data: Any) -> list[list[Any]]:
        return self._find(State(), data, 0)

    def _find(self, state: State, data: Any, start: int) -> list[list[Any]]:
        steps = self.steps
        count = len(steps)
        current = [data]
        full: list[list[Any]] = []
        i = start
        while i < count:
            results = steps[i](state, current)
            if state.end_range > 0 and state.end_range <= state.in_range:
                state.end_range -= 1
                state.last_end = i
                break
            if state.begin_range > 0:
                state.begin_range -= 1
                state.in_range += 1
                if results:
                    for value in results:
                        full.extend(self._find(state, INVALID if value is None else value, i + 1))
                else:
                    self._find(state, INVALID, i + 1)
                state.in_range -= 1
                if i < state.last_end < count:
                    i = state.last_end
                i += 1
                continue
            full.append(results)
            i += 1
        return full
