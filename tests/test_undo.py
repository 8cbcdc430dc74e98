"""The trainer's undo, through the service as the console drives it: every undoable
action is taken back to exactly the wall before it, on its own step only, at most
UNDO_DEPTH deep, and never over a participant's newer edit."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from board import undo
from board.cards import COLOURS, Card, Cluster
from board.changes import Deleted
from board.errors import Refused
from board.i18n import MESSAGES
from board.service import Service
from board.store import repository
from board.web.trainer import TrainerInput, command_for
from board.workshops import Participant, Workshop

# The wall as a set of rows: what a screen shows, whatever order the rows came back in.
State = tuple[frozenset[Card], frozenset[Cluster]]


@dataclass
class Room:
    service: Service
    workshop: Workshop
    anna: Participant
    ben: Participant

    async def act(self, action: str, **form: str | list[str]) -> None:
        """The trainer's action as the console sends it (undoable where it is)."""
        ctx = TrainerInput(
            form, self.service.settings.card_max_length, self.service.library, time.time()
        )
        undo_as = action if action in undo.LABELS else None
        await self.service.execute(self.workshop, command_for(action, ctx), undo_as=undo_as)

    async def state(self) -> State:
        wall = (await self.service.snapshot(self.workshop.id)).wall
        return frozenset(wall.cards), frozenset(wall.clusters)

    async def card(self, text: str) -> Card:
        wall = (await self.service.snapshot(self.workshop.id)).wall
        return next(c for c in wall.cards if c.text == text)

    async def cluster(self, heading: str) -> Cluster:
        wall = (await self.service.snapshot(self.workshop.id)).wall
        return next(c for c in wall.clusters if c.heading == heading)

    async def history(self, step_id: str | None = None) -> int:
        step = step_id or (await self.service.snapshot(self.workshop.id)).step.id
        return self.service.db.read_now(lambda conn: repository.count_undo(conn, step))

    async def undo_label(self) -> str | None:
        return (await self.service.snapshot(self.workshop.id)).undo_label


@pytest.fixture
async def room(service: Service) -> Room:
    """A Kartenabfrage mid-way: five cards by two phones, two clusters with cards."""
    workshop = await service.create_workshop("Kundenbegeisterung")
    anna = await service.join(workshop, "Anna")
    ben = await service.join(workshop, "Ben")
    room = Room(service, workshop, anna, ben)
    await room.act("card-colours", **{f"colour_{c}": "on" for c in COLOURS})  # any colour
    for who, text in ((anna, "Freundlich"), (anna, "Schnell"), (ben, "Zuverlässig")):
        await service.add_card(workshop, who.id, text, text, "yellow")
    for who, text in ((ben, "Ehrlich"), (anna, "Pünktlich")):
        await service.add_card(workshop, who.id, text, text, "green")
    await room.act(LOCK_OFF[0], **LOCK_OFF[1])  # the phones edit below (lock: own tests)
    await room.act("cluster-new", heading="Haltung")
    await room.act("cluster-new", heading="Tempo")
    haltung, tempo = await room.cluster("Haltung"), await room.cluster("Tempo")
    for text, cluster in (("Freundlich", haltung), ("Ehrlich", haltung), ("Schnell", tempo)):
        await room.act("card-move", card_id=(await room.card(text)).id, cluster_id=cluster.id)
    await room.act("card-stack", card_id=(await room.card("Pünktlich")).id,
                   onto_id=(await room.card("Schnell")).id)  # fmt: skip
    return room


LOCK_OFF = ("edit-lock", {"lock": ""})


async def ids(room: Room) -> dict[str, str]:
    wall = (await room.service.snapshot(room.workshop.id)).wall
    return {c.text: c.id for c in wall.cards} | {c.heading: c.id for c in wall.clusters}


