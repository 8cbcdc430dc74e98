"""The trainer's undo: what an action changed on the wall, and how to take it back. No I/O.

Each undoable trainer action leaves an entry in the step's history (stored in the
action's own transaction): every card and cluster it touched, as it was before and
after (:class:`Image`). Undo takes the step's latest entry and puts back the before
images — but only where the row is still as the action left it. A participant may
have edited or deleted one of those cards since (their own edits are not in the
trainer's history): their newer text stays, and so does their deletion; everything
else of the entry is restored, and the trainer is told how many cards kept their
newer state (:class:`Reverted`).

Placement (cluster, stack, position) and content (text, colour, the "edited" mark)
are judged apart: undoing a move puts a card back even if its author has since
fixed a typo in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from board.cards import Card, Change, Cluster, Wall, delete_card
from board.changes import Deleted

# Entries kept per step: older ones are pruned as new ones come.
UNDO_DEPTH = 50

# The undoable trainer actions, and what the undo button calls each (i18n keys).
LABELS: dict[str, str] = {
    "card-move": "undo_card_move",
    "card-stack": "undo_card_stack",
    "card-unstack": "undo_card_unstack",
    "card-text": "undo_card_text",
    "card-delete": "undo_card_delete",
    "card-write": "undo_card_write",
    "cluster-new": "undo_cluster_new",
    "cluster-rename": "undo_cluster_rename",
    "cluster-move": "undo_cluster_move",
    "cluster-merge": "undo_cluster_merge",
    "cluster-dissolve": "undo_cluster_dissolve",
    "similar-stack": "undo_card_stack",
    "similar-cluster": "undo_cluster_new",
}

_PLACEMENT = ("cluster_id", "stacked_on", "position")
_CONTENT = ("text", "colour", "edited")

Row = Card | Cluster
_ROWS: tuple[type[Row], ...] = (Card, Cluster)


@dataclass(frozen=True)
class Image:
    """One card or cluster an action touched: before it (None: the action made it) and
    after it (None: the action removed it)."""

    kind: type[Row]
    id: str
    before: Row | None
    after: Row | None


@dataclass(frozen=True)
class Entry:
    """One undoable action in a step's history."""

    id: int
    action: str
    images: tuple[Image, ...]

    @property
    def label(self) -> str:
        return LABELS.get(self.action, "undo")


@dataclass(frozen=True)
class Reverted:
    """What undoing an entry changes, and how many cards kept a participant's newer state."""

    changes: list[Change]
    kept: int


def record(wall: Wall, changes: Sequence[object]) -> tuple[Image, ...]:
    """The images of an action's ``changes`` on ``wall`` (the wall before it)."""
    before: dict[tuple[type[Row], str], Row | None] = {}
    after: dict[tuple[type[Row], str], Row | None] = {}
    for change in changes:
        if isinstance(change, Card | Cluster):
            key = (type(change), change.id)
            before.setdefault(key, _find(wall, *key))
            after[key] = change
        elif isinstance(change, Deleted) and change.kind in _ROWS:
            key = (change.kind, change.id)
            before.setdefault(key, _find(wall, *key))
            after[key] = None
    for key, row in list(after.items()):
        if key[0] is Cluster and row is None:  # its cards the storage empties out with it
            for card in wall.cards:
                if card.cluster_id == key[1] and (Card, card.id) not in after:
                    before[(Card, card.id)] = card
                    after[(Card, card.id)] = replace(card, cluster_id=None)
    return tuple(Image(kind, id_, before[(kind, id_)], after[(kind, id_)]) for kind, id_ in after)


def _find(wall: Wall, kind: type[Row], row_id: str) -> Row | None:
    rows: Iterable[Row] = wall.cards if kind is Card else wall.clusters
    return next((row for row in rows if row.id == row_id), None)


def revert(wall: Wall, images: Sequence[Image]) -> Reverted:
    """The changes that take an entry back on ``wall`` (the wall as it is now)."""
    changes: list[Change] = []
    kept = 0
    for image in sorted(images, key=lambda i: i.kind is Card):  # clusters first
        now = _find(wall, image.kind, image.id)
        if image.before is None:  # the action made it: remove it again
            if now is not None:
                changes += _remove(wall, now)
        elif now is None:
            if image.after is None:  # the action removed it: put it back
                changes.append(image.before)
            else:  # someone (its author) deleted it since: that stays
                kept += 1
        elif image.after is not None:
            restored, conflict = _restore(image.before, image.after, now)
            kept += conflict
            if restored != now:
                changes.append(restored)
    return Reverted(_still_pointing(wall, changes), kept)


def _remove(wall: Wall, row: Row) -> list[Change]:
    if isinstance(row, Cluster):
        return [Deleted(Cluster, row.id)]
    return delete_card(wall, row.id)


def _restore(before: Row, after: Row, now: Row) -> tuple[Row, bool]:
    """``now`` with what the action changed put back, where nobody changed it since."""
    if isinstance(before, Cluster):  # only the trainer changes clusters
        return before, False
    restored: dict[str, Any] = {}
    conflict = False
    for fields in (_PLACEMENT, _CONTENT):
        was, became, is_ = (_values(row, fields) for row in (before, after, now))
        if was == became:
            continue  # the action left these alone
        if is_ == became:
            restored |= dict(zip(fields, was, strict=True))
        else:  # changed again since (a participant's edit): the newer state stays
            conflict = True
    return replace(now, **restored), conflict


def _values(row: Row, fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in fields)


def _still_pointing(wall: Wall, changes: list[Change]) -> list[Change]:
    """A card put back into a cluster or onto a card that is gone since goes unsorted."""
    removed = {c.id for c in changes if isinstance(c, Deleted)}
    clusters = {c.id for c in wall.clusters} | {c.id for c in changes if isinstance(c, Cluster)}
    cards = {c.id for c in wall.cards} | {c.id for c in changes if isinstance(c, Card)}
    clusters -= removed
    cards -= removed
    fixed: list[Change] = []
    for change in changes:
        if isinstance(change, Card):
            if change.cluster_id is not None and change.cluster_id not in clusters:
                change = replace(change, cluster_id=None)
            if change.stacked_on is not None and change.stacked_on not in cards:
                change = replace(change, stacked_on=None)
        fixed.append(change)
    return fixed
