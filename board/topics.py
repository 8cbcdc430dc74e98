"""Themenspeicher (Parkplatz): the workshop's topics across the whole day. No I/O.

The trainer adds, renames, removes and reorders topics at any time; a card or a
whole cluster is parked here from any card step (it stays on its wall, the topic
keeps a link to it); participants may propose topics while the trainer allows it,
and a proposal waits for the trainer to accept it before any board shows it
(the board is the room's, and the moderator decides what goes on it). A dots step
may take the topics as its options; its ranking is kept on the topics, and the top
ones flow into the Maßnahmenplan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from board.cards import Wall
from board.changes import Deleted
from board.errors import Refused
from board.steps import Step
from board.workshops import Workshop

MAX_TITLE_LENGTH = 200  # a parked card's text is shortened to this (cards are shorter)
MAX_TOPICS = 200  # in one workshop: a day's Themenspeicher, with room to spare
# Proposals of one person waiting for the trainer: enough for a real idea or three,
# too few to flood the console.
MAX_WAITING_EACH = 5
TOP_DEFAULT = 3  # "Top 3 in den Maßnahmenplan"
ORIGINS = ("card", "cluster")


@dataclass(frozen=True)
class Topic:
    id: str
    workshop_id: str
    title: str
    position: int
    created_at: float
    # A participant's proposal the trainer has not accepted yet (shown to nobody else).
    proposed: bool = False
    participant_id: str | None = None  # who proposed it; None: the trainer's own
    # Where it was parked from: the step, "card" or "cluster", its id and its text then.
    origin_step_id: str | None = None
    origin: str | None = None
    origin_id: str | None = None
    origin_text: str = ""
    # The last ranking of a dots step on the topics: its dots and rank, and which step.
    dots: int | None = None
    rank: int | None = None
    ranked_step_id: str | None = None


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise Refused("topic_empty", 422)
    if len(title) > MAX_TITLE_LENGTH:
        raise Refused("topic_too_long", 422, max=MAX_TITLE_LENGTH)
    return title


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TITLE_LENGTH else text[: MAX_TITLE_LENGTH - 1] + "…"


def ordered(topics: Sequence[Topic]) -> list[Topic]:
    return sorted(topics, key=lambda t: (t.position, t.created_at))


def accepted(topics: Sequence[Topic]) -> list[Topic]:
    """The Themenspeicher itself, in order: every topic but waiting proposals."""
    return [t for t in ordered(topics) if not t.proposed]


def waiting(topics: Sequence[Topic]) -> list[Topic]:
    return [t for t in ordered(topics) if t.proposed]


def for_the_room(topics: Sequence[Topic], steps: Sequence[Step]) -> list[Topic]:
    """What a board may show: accepted topics, but none parked from a step whose cards
    still wait for their reveal (parking a hidden card must not show it to the room)."""
    hidden = {s.id for s in steps if not s.results_visible}
    return [t for t in accepted(topics) if t.origin_step_id not in hidden]


def _next_position(topics: Sequence[Topic]) -> int:
    return max((t.position for t in topics), default=-1) + 1


def _room_for_one(topics: Sequence[Topic]) -> None:
    if len(topics) >= MAX_TOPICS:
        raise Refused("topics_full", 409, max=MAX_TOPICS)


def _topic(topics: Sequence[Topic], topic_id: str) -> Topic:
    for topic in topics:
        if topic.id == topic_id:
            return topic
    raise Refused("topic_not_found", 404)


def add(
    topics: Sequence[Topic], workshop_id: str, title: str, new_id: str, now: float
) -> list[Topic]:
    """The trainer writes a topic into the Themenspeicher."""
    _room_for_one(topics)
    return [Topic(new_id, workshop_id, clean_title(title), _next_position(topics), now)]


def propose(
    topics: Sequence[Topic],
    workshop: Workshop,
    participant_id: str,
    title: str,
    new_id: str,
    now: float,
) -> list[Topic]:
    """A participant proposes a topic, while the trainer allows it; it waits for her."""
    if not workshop.topic_proposals:
        raise Refused("topic_proposals_closed", 403)
    title = clean_title(title)
    mine = [t for t in topics if t.proposed and t.participant_id == participant_id]
    if len(mine) >= MAX_WAITING_EACH:
        raise Refused("topic_proposals_waiting", 429, max=MAX_WAITING_EACH)
    _room_for_one(topics)
    position = _next_position(topics)
    return [Topic(new_id, workshop.id, title, position, now, True, participant_id)]


def accept(topics: Sequence[Topic], topic_id: str) -> list[Topic]:
    topic = _topic(topics, topic_id)
    if not topic.proposed:
        return []
    # Accepted topics join the end of the Themenspeicher in the order they were accepted.
    return [replace(topic, proposed=False, position=_next_position(topics))]


def reject(topics: Sequence[Topic], topic_id: str) -> list[Deleted]:
    topic = _topic(topics, topic_id)
    if not topic.proposed:
        raise Refused("topic_not_proposed", 409)
    return [Deleted(Topic, topic.id)]


def rename(topics: Sequence[Topic], topic_id: str, title: str) -> list[Topic]:
    topic = _topic(topics, topic_id)
    changed = replace(topic, title=clean_title(title))
    return [] if changed == topic else [changed]


def remove(topics: Sequence[Topic], topic_id: str) -> list[Deleted]:
    return [Deleted(Topic, _topic(topics, topic_id).id)]


def move(topics: Sequence[Topic], topic_id: str, index: int) -> list[Topic]:
    """Put a topic at ``index`` of the Themenspeicher (clamped); renumber the rest."""
    topic = _topic(topics, topic_id)
    others = [t for t in ordered(topics) if t.id != topic.id]
    index = max(0, min(index, len(others)))
    others.insert(index, topic)
    return [replace(t, position=i) for i, t in enumerate(others) if t.position != i]


def _already_parked(topics: Sequence[Topic], origin_id: str) -> None:
    if any(t.origin_id == origin_id for t in topics):
        raise Refused("topic_already_parked", 409)


def park_card(
    topics: Sequence[Topic], wall: Wall, card_id: str, new_id: str, now: float
) -> list[Topic]:
    """Park a card ("Parkplatz"): a topic with its text, linked to the card and its step.
    The card stays on its wall: the step's record stays whole."""
    card = next((c for c in wall.cards if c.id == card_id), None)
    if card is None:
        raise Refused("card_not_found", 404)
    _already_parked(topics, card.id)
    _room_for_one(topics)
    text = _shortened(card.text)
    return [
        Topic(
            new_id,
            wall.step.workshop_id,
            text,
            _next_position(topics),
            now,
            origin_step_id=wall.step.id,
            origin="card",
            origin_id=card.id,
            origin_text=text,
        )
    ]


