"""The kernel's layers run one way: no module names one above it in the order `lib.rs` declares.

The first tests check the real kernel; the rest check the checker on small made-up trees, so a
checker that stopped seeing upward paths (or saw them in comments) would fail here too.
"""

from __future__ import annotations

import re
from pathlib import Path

from ferrite_tools import layers, paths

SRC = paths.KERNEL_DIR / "src"


def test_no_kernel_module_names_a_module_above_it() -> None:
    declared, violations, unplaced = layers.check(SRC)
    assert len(declared) >= 10, "the `# Layers` list in lib.rs was not read"
    assert not unplaced, f"files in no declared layer (add their module to lib.rs `# Layers`): {unplaced}"
    assert not violations, "upward paths:\n" + "\n".join(v.render(paths.ROOT) for v in violations)


def test_every_module_of_the_crate_root_is_in_a_layer() -> None:
    declared = {module for layer in layers.declared_layers((SRC / "lib.rs").read_text()) for module in layer}
    modules = set(re.findall(r"^pub mod ([a-z_0-9]+);", (SRC / "lib.rs").read_text(), re.MULTILINE))
    assert modules, "no `pub mod` lines found in lib.rs"
    assert modules <= declared, f"modules missing from `# Layers`: {sorted(modules - declared)}"


def test_the_kernel_folders_name_each_other_in_no_circle() -> None:
    graph = layers.module_graph(SRC)
    assert {"fs", "proc", "tty", "drivers"} <= graph.keys()
    assert layers.find_cycle(graph) is None, " -> ".join(layers.find_cycle(graph) or [])


LIB_RS = """//! # Layers
//!
//! 1. [`low`]: the bottom.
//! 2. [`mid`], [`out`]: the middle: output.
//! 3. [`high`]: the top.
//!
//! # Something else
//!
//! 1. [`ignored`]: not a layer.

pub mod high;
"""


def make_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "src"
    for name, text in {"lib.rs": LIB_RS, **files}.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    return src


def test_the_layers_are_read_from_lib_rs() -> None:
    assert layers.declared_layers(LIB_RS) == [["low"], ["mid", "out"], ["high"]]


def test_an_upward_use_is_found_with_its_file_and_line(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path,
        {
            "low/mod.rs": "//! low\n\nuse crate::mid::thing;\n",
            "mid.rs": "use crate::{low, high::{a, b}};\nfn f() { crate::out::g(); }\n",
            "high.rs": "use crate::low::x;\n",
        },
    )
    _, violations, unplaced = layers.check(src)
    assert not unplaced
    found = sorted((v.file.name, v.line, v.source, v.target) for v in violations)
    assert found == [("mid.rs", 1, "mid", "high"), ("mod.rs", 3, "low", "mid")]
    assert violations[0].render(tmp_path).startswith("src/low/mod.rs:3: `low` (layer 1) names `mid` (layer 2)")


def test_comments_strings_and_test_items_are_not_code(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path,
        {
            "low.rs": (
                "/// See [`crate::high`].\n"
                "/* crate::high::a */\n"
                'const S: &str = "crate::high::b";\n'
                "const C: char = '\"';\n"
                "#[cfg(test)]\nmod tests {\n    use crate::high::c;\n    fn f() { if true { crate::high::d(); } }\n}\n"
            ),
            "high.rs": "",
        },
    )
    _, violations, _ = layers.check(src)
    assert violations == []


def test_a_macro_call_names_the_module_that_exports_it(tmp_path: Path) -> None:
    src = make_tree(
        tmp_path,
        {
            "low.rs": "fn f() { say!(\"hi\"); }\n",
            "high.rs": "#[macro_export]\nmacro_rules! say { ($($t:tt)*) => {}; }\n",
        },
    )
    _, violations, _ = layers.check(src)
    assert [(v.line, v.target) for v in violations] == [(1, "high")]


def test_a_file_of_no_layer_is_reported(tmp_path: Path) -> None:
    src = make_tree(tmp_path, {"stray.rs": "", "high.rs": ""})
    _, _, unplaced = layers.check(src)
    assert unplaced == ["stray.rs"]


def test_a_circle_of_folders_is_found() -> None:
    assert layers.find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert layers.find_cycle({"a": {"b"}, "b": set()}) is None
