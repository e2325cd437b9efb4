"""The kernel's layers, read from `kernel/src/lib.rs` and checked against every `crate::` path.

The kernel's modules are stacked: each may name the modules of its own layer and of the layers
below, never one above. The order is written once, as the numbered list under `# Layers` in
`lib.rs`'s module documentation (the page a reader opens first), and this module reads it from
there, so the list a reader trusts is the list the test enforces.

What counts as naming a module: a path that starts with `crate::` (in `use` or in code, groups
`crate::{a, b::c}` included) and a call of an exported macro (`println!` names the module that
defines it). Comments and string literals are not code and are skipped, and so is test code
(any item under `#[cfg(test)]`): a test may reach up to set up what it tests.

Upward needs (a driver waking a thread, the terminal signalling a process group) are met by
hooks the root installs at boot, which name nothing: see the `# Layers` section itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ferrite_tools.errors import FerriteError

#: One item of the `# Layers` list: `3. [`mm`], [`x`]: what it is`.
_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
#: A module named in an item, before its first `: `.
_MODULE = re.compile(r"\[`([a-z_][a-z0-9_:]*)`\]")
#: `#[macro_export] macro_rules! name`, with anything between.
_EXPORTED_MACRO = re.compile(r"#\[macro_export\]\s*(?:#\[[^\]]*\]\s*)*macro_rules!\s+([a-z_][a-z0-9_]*)")
#: The root files: they are on the top layer, and may name any module.
ROOT_FILES = ("lib.rs", "main.rs")


@dataclass(frozen=True)
class Violation:
    """One place where a module names a module above it."""

    file: Path
    line: int
    source: str
    source_layer: int
    target: str
    target_layer: int

    def render(self, root: Path) -> str:
        try:
            where = self.file.relative_to(root)
        except ValueError:
            where = self.file
        return (
            f"{where}:{self.line}: `{self.source}` (layer {self.source_layer}) names "
            f"`{self.target}` (layer {self.target_layer}), which is above it"
        )


def declared_layers(lib_rs: str) -> list[list[str]]:
    """The `# Layers` list of `lib.rs`'s documentation: bottom first, module paths per layer."""
    doc = [line.removeprefix("//!").strip() for line in lib_rs.splitlines() if line.startswith("//!")]
    try:
        start = doc.index("# Layers")
    except ValueError:
        raise FerriteError("kernel/src/lib.rs has no `# Layers` section: add the list of layers") from None
    layers: list[list[str]] = []
    for line in doc[start + 1 :]:
        if line.startswith("# "):
            break
        if item := _ITEM.match(line):
            if int(item.group(1)) != len(layers) + 1:
                raise FerriteError(f"lib.rs `# Layers`: item {item.group(1)} out of order: number them 1, 2, ...")
            head = item.group(2).split(": ", 1)[0]
            modules = _MODULE.findall(head)
            if not modules:
                raise FerriteError(f"lib.rs `# Layers`: item {item.group(1)} names no module: write [`name`]")
            layers.append(modules)
    if not layers:
        raise FerriteError("kernel/src/lib.rs `# Layers` lists no layers: number them 1, 2, ...")
    return layers


def strip_comments_and_strings(text: str) -> str:
    """`text` with comments and the insides of string and char literals blanked (newlines kept,
    so line numbers still hold)."""
    out: list[str] = []
    i, n = 0, len(text)

    def blank(segment: str) -> str:
        return "".join("\n" if c == "\n" else " " for c in segment)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(blank(text[i:end]))
            i = end
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif (raw := re.match(r'b?r(#*)"', text[i:])) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = '"' + raw.group(1)
            end = text.find(close, i + raw.end())
            end = n if end == -1 else end + len(close)
            out.append(blank(text[i:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i : j + 1]))
            i = j + 1
        elif c == "'" and (char := re.match(r"'(\\.[^']*|[^'\\])'", text[i:])):
            out.append(blank(char.group(0)))
            i += char.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_test_items(code: str) -> str:
    """`code` (comments already stripped) with every item under `#[cfg(test)]` blanked."""
    out = list(code)
    for attr in re.finditer(r"#\[cfg\(test\)\]", code):
        i = attr.end()
        # The item ends at its matching `}` if a `{` comes before a `;`, else at the `;`.
        brace, semi = code.find("{", i), code.find(";", i)
        if brace != -1 and (semi == -1 or brace < semi):
            depth, j = 0, brace
            while j < len(code):
                if code[j] == "{":
                    depth += 1
                elif code[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            end = j + 1
        else:
            end = len(code) if semi == -1 else semi + 1
        for k in range(attr.start(), min(end, len(code))):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out)


