"""The host tools' modules import one way: bottom to top, in the order `ferrite_tools/__init__.py`
declares, with no circle.

Every import counts, a function's own included: a circle broken only by moving an import into a
function is still a circle (the two modules still need each other), so this reads the source with
`ast` rather than watching what Python loads. The package `fs` counts as one module from outside
(its own modules import one another under the same rule, checked separately).

`python tests/test_tool_imports.py` prints the graph, the circles if there are any, and the
modules that import a module above them.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = "ferrite_tools"
TOOLS = Path(__file__).resolve().parents[1] / "tools" / PACKAGE
#: Packages inside the tools, counted as one module each from outside.
SUBPACKAGES = ("fs",)


def module_name(path: Path, root: Path = TOOLS) -> str:
    """`bench` for bench.py, `fs` for fs/__init__.py, `fs.mkfs` for fs/mkfs.py."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or PACKAGE


def _imported(node: ast.AST, importer: str, known: set[str]) -> set[str]:
    """The tools' modules one import statement names, as `module_name` spells them."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
        # `from ferrite_tools import bench` names module bench; `from ferrite_tools.x import y`
        # names x, and x.y too when y is a module of package x.
        names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    found = set()
    for name in names:
        if name != PACKAGE and not name.startswith(PACKAGE + "."):
            continue
        inner = name.removeprefix(PACKAGE).removeprefix(".")
        if inner in known:
            found.add(inner)
    return found - {importer, ""}


def import_graph(root: Path = TOOLS) -> dict[str, set[str]]:
    """Each module of the tools and the modules it imports, anywhere in its source."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    known = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[name] = set()
        for node in ast.walk(tree):
            graph[name] |= _imported(node, name, known)
    return graph


def collapse(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph with each subpackage as one node, its own modules' imports of each other left
    out (`subpackage_graph` checks those)."""

    def outer(name: str) -> str:
        head = name.split(".", 1)[0]
        return head if head in SUBPACKAGES else name

    collapsed: dict[str, set[str]] = {}
    for name, imports in graph.items():
        node = outer(name)
        collapsed.setdefault(node, set())
        collapsed[node] |= {outer(i) for i in imports} - {node}
    collapsed.pop("__main__", None)
    return collapsed


def subpackage_graph(graph: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    """The imports among one subpackage's own modules. A module naming its package (`from
    ferrite_tools.fs import layout` names `fs` and `fs.layout`) needs only the module: Python has
    the package itself under way already."""
    prefix = package + "."
    inside = {name: imports for name, imports in graph.items() if name.startswith(prefix)}
    return {name: {i for i in imports if i.startswith(prefix)} for name, imports in inside.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


#: An item of the declared order: "3. `results`, `measure`: what they are".
_ORDER_ITEM = re.compile(r"^\s*(\d+)\.\s+(.*)$")
_ORDER_MODULE = re.compile(r"`([a-z_][a-z0-9_]*)`")


def declared_order(docstring: str) -> list[set[str]]:
    """The module order from `ferrite_tools/__init__.py`'s list: one set per level, bottom first.
    Only the modules named before an item's first colon count."""
    levels: list[set[str]] = []
    for line in docstring.splitlines():
        match = _ORDER_ITEM.match(line)
        if match:
            head = match.group(2).split(":", 1)[0]
            levels.append(set(_ORDER_MODULE.findall(head)))
    return levels


def upward(graph: dict[str, set[str]], levels: list[set[str]]) -> list[str]:
    """Each import of a module on the same level or above, as "a -> b"."""
    level_of = {name: n for n, names in enumerate(levels) for name in names}
    return [
        f"{name} -> {imported}"
        for name, imports in sorted(graph.items())
        for imported in sorted(imports)
        if name in level_of and imported in level_of and level_of[imported] >= level_of[name]
    ]


def _declared() -> list[set[str]]:
    init = TOOLS / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
    return declared_order(docstring)


def test_the_tools_have_no_import_circle() -> None:
    graph = import_graph()
    assert "bench" in graph and "cli" in graph, "the tools' modules were not found"
    assert not cycles(collapse(graph)), cycles(collapse(graph))
    for package in SUBPACKAGES:
        assert not cycles(subpackage_graph(graph, package)), package


def test_every_module_imports_only_modules_below_it() -> None:
    levels = _declared()
    graph = collapse(import_graph())
    assert len(levels) >= 5, "the order in ferrite_tools/__init__.py was not read"
    listed = set().union(*levels)
    assert set(graph) - {PACKAGE} <= listed, f"modules missing from the order: {sorted(set(graph) - listed)}"
    assert not listed - set(graph), f"the order names modules that do not exist: {sorted(listed - set(graph))}"
    assert not upward(graph, levels), upward(graph, levels)


def test_the_checker_sees_a_circle_made_by_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(f"from {PACKAGE} import b\n")
    (package / "b.py").write_text(f"def late() -> None:\n    from {PACKAGE}.a import x\n")
    (package / "c.py").write_text(f"import {PACKAGE}.a\n")
    graph = import_graph(package)
    assert graph["a"] == {"b"} and graph["b"] == {"a"} and graph["c"] == {"a"}
    assert cycles(graph) == [["a", "b"]]
    assert upward(graph, [{"b"}, {"a"}, {"c"}]) == ["b -> a"]


def main() -> int:
    graph = import_graph()
    top = collapse(graph)
    for name in sorted(top):
        print(f"{name:12} -> {', '.join(sorted(top[name])) or '(nothing)'}")
    circles = cycles(top) + [c for p in SUBPACKAGES for c in cycles(subpackage_graph(graph, p))]
    print("circles:", "; ".join(", ".join(c) for c in circles) if circles else "none")
    levels = _declared()
    if levels:
        wrong = upward(top, levels)
        print("imports of a module on the same level or above:", "; ".join(wrong) if wrong else "none")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
