"""MkDocs hook: links from the book into the source tree, and tables made from the source.

Chapters link to the code they explain with ordinary relative links (`../kernel/src/lib.rs`),
which work when the Markdown is read in a checkout or on a forge. The built site does not
contain the source, so this hook checks that each such target exists (a renamed file fails
`mkdocs build --strict`) and renders the link as the path in code style.

A page may also hold the marker `<!-- system-calls -->`: it becomes the table of the Linux system
calls the kernel answers, read from the source when the book is built (`ferrite_tools.syscalls`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from ferrite_tools import syscalls  # noqa: E402  (the path above makes it importable)

#: Where a page asks for the table of system calls.
SYSTEM_CALLS_MARKER = "<!-- system-calls -->"
_SOURCE_LINK = re.compile(r"\[([^\]]+)\]\(((?:\.\./)+)([^)#\s]+)(#[^)\s]*)?\)")


class MissingSourceError(Exception):
    """A chapter links to a source file that does not exist."""


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs_page = Path(config["docs_dir"]) / page.file.src_path

    def rewrite(match: re.Match[str]) -> str:
        text, ups, target, _anchor = match.groups()
        resolved = (docs_page.parent / (ups + target)).resolve()
        if ROOT not in resolved.parents and resolved != ROOT:
            return match.group(0)
        if not resolved.exists():
            raise MissingSourceError(f"{page.file.src_path}: link to missing source {ups + target}")
        relative = resolved.relative_to(ROOT).as_posix()
        return text if text.startswith("`") else f"{text} (`{relative}`)" if text != relative else f"`{relative}`"

    if SYSTEM_CALLS_MARKER in markdown:
        count = len(syscalls.implemented())
        table = f"Ferrite answers **{count}** of Linux's x86_64 system calls:\n\n" + syscalls.markdown_table()
        markdown = markdown.replace(SYSTEM_CALLS_MARKER, table)
    return _SOURCE_LINK.sub(rewrite, markdown)
