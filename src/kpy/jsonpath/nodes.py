"""The nodes of a parsed kubectl JSONPath template (client-go ``util/jsonpath/node.go``)."""

from __future__ import annotations


class Node:
    __slots__ = ()


class ListNode(Node):
    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: list[Node] = []

    def __repr__(self) -> str:
        return f"List{self.nodes!r}"


class TextNode(Node):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Text({self.text!r})"


class FieldNode(Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


class Param:
    """One of ``[start:end:step]``: known (given), value, derived (``end`` implied as ``start + 1``)."""

    __slots__ = ("derived", "known", "value")

    def __init__(self, known: bool = False, value: int = 0, derived: bool = False) -> None:
        self.known = known
        self.value = value
        self.derived = derived

    def __repr__(self) -> str:
        return f"({self.known}, {self.value}, {self.derived})"


class ArrayNode(Node):
    __slots__ = ("params",)

    def __init__(self, params: tuple[Param, Param, Param]) -> None:
        self.params = params

    def __repr__(self) -> str:
        return f"Array{self.params!r}"


class FilterNode(Node):
    __slots__ = ("left", "operator", "right")

    def __init__(self, left: ListNode, right: ListNode, operator: str) -> None:
        self.left = left
        self.right = right
        self.operator = operator

    def __repr__(self) -> str:
        return f"Filter({self.left!r} {self.operator} {self.right!r})"


class IntNode(Node):
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Int({self.value})"


class FloatNode(Node):
    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Float({self.value})"


class BoolNode(Node):
    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Bool({self.value})"


class WildcardNode(Node):
    __slots__ = ()

    def __repr__(self) -> str:
        return "Wildcard"


class RecursiveNode(Node):
    __slots__ = ()

    def __repr__(self) -> str:
        return "Recursive"


class UnionNode(Node):
    __slots__ = ("lists",)

    def __init__(self, lists: list[ListNode]) -> None:
        self.lists = lists

    def __repr__(self) -> str:
        return f"Union{self.lists!r}"


class IdentifierNode(Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Identifier({self.name!r})"
