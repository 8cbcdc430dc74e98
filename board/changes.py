"""What a domain command returns besides new or changed rows: a deletion."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Deleted:
    """The row ``id`` of ``table`` is to be deleted."""

    table: str
    id: str
