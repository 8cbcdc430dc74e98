"""What a domain command returns besides new or changed objects: a deletion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Deleted:
    """The ``kind`` of thing with this ``id`` is gone: ``Deleted(Card, card.id)``.

    ``kind`` is the domain class (Card, Cluster, Vote, ActionItem, Step); only the
    repository knows where each is stored and what goes with it."""

    kind: type[Any]
    id: str