def _use_tree(code: str, i: int) -> tuple[list[str], int]:
    """The paths of the use tree (or plain path) starting at `code[i]`, each as `a::b`."""
    paths: list[str] = []
    prefix: list[str] = []
    while True:
        while i < len(code) and code[i].isspace():
            i += 1
        if i < len(code) and code[i] == "{":
            depth, j, start = 1, i + 1, i + 1
            parts: list[str] = []
            while j < len(code) and depth:
                if code[j] in "{":
                    depth += 1
                elif code[j] == "}":
                    depth -= 1
                if (code[j] == "," and depth == 1) or depth == 0:
                    parts.append(code[start:j])
                    start = j + 1
                j += 1
            for part in parts:
                part = part.strip()
                if part and part != "self":
                    inner, _ = _use_tree(part, 0)
                    paths.extend("::".join(prefix + [p]) for p in inner)
                elif part == "self":
                    paths.append("::".join(prefix))
            return paths, j
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", code[i:])
        if not name:
            paths.append("::".join(prefix))
            return paths, i
        prefix.append(name.group(0))
        i += name.end()
        if code.startswith("::", i):
            i += 2
            continue
        paths.append("::".join(prefix))
        return paths, i


def references(code: str, macros: dict[str, str]) -> list[tuple[int, str]]:
    """(line, module path) for every `crate::` path and exported-macro call in `code`."""
    found: list[tuple[int, str]] = []
    for match in re.finditer(r"(?<![A-Za-z0-9_$])crate::", code):
        line = code.count("\n", 0, match.start()) + 1
        paths, _ = _use_tree(code, match.end())
        for path in paths:
            head = path.split("::", 1)[0]
            found.append((line, macros.get(head, path)))
    for match in re.finditer(r"(?<![A-Za-z0-9_:$])([a-z_][a-z0-9_]*)!\s*[(\[{]", code):
        if match.group(1) in macros and not code[: match.start()].rstrip().endswith("macro_rules!"):
            found.append((code.count("\n", 0, match.start()) + 1, macros[match.group(1)]))
    return found


def module_of(src: Path, file: Path) -> str:
    """The module path a file defines: `fs/mod.rs` is `fs`, `fs/pipe.rs` is `fs::pipe`."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    return "::".join(parts)


def layer_of(path: str, layers: list[list[str]]) -> tuple[int, str] | None:
    """The layer (1 is the bottom) of the most specific declared module containing `path`."""
    best: tuple[int, str] | None = None
    for number, modules in enumerate(layers, start=1):
        for module in modules:
            if (path == module or path.startswith(module + "::")) and (best is None or len(module) > len(best[1])):
                best = (number, module)
    return best


def _read_tree(src: Path) -> tuple[dict[Path, str], dict[str, str]]:
    """Every `.rs` file under `src` as code (comments, strings and test items blanked), and the
    module each exported macro comes from (`""` for the root)."""
    texts = {f: strip_test_items(strip_comments_and_strings(f.read_text())) for f in sorted(src.rglob("*.rs"))}
    macros: dict[str, str] = {}
    for f, code in texts.items():
        for m in _EXPORTED_MACRO.finditer(code):
            macros[m.group(1)] = module_of(src, f) if f.name not in ROOT_FILES else ""
    return texts, macros


def check(src: Path) -> tuple[list[list[str]], list[Violation], list[str]]:
    """The declared layers, the upward references in `src`, and the files no layer holds."""
    layers = declared_layers((src / "lib.rs").read_text())
    texts, macros = _read_tree(src)
    violations: list[Violation] = []
    unplaced: list[str] = []
    seen: set[tuple[Path, int, str]] = set()
    for f, code in texts.items():
        if f.parent == src and f.name in ROOT_FILES:
            continue  # the root sits above every layer
        source = module_of(src, f)
        placed = layer_of(source, layers)
        if placed is None:
            unplaced.append(str(f.relative_to(src)))
            continue
        for line, path in sorted(set(references(code, macros))):
            target = layer_of(path, layers)
            if target is None:
                # A name defined in `lib.rs` (`crate::init`, `crate::VERSION`) is the root's, and
                # the root is on the top layer.
                target = (len(layers), path or "the root")
            if target[0] > placed[0] and (f, line, target[1]) not in seen:
                seen.add((f, line, target[1]))
                violations.append(Violation(f, line, placed[1], placed[0], target[1], target[0]))
    return layers, violations, unplaced


def module_graph(src: Path) -> dict[str, set[str]]:
    """Which top-level modules (folders and single files; the root left out) each names."""
    texts, macros = _read_tree(src)
    top = {module_of(src, f).split("::")[0] for f in texts if not (f.parent == src and f.name in ROOT_FILES)}
    graph: dict[str, set[str]] = {name: set() for name in top}
    for f, code in texts.items():
        if f.parent == src and f.name in ROOT_FILES:
            continue
        source = module_of(src, f).split("::")[0]
        for _, path in references(code, macros):
            target = path.split("::")[0]
            if target in top and target != source:
                graph[source].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle in `graph` (its nodes in order, the first repeated at the end), if any."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None
