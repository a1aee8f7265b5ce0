"""The shape of src/kpy, checked from the source (AST), as a reviewer would: libraries never import the CLI,
no private attribute of typer/click/aiohttp/websockets is used, and no two modules import each other in a
cycle at import time."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "kpy"

#: dependencies whose private API kpy must not use (any release may change it)
DEPENDENCIES = ("typer", "click", "aiohttp", "websockets")
#: attributes that are private in practice on dependency objects (undocumented aiohttp internals and the
#: transport swap under aiohttp's protocol), whatever the name of the object they are read from
PRIVATE_ATTRIBUTES = frozenset(
    {
        "_retry_connection",  # aiohttp.ClientSession
        "set_parser",  # aiohttp's RequestHandler
        "set_protocol",  # the transport under aiohttp's RequestHandler
        "_server",  # aiohttp.web.TCPSite / BaseSite
        "_runtime_param",  # typer's parameters
        "_click",  # typer's vendored click
    }
)

#: The one accepted exception, (file, what) pairs: the emulator (the optional ``kpy[testing]`` extra) takes an
#: upgraded connection over from aiohttp with asyncio's public ``Transport.set_protocol``, because aiohttp has
#: no public API to hand over a connection upgraded to a protocol other than WebSocket (SPDY/3.1 for kubectl's
#: port-forward). pyproject pins aiohttp below 4 for it; the port-forward tests catch a break.
ALLOWED_PRIVATE: frozenset[tuple[str, str]] = frozenset(
    {
        ("kpy/testing/portforward.py", "set_protocol"),
    }
)
#: Known import cycles (sets of modules) in code another helper is rewriting; emptied at merge time.
ALLOWED_CYCLES: list[frozenset[str]] = []


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def rel(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The absolute module names an import statement names (``from a import b`` gives ``a`` and ``a.b``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        return [target, *(f"{target}.{alias.name}" for alias in node.names)]
    return []


def test_no_library_module_imports_the_cli() -> None:
    offenders = []
    for name, path, tree in modules():
        if (
            name == "kpy.cli" or name.startswith("kpy.cli.") or name == "kpy.__main__"
        ):  # the CLI and its entry
            continue
        for node in ast.walk(tree):
            for target in imported_names(node, name, path.name == "__init__.py"):
                if target == "kpy.cli" or target.startswith("kpy.cli."):
                    offenders.append(f"{rel(path)}:{node.lineno} imports {target}")  # type: ignore[attr-defined]
    assert offenders == []


def _dependency_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to a dependency module (``import aiohttp``, ``from aiohttp import web``)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in DEPENDENCIES:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif (
            isinstance(node, ast.ImportFrom)
            and not node.level
            and node.module
            and node.module.split(".")[0] in DEPENDENCIES
        ):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def private_uses(path: Path, tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, what) for each private use of a dependency in one module."""
    aliases = _dependency_aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                parts = name.split(".")
                if parts[0] in DEPENDENCIES and any(p.startswith("_") for p in parts[1:]):
                    yield node.lineno, name
        elif isinstance(node, ast.Attribute):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            on_dependency = isinstance(root, ast.Name) and root.id in aliases
            private = node.attr.startswith("_") and not node.attr.startswith("__") and on_dependency
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if private or (node.attr in PRIVATE_ATTRIBUTES and not own):
                yield node.lineno, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
        ):
            arg = node.args[1]
            if isinstance(arg, ast.Constant) and arg.value in PRIVATE_ATTRIBUTES:
                yield node.lineno, str(arg.value)


def test_no_private_api_of_a_dependency_is_used() -> None:
    offenders = []
    for _, path, tree in modules():
        for line, what in private_uses(path, tree):
            if not {(rel(path), what), (rel(path), what.rpartition(".")[0])} & ALLOWED_PRIVATE:
                offenders.append(f"{rel(path)}:{line} uses {what}")
    assert offenders == []


def test_the_private_api_check_finds_what_it_must() -> None:
    code = (
        "import typer\nfrom typer import _click\nfrom typer._completion_shared import x\nimport aiohttp\n"
        "def f(session, site, request):\n    session._retry_connection = False\n    typer._coercion.y\n"
        "    request.protocol.set_parser(1)\n    site._server\n    hasattr(session, '_retry_connection')\n"
        "    self._server\n    aiohttp.web._run_app\n"
    )
    found = sorted(what for _, what in private_uses(Path("x.py"), ast.parse(code)))
    assert found == sorted(
        [
            "typer._click",
            "typer._completion_shared",
            "typer._completion_shared.x",
            "_retry_connection",
            "_coercion",
            "set_parser",
            "_server",
            "_retry_connection",
            "_run_app",
        ]
    )


def _runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports executed when the module is imported: module level, including under ``if``/``try`` (but not
    ``if TYPE_CHECKING:``); imports inside functions and classes' methods run later and cannot deadlock."""

    def walk(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                yield stmt
            elif isinstance(stmt, ast.If):
                test = stmt.test
                if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                    yield from walk(stmt.orelse)
                    continue
                yield from walk(stmt.body)
                yield from walk(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                    yield from walk(block)
            elif isinstance(stmt, ast.ClassDef):
                yield from walk(stmt.body)

    yield from walk(tree.body)


def import_graph() -> dict[str, set[str]]:
    """Module → the kpy modules it imports at import time. ``from a import b`` depends on the module ``a.b``
    when there is one (a submodule), else on ``a`` (a name defined by ``a``)."""
    found = list(modules())
    names = {name for name, _, _ in found}
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path, tree in found:
        for node in _runtime_imports(tree):
            targets = imported_names(node, name, path.name == "__init__.py")
            if isinstance(node, ast.ImportFrom):
                base, submodules = targets[0], [t for t in targets[1:] if t in names]
                named = len(submodules) < len(targets) - 1  # some names are not submodules: ``a`` runs
                targets = [*submodules, *([base] if named else [])]
            graph[name].update(t for t in targets if t in names and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_in_kpy() -> None:
    found = [sorted(c) for c in cycles(import_graph()) if c not in ALLOWED_CYCLES]
    assert found == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [frozenset("abc")]),
    ],
)
def test_the_cycle_check_finds_cycles(graph: dict[str, set[str]], expected: list[frozenset[str]]) -> None:
    assert cycles(graph) == expected