# Each undoable action, with its form (texts and headings stand for their ids).
ACTIONS: dict[str, dict[str, str | list[str]]] = {
    "card-move": {"card_id": "Zuverlässig", "cluster_id": "Tempo", "index": "0"},
    "card-stack": {"card_id": "Freundlich", "onto_id": "Zuverlässig"},
    "card-unstack": {"card_id": "Pünktlich"},
    "card-text": {"card_id": "Ehrlich", "text": "Ehrlich und offen"},
    "card-delete": {"card_id": "Schnell"},  # the top of a stack: the next takes its place
    "card-write": {"text": "Zuruf: Humor", "colour": "blue", "cluster_id": "Haltung"},
    "cluster-new": {"heading": "Kosten"},
    "cluster-rename": {"cluster_id": "Haltung", "heading": "Einstellung"},
    "cluster-move": {"cluster_id": "Tempo", "index": "0"},
    "cluster-merge": {"cluster_id": "Tempo", "into_id": "Haltung"},
    "cluster-dissolve": {"cluster_id": "Haltung"},
    # Ähnliche Karten accepted (board.suggestions): the ticked cards, the first on top
    "similar-stack": {"card_id": ["Zuverlässig", "Freundlich", "Ehrlich"]},
    "similar-cluster": {"heading": "Verlässlich", "card_id": ["Zuverlässig"]},
}


def test_every_undoable_action_is_tried_here_and_has_a_label_in_both_languages() -> None:
    assert set(ACTIONS) == set(undo.LABELS)
    for label in undo.LABELS.values():
        assert MESSAGES[label]["de"] and MESSAGES[label]["en"]


@pytest.mark.parametrize("action", sorted(ACTIONS))
async def test_undo_puts_the_wall_back_exactly_as_it_was(room: Room, action: str) -> None:
    known = await ids(room)
    form = {
        key: [known[v] for v in value] if isinstance(value, list) else known.get(value, value)
        for key, value in ACTIONS[action].items()
    }
    before = await room.state()
    depth = await room.history()

    await room.act(action, **form)
    changed = await room.state()
    label = await room.undo_label()
    reverted = await room.service.undo(room.workshop)

    assert changed != before
    assert label == undo.LABELS[action]  # what the button said it would undo
    assert await room.state() == before
    assert reverted.kept == 0
    assert await room.history() == depth  # that entry is gone, the earlier ones stay


async def test_undo_goes_back_step_by_step_to_the_empty_wall(room: Room) -> None:
    """The room fixture's own actions (lock, two clusters, three moves, a stack), last
    first; the lock setting is not undoable, so the cards stay on the wall, unsorted."""
    assert await room.history() == 6
    for _ in range(6):
        await room.service.undo(room.workshop)
    cards, clusters = await room.state()
    assert clusters == frozenset()
    assert {(c.cluster_id, c.stacked_on) for c in cards} == {(None, None)}
    assert await room.undo_label() is None


async def test_nothing_to_undo_is_said_clearly(room: Room) -> None:
    for _ in range(await room.history()):
        await room.service.undo(room.workshop)
    before = await room.state()

    with pytest.raises(Refused) as refused:
        await room.service.undo(room.workshop)

    assert (refused.value.key, refused.value.status) == ("nothing_to_undo", 409)
    assert MESSAGES["nothing_to_undo"]["de"] == "Es gibt nichts rückgängig zu machen."
    assert await room.state() == before


async def test_the_history_keeps_the_last_undo_depth_actions_of_a_step(room: Room) -> None:
    card = (await room.card("Zuverlässig")).id
    tempo = (await room.cluster("Tempo")).id
    for i in range(undo.UNDO_DEPTH + 5):  # back and forth between Tempo and unsorted
        await room.act("card-move", card_id=card, cluster_id=tempo if i % 2 == 0 else "")
    assert await room.history() == undo.UNDO_DEPTH

    for _ in range(undo.UNDO_DEPTH):
        await room.service.undo(room.workshop)
    with pytest.raises(Refused):
        await room.service.undo(room.workshop)
    # The five oldest moves and the fixture's actions were pruned: the oldest kept move
    # (the sixth) is undone to where it found the card, in Tempo after the fifth move.
    assert (await room.card("Zuverlässig")).cluster_id == tempo
    assert len((await room.state())[1]) == 2


