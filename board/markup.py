"""Small helpers for the protocol's plain-text formats, shared by board.documents and
the kinds' rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from board.i18n import text_in

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def md_escape(text: str) -> str:
    """Untrusted text as literal Markdown: no links, no HTML, no headings."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))
    return re.sub(r"^([-+=]|\d+\.)", r"\\\1", escaped)


def md_table(header: list[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for row in rows:
        yield "| " + " | ".join(md_escape(str(cell)) for cell in row) + " |"


def label_at(texts: Sequence[Any], index: int | None, lang: str) -> str:
    """The label at ``index``; none for a value no step offers (a workshop imported
    before the import checked values must still export)."""
    if index is None or not 0 <= index < len(texts):
        return ""
    return text_in(texts[index], lang)
