"""Moderation cards and clusters on one Kartenabfrage step: the rules, no I/O.

Every command takes the current :class:`Wall` and returns the list of changes
(:data:`Change`) to store. The storage layer applies them in one transaction;
the live layer turns them into updates for boards, consoles and phones.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from board import card_lines
from board.changes import Deleted
from board.errors import Refused
from board.exercise_fields import CARD_COLOURS
from board.i18n import text_in
from board.steps import Step

# Metaplan card colours, in the order the phone offers them.
COLOURS: tuple[str, ...] = CARD_COLOURS
# Metaplan: one colour per question. A step offers this one unless its exercise or the
# trainer gives it others (its "colours" setting, each with what it means).
DEFAULT_COLOUR = COLOURS[0]
MAX_MEANING_LENGTH = 30
MAX_LINES = card_lines.MAX_LINES
MAX_HEADING_LENGTH = 60
# A step's setting (in its config), on unless the trainer turns it off: participants'
# cards lock once the room has them (see edit_lock).
LOCK_EDITS = "lock_edits"
LOCK_EDITS_DEFAULT = True
# A step's runtime setting while its hidden cards are revealed one by one: the ids of
# those the room has seen, in the order shown (see board.reveal).
REVEALED_CARDS = "revealed_cards"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What shows nothing on its own: format characters (zero-width space, joiners, word
# joiner, byte order mark, soft hyphen…), spaces and separators of every kind, controls,
# and marks with nothing to sit on (a lone variation selector) …
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
# … and the letters that are drawn blank: the Hangul fillers and the empty Braille cell.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


@dataclass(frozen=True)
class Card:
    id: str
    step_id: str
    participant_id: str | None
    client_id: str | None
    text: str
    colour: str
    cluster_id: str | None
    stacked_on: str | None
    position: int
    edited: bool
    created_at: float
    # On a step run in small groups (board.teams): the team whose wall it is on (None:
    # the plenary's).
    team_id: str | None = None


@dataclass(frozen=True)
class Cluster:
    id: str
    step_id: str
    heading: str
    position: int
    created_at: float
    team_id: str | None = None  # as Card.team_id


Change = Card | Cluster | Step | Deleted


@dataclass(frozen=True)
class Wall:
    """One step with its cards and clusters (on a step run in small groups: one team's
    part of it, see board.teams.team_wall; what a command adds to it is that team's)."""

    step: Step
    cards: tuple[Card, ...]
    clusters: tuple[Cluster, ...]
    team_id: str | None = None

    def card(self, card_id: str) -> Card:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise Refused("card_not_found", 404)

    def cluster(self, cluster_id: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.id == cluster_id:
                return cluster
        raise Refused("cluster_not_found", 404)

    def in_cluster(self, cluster_id: str | None) -> list[Card]:
        """Top cards (not stacked) of a cluster, or of "unsorted" for None, in order."""
        found = [c for c in self.cards if c.cluster_id == cluster_id and c.stacked_on is None]
        return sorted(found, key=lambda c: (c.position, c.created_at))

    def stacked_under(self, card_id: str) -> list[Card]:
        return list(self._stacks.get(card_id, ()))

    @functools.cached_property
    def _stacks(self) -> dict[str, list[Card]]:
        # Built once per wall: templates ask for every card's stack.
        stacks: dict[str, list[Card]] = {}
        for card in sorted(self.cards, key=lambda c: c.created_at):
            if card.stacked_on is not None:
                stacks.setdefault(card.stacked_on, []).append(card)
        return stacks

    def ordered_clusters(self) -> list[Cluster]:
        return sorted(self.clusters, key=lambda c: (c.position, c.created_at))

    def cards_of(self, participant_id: str) -> list[Card]:
        mine = [c for c in self.cards if c.participant_id == participant_id]
        return sorted(mine, key=lambda c: c.created_at)

    @functools.cached_property
    def _by_id(self) -> dict[str, Card]:
        return {card.id: card for card in self.cards}

    @property
    def shown_one_by_one(self) -> tuple[str, ...]:
        """The cards revealed one by one so far, in the order shown (none: no such reveal)."""
        return tuple(self.step.config.get(REVEALED_CARDS, ()))

    def is_revealed(self, card: Card) -> bool:
        """Whether the room has seen this card in a reveal one by one (a stacked card
        with the card it lies under)."""
        shown = set(self.shown_one_by_one)
        seen: set[str] = set()
        while card.id not in shown:
            under = self._by_id.get(card.stacked_on or "")
            if under is None or under.id in seen:
                return False
            seen.add(card.id)
            card = under
        return True

    @property
    def revealing(self) -> bool:
        """Whether a hidden step is being revealed one card at a time right now."""
        return self.step.hidden and not self.step.revealed and bool(self.shown_one_by_one)

    def waiting(self) -> list[Card]:
        """The cards still to reveal one by one, in the order they come: the unsorted in
        their (shuffled) order, then any the trainer sorted into a cluster unseen."""
        unsorted = self.in_cluster(None)
        clustered = [c for k in self.ordered_clusters() for c in self.in_cluster(k.id)]
        return [c for c in unsorted + clustered if not self.is_revealed(c)]

    def seen_by_room(self) -> tuple[Card, ...]:
        """The cards the room has seen in a reveal one by one, those under them too."""
        return tuple(c for c in self.cards if self.is_revealed(c))

    @property
    def current(self) -> Card | None:
        """The card just revealed, which the board shows large until it lands: the next
        card comes, the reveal ends, or the trainer sorts it into a cluster."""
        if not self.revealing:
            return None
        card = self._by_id.get(self.shown_one_by_one[-1])
        if card is None or card.cluster_id is not None or card.stacked_on is not None:
            return None
        return card

    @property
    def visible_to_room(self) -> bool:
        """Whether boards and phones may see the card texts."""
        return not self.step.hidden or self.step.revealed

    @property
    def edits_lock(self) -> str | None:
        """Why participants may no longer change or delete their cards here (a message
        key), or None while they may (see :func:`edit_lock`)."""
        return edit_lock(self.step, sorting=bool(self.clusters))


def edit_lock(step: Step, sorting: bool) -> str | None:
    """The trainer's authority over the wall: once the room has the cards, they stay.

    A hidden step locks at its reveal (the trainer read and fixed them, the room now
    sees them); an open wall, where the room saw every card as it came, once the
    trainer starts clustering (``sorting``: the step has a cluster) — a card rewritten
    after it was sorted under a heading would no longer fit it. New cards can still be
    written. Off for a step whose ``lock_edits`` setting is false.
    """
    if not step.config.get(LOCK_EDITS, LOCK_EDITS_DEFAULT):
        return None
    if step.hidden:
        return "cards_locked_revealed" if step.revealed else None
    return "cards_locked_sorting" if sorting else None


def set_edit_lock(step: Step, on: bool) -> Step:
    """The trainer turns the lock of participants' cards on or off for this step."""
    return replace(step, config=step.config | {LOCK_EDITS: on})


def has_visible(text: str) -> bool:
    """Whether anything of ``text`` shows: not only spaces, joiners, fillers or marks.

    Joiners inside visible text stay where they are (the ZWJ of 👩‍💻); only a text
    made of nothing else counts as blank.
    """
    return any(not _invisible(char) for char in text)


def _invisible(char: str) -> bool:
    return (
        char.isspace()
        or char in _BLANK_LETTERS
        or unicodedata.category(char) in _INVISIBLE_CATEGORIES
    )


def clean_text(raw: str, max_length: int) -> str:
    """Normalise card text; refuse empty (or invisible), too long, or more than three lines."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [line.strip() for line in text.strip().split("\n")]
    text = "\n".join(line for line in lines if has_visible(line))
    if not text:
        raise Refused("card_empty")
    if len(text) > max_length:
        raise Refused("card_too_long", max=max_length)
    if text.count("\n") >= MAX_LINES:
        raise Refused("card_too_many_lines", max=MAX_LINES)
    return text


def check_fits(text: str) -> str:
    """The Metaplan rule for what a person writes now: at most three lines at the
    card's width on the board (card_lines), within the character cap of clean_text.
    An imported protocol keeps its cards as they were written (clean_text only)."""
    lines = card_lines.lines_of(text)
    if lines > MAX_LINES:
        raise Refused("card_too_wide", n=lines, max=MAX_LINES)
    return text


def clean_heading(raw: str) -> str:
    heading = " ".join(_CONTROL.sub("", raw).split())
    if not has_visible(heading):
        raise Refused("heading_empty")
    if len(heading) > MAX_HEADING_LENGTH:
        raise Refused("heading_too_long", max=MAX_HEADING_LENGTH)
    return heading


def check_colour(colour: str, offered: Iterable[str] = COLOURS) -> str:
    """A colour of the palette, and one the step offers (a step's colours mean something:
    a card in another would say nothing, or the wrong thing)."""
    if colour not in COLOURS:
        raise Refused("colour_unknown")
    if colour not in offered:
        raise Refused("colour_not_offered")
    return colour


def offered_colours(step: Step) -> tuple[str, ...]:
    """The colours a step's cards may have: its setting's, else the one default."""
    chosen = step.config.get("colours")
    return tuple(c["colour"] for c in chosen) if chosen else (DEFAULT_COLOUR,)


@dataclass(frozen=True)
class Meaning:
    """A colour the step offers and what a card in it says (None: nothing set)."""

    colour: str
    label: dict[str, str] | None

    def text(self, lang: str) -> str:
        return text_in(self.label, lang) if self.label else ""


def meanings(step: Step) -> list[Meaning]:
    """The step's colours in order, each with its meaning (the phone's choice, the
    board's legend)."""
    chosen = step.config.get("colours")
    if not chosen:
        return [Meaning(DEFAULT_COLOUR, None)]
    return [Meaning(c["colour"], c.get("label")) for c in chosen]


def has_legend(step: Step) -> bool:
    return any(m.label for m in meanings(step))


def colour_names(step: Step, lang: str, t: Callable[..., str]) -> dict[str, str]:
    """Each colour as a protocol names it: with its meaning on this step, if it has one
    ("Gelb: Erwartung")."""
    names = {colour: t("colour_" + colour) for colour in COLOURS}
    for meaning in meanings(step):
        if meaning.label:
            names[meaning.colour] += f": {meaning.text(lang)}"
    return names


def set_colours(step: Step, chosen: Iterable[tuple[str, str]]) -> Step:
    """The trainer's colours for a step, in the palette's order: (colour, meaning) each,
    the meaning as typed (in the room's language, so both languages show it); an
    empty one means the colour is offered without a meaning."""
    picked = dict(chosen)
    if not picked:
        raise Refused("colours_none")
    for colour in picked:
        check_colour(colour)
    colours: list[dict[str, object]] = []
    for colour in COLOURS:
        if colour not in picked:
            continue
        meaning = " ".join(_CONTROL.sub("", picked[colour]).split())
        if len(meaning) > MAX_MEANING_LENGTH:
            raise Refused("meaning_too_long", max=MAX_MEANING_LENGTH)
        entry: dict[str, object] = {"colour": colour}
        if has_visible(meaning):
            entry["label"] = {"de": meaning, "en": meaning}
        colours.append(entry)
    plain = [c for c in colours if "label" not in c] == colours and len(colours) == 1
    unset = plain and colours[0]["colour"] == DEFAULT_COLOUR
    config = {k: v for k, v in step.config.items() if k != "colours"}
    return replace(step, config=config if unset else config | {"colours": colours})


def _require_open(wall: Wall) -> None:
    # Only a step whose kind takes cards gets here (board.kinds, Service.on_cards).
    if wall.step.state != "open":
        raise Refused("step_closed", 409)


def _require_unlocked(wall: Wall, card: Card) -> None:
    lock = wall.edits_lock
    if lock is None and wall.step.config.get(LOCK_EDITS, LOCK_EDITS_DEFAULT):
        # One by one: a card the room has seen stays as it was shown.
        lock = "cards_locked_revealed" if wall.is_revealed(card) else None
    if lock is not None:
        raise Refused(lock, 409)


def _own(wall: Wall, participant_id: str, card_id: str) -> Card:
    card = wall.card(card_id)
    if card.participant_id != participant_id:
        raise Refused("card_not_yours", 403)
    return card


def _next_position(cards: Iterable[Card]) -> int:
    return max((c.position for c in cards), default=-1) + 1


def add_card(
    wall: Wall,
    *,
    card_id: str,
    participant_id: str | None,
    client_id: str | None,
    text: str,
    colour: str,
    now: float,
    max_length: int,
) -> tuple[Card, list[Change]]:
    """A participant (or the trainer, with no participant) writes a card.

    A card arriving again with the same client id is the same card: it is
    returned as it is stored and nothing changes.
    """
    if client_id is not None and participant_id is not None:
        for card in wall.cards:
            if card.participant_id == participant_id and card.client_id == client_id:
                return card, []
    _require_open(wall)
    card = Card(
        id=card_id,
        step_id=wall.step.id,
        participant_id=participant_id,
        client_id=client_id,
        text=check_fits(clean_text(text, max_length)),
        colour=check_colour(colour, offered_colours(wall.step)),
        cluster_id=None,
        stacked_on=None,
        position=_next_position(wall.in_cluster(None)),
        edited=False,
        created_at=now,
        team_id=wall.team_id,
    )
    return card, [card]


def edit_own_card(
    wall: Wall, participant_id: str, card_id: str, text: str, colour: str, max_length: int
) -> list[Change]:
    card = _own(wall, participant_id, card_id)
    _require_open(wall)
    _require_unlocked(wall, card)
    offered = (*offered_colours(wall.step), card.colour)  # an older colour may stay
    new_text = clean_text(text, max_length)
    changed = replace(card, text=new_text, colour=check_colour(colour, offered))
    if changed == card:
        return []
    return [changed if new_text == card.text else replace(changed, text=check_fits(new_text))]


def delete_own_card(wall: Wall, participant_id: str, card_id: str) -> list[Change]:
    card = _own(wall, participant_id, card_id)
    _require_open(wall)
    _require_unlocked(wall, card)
    return _delete(wall, card)


def delete_card(wall: Wall, card_id: str) -> list[Change]:
    """The trainer removes a card (off topic, a test, a duplicate not worth stacking)."""
    return _delete(wall, wall.card(card_id))


def write_card(
    wall: Wall,
    *,
    card_id: str,
    text: str,
    colour: str,
    cluster_id: str | None,
    now: float,
    max_length: int,
) -> list[Change]:
    """The trainer writes a card herself (Zurufabfrage: the room calls out, she writes),
    onto the wall or straight into a cluster. It has no participant: nobody's phone
    lists it and nobody can edit it there; on the wall it is a card like every other."""
    if cluster_id is not None:
        wall.cluster(cluster_id)
    card, _ = add_card(
        wall,
        card_id=card_id,
        participant_id=None,
        client_id=None,
        text=text,
        colour=colour,
        now=now,
        max_length=max_length,
    )
    position = _next_position(wall.in_cluster(cluster_id))
    return [replace(card, cluster_id=cluster_id, position=position)]


def _delete(wall: Wall, card: Card) -> list[Change]:
    # Cards stacked under a deleted card take its place rather than vanish.
    changes: list[Change] = [Deleted(Card, card.id)]
    under = wall.stacked_under(card.id)
    if under:
        top, rest = under[0], under[1:]
        changes.append(
            replace(top, stacked_on=None, cluster_id=card.cluster_id, position=card.position)
        )
        changes.extend(replace(c, stacked_on=top.id) for c in rest)
    return changes


def fix_wording(wall: Wall, card_id: str, text: str, max_length: int) -> list[Change]:
    """The trainer corrects a card's wording; the card then shows it was edited."""
    card = wall.card(card_id)
    new_text = clean_text(text, max_length)
    if new_text == card.text:
        return []
    return [replace(card, text=check_fits(new_text), edited=True)]


def stack(wall: Wall, card_id: str, onto_id: str) -> list[Change]:
    """Stack a duplicate onto another card (and everything under it with it)."""
    card = wall.card(card_id)
    onto = wall.card(onto_id)
    seen = {onto.id}
    while onto.stacked_on is not None and onto.stacked_on not in seen:  # no stack is a cycle
        onto = wall.card(onto.stacked_on)
        seen.add(onto.id)
    if onto.id == card.id:
        raise Refused("stack_onto_itself")
    moved = [card, *wall.stacked_under(card.id)]
    return [replace(c, stacked_on=onto.id, cluster_id=None) for c in moved]


def unstack(wall: Wall, card_id: str) -> list[Change]:
    card = wall.card(card_id)
    if card.stacked_on is None:
        return []
    top = wall.card(card.stacked_on)
    return [
        replace(
            card,
            stacked_on=None,
            cluster_id=top.cluster_id,
            position=_next_position(wall.in_cluster(top.cluster_id)),
        )
    ]


def move_card(wall: Wall, card_id: str, cluster_id: str | None, index: int) -> list[Change]:
    """Move a card into a cluster (None: back to unsorted) at ``index``."""
    card = wall.card(card_id)
    if cluster_id is not None:
        wall.cluster(cluster_id)
    if card.stacked_on is not None:
        card = replace(card, stacked_on=None)
    target = [c for c in wall.in_cluster(cluster_id) if c.id != card.id]
    index = max(0, min(index, len(target)))
    target.insert(index, card)
    changes: list[Change] = []
    for position, c in enumerate(target):
        moved = replace(c, cluster_id=cluster_id, position=position)
        if moved != wall.card(c.id):
            changes.append(moved)
    return changes


def create_cluster(wall: Wall, cluster_id: str, heading: str, now: float) -> list[Change]:
    return [_new_cluster(wall, cluster_id, heading, now)]


def _new_cluster(wall: Wall, cluster_id: str, heading: str, now: float) -> Cluster:
    """A cluster right of all others."""
    position = max((c.position for c in wall.clusters), default=-1) + 1
    return Cluster(cluster_id, wall.step.id, clean_heading(heading), position, now, wall.team_id)


def start_cluster(
    wall: Wall, cluster_id: str, heading: str, card_id: str, now: float
) -> list[Change]:
    """A new cluster with ``card_id`` in it (the console's "N"); with no heading given,
    the card's own words name the cluster until the trainer renames it."""
    card = wall.card(card_id)
    if not has_visible(heading):
        heading = heading_from(card.text)
    cluster = _new_cluster(wall, cluster_id, heading, now)
    grown = replace(wall, clusters=(*wall.clusters, cluster))
    return [cluster, *move_card(grown, card.id, cluster.id, 0)]


def heading_from(text: str) -> str:
    """A card's text as a heading: on one line, cut to the heading's length."""
    line = " ".join(text.split())
    if len(line) <= MAX_HEADING_LENGTH:
        return line
    return line[: MAX_HEADING_LENGTH - 1].rstrip() + "…"


def rename_cluster(wall: Wall, cluster_id: str, heading: str) -> list[Change]:
    cluster = wall.cluster(cluster_id)
    renamed = replace(cluster, heading=clean_heading(heading))
    return [] if renamed == cluster else [renamed]


def move_cluster(wall: Wall, cluster_id: str, index: int) -> list[Change]:
    cluster = wall.cluster(cluster_id)
    order = [c for c in wall.ordered_clusters() if c.id != cluster.id]
    order.insert(max(0, min(index, len(order))), cluster)
    return [replace(c, position=i) for i, c in enumerate(order) if c.position != i]


def merge_clusters(wall: Wall, source_id: str, target_id: str) -> list[Change]:
    """Put all cards of ``source`` at the end of ``target`` and remove ``source``."""
    source = wall.cluster(source_id)
    target = wall.cluster(target_id)
    if source.id == target.id:
        raise Refused("merge_into_itself")
    start = _next_position(wall.in_cluster(target.id))
    changes: list[Change] = [
        replace(card, cluster_id=target.id, position=start + i)
        for i, card in enumerate(wall.in_cluster(source.id))
    ]
    changes.append(Deleted(Cluster, source.id))
    return changes


def dissolve_cluster(wall: Wall, cluster_id: str) -> list[Change]:
    """Remove a cluster; its cards go back to unsorted, in their order."""
    cluster = wall.cluster(cluster_id)
    start = _next_position(wall.in_cluster(None))
    changes: list[Change] = [
        replace(card, cluster_id=None, position=start + i)
        for i, card in enumerate(wall.in_cluster(cluster.id))
    ]
    changes.append(Deleted(Cluster, cluster.id))
    return changes