async def test_undo_takes_back_only_the_active_step_s_history(room: Room) -> None:
    first = (await room.service.snapshot(room.workshop.id)).step.id
    kept = await room.history(first)
    await room.act("agenda-add", exercise="kundenbegeisterung")
    await room.act("step-next")
    second = (await room.service.snapshot(room.workshop.id)).step.id
    assert second != first
    assert await room.undo_label() is None  # a new step starts with nothing to undo
    with pytest.raises(Refused):
        await room.service.undo(room.workshop)

    await room.act("cluster-new", heading="Anderswo")
    await room.service.undo(room.workshop)

    assert await room.history(first) == kept
    await room.act("step-go", step_id=first)
    assert await room.undo_label() == "undo_card_stack"


async def test_a_participant_s_newer_text_survives_the_undo_of_a_move(room: Room) -> None:
    card = await room.card("Zuverlässig")
    await room.act("card-move", card_id=card.id, cluster_id=(await room.cluster("Tempo")).id)
    await room.service.edit_card(room.workshop, room.ben.id, card.id, "Verlässlich", "pink")

    reverted = await room.service.undo(room.workshop)

    after = await room.card("Verlässlich")
    assert (after.cluster_id, after.colour) == (None, "pink")  # moved back, their text kept
    assert reverted.kept == 0  # nothing of theirs was in the way


async def test_undoing_a_wording_fix_keeps_the_author_s_later_rewrite(room: Room) -> None:
    card = await room.card("Ehrlich")
    await room.act("card-text", card_id=card.id, text="Ehrlich sein")
    await room.service.edit_card(room.workshop, room.ben.id, card.id, "Offen und ehrlich", "green")

    reverted = await room.service.undo(room.workshop)

    assert reverted.kept == 1
    assert (await room.card("Offen und ehrlich")).cluster_id == card.cluster_id
    assert await room.undo_label() == "undo_card_stack"  # the entry is used up all the same


async def test_a_card_its_author_deleted_stays_deleted_when_its_move_is_undone(
    room: Room,
) -> None:
    card = await room.card("Zuverlässig")
    await room.act("card-move", card_id=card.id, cluster_id=(await room.cluster("Tempo")).id)
    await room.service.delete_card(room.workshop, room.ben.id, card.id)
    before = await room.state()

    reverted = await room.service.undo(room.workshop)

    assert reverted.kept == 1
    assert await room.state() == before


async def test_a_deleted_card_comes_back_unsorted_when_its_cluster_is_gone_by_then(
    room: Room,
) -> None:
    """The cluster went without an entry of its own (as when its entry was pruned): the
    card cannot go back into it, so it comes back among the unsorted."""
    card = await room.card("Freundlich")
    await room.act("card-delete", card_id=card.id)
    gone = [Deleted(Cluster, (await room.cluster("Haltung")).id)]
    room.service.db.write_now(lambda conn: repository.apply(conn, room.workshop.id, gone))

    await room.service.undo(room.workshop)

    back = await room.card("Freundlich")
    assert (back.cluster_id, back.stacked_on) == (None, None)


async def test_participants_own_edits_are_not_in_the_trainer_s_undo(service: Service) -> None:
    workshop = await service.create_workshop("Eigene Karten")
    anna = await service.join(workshop)
    card = await service.add_card(workshop, anna.id, "d1", "Mehr Zeit", "yellow")
    await service.edit_card(workshop, anna.id, card.id, "Mehr Zeit bitte", "yellow")
    await service.delete_card(workshop, anna.id, card.id)

    with pytest.raises(Refused) as refused:
        await service.undo(workshop)
    assert refused.value.key == "nothing_to_undo"