def park_cluster(
    topics: Sequence[Topic], wall: Wall, cluster_id: str, new_id: str, now: float
) -> list[Topic]:
    """Park a whole cluster: a topic named by its heading, linked to the cluster."""
    cluster = next((c for c in wall.clusters if c.id == cluster_id), None)
    if cluster is None:
        raise Refused("cluster_not_found", 404)
    _already_parked(topics, cluster.id)
    _room_for_one(topics)
    cards = " · ".join(c.text for c in wall.in_cluster(cluster.id))
    return [
        Topic(
            new_id,
            wall.step.workshop_id,
            _shortened(cluster.heading),
            _next_position(topics),
            now,
            origin_step_id=wall.step.id,
            origin="cluster",
            origin_id=cluster.id,
            origin_text=_shortened(f"{cluster.heading}: {cards}" if cards else cluster.heading),
        )
    ]


def keep_ranking(
    topics: Sequence[Topic], ranked: Sequence[tuple[str, int, int]], step_id: str
) -> list[Topic]:
    """Store a dots step's ranking on the topics: (topic id, dots, rank) each; a topic
    the step offered no more loses an earlier ranking of that step."""
    found = {topic_id: (dots, rank) for topic_id, dots, rank in ranked}
    changed = []
    for topic in topics:
        if topic.id in found:
            dots, rank = found[topic.id]
            new = replace(topic, dots=dots, rank=rank, ranked_step_id=step_id)
        elif topic.ranked_step_id == step_id:
            new = replace(topic, dots=None, rank=None, ranked_step_id=None)
        else:
            continue
        if new != topic:
            changed.append(new)
    return changed


def top(topics: Sequence[Topic], step_id: str, n: int) -> list[Topic]:
    """The topics ranked 1 to ``n`` by the step, best first, with at least one dot. A
    rank shared across the line comes in whole: a tie is the room's, not the tool's."""
    if n < 1:
        raise Refused("top_n_invalid", 422)
    ranked = [t for t in topics if t.ranked_step_id == step_id and t.rank and t.dots]
    return sorted((t for t in ranked if (t.rank or 0) <= n), key=lambda t: (t.rank, t.position))


def set_proposals(workshop: Workshop, allowed: bool) -> list[Workshop]:
    """Whether phones may propose topics (a workshop setting, off by default)."""
    return (
        [] if workshop.topic_proposals == allowed else [replace(workshop, topic_proposals=allowed)]
    )


def show_on_board(workshop: Workshop, shown: bool) -> list[Workshop]:
    """Whether the board shows the Themenspeicher instead of the step's wall."""
    return [] if workshop.topics_shown == shown else [replace(workshop, topics_shown=shown)]
