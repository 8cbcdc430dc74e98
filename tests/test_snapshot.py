"""What each audience's templates are given: the snapshot cut before any template runs.

A phone plants something of every kind while the step is hidden (where the kind can
hide); the contexts of a board, the phones' shared part and another phone must not
hold it, nor the planter's id, nor the trainer secret — as objects, not only as HTML.
The console's context holds it all (so the search below can find what it looks for).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jinja2
import pytest

from board import cards, kinds, snapshot
from board.cards import Card, Cluster, Wall
from board.changes import Deleted
from board.forms import Form
from board.live.render import PARTIALS
from board.service import Service
from board.snapshot import Snapshot
from board.steps import new_cards_step
from board.store import repository
from board.votes import Vote
from board.workshops import Workshop
from tests.conftest import create_workshop, join, other_device
from tests.test_cards import a_card

# One step of every kind, and what a phone plants on it (the route, the form).
EXERCISES = ["8ps-beziehungsmarketing", "ok-corral", "kunde-koenig", "speedmeet"]
EXERCISES += ["unsere-wanderung", "massnahmenplan"]
SECRET = "Geheimnis-4711"
PLANTS: dict[str, tuple[str, dict[str, str]]] = {
    "cards": ("cards", {"text": SECRET, "colour": "yellow"}),
    "scale": ("vote", {"value": "3"}),
    "grid": ("vote", {"situation": "0", "x": "0.5", "y": "-0.25"}),
    "dots": ("vote", {"option": "0", "delta": "1"}),
    "mood": ("vote", {"value": "2", "word": SECRET}),
    "pairs": ("pairs/join", {"nickname": "Anna"}),
    "actions": ("actions", {"what": SECRET, "who": "Anna", "due": "Mai"}),
}
AUDIENCES = [("board", False), ("phone", False), ("phone", True)]  # True: Ben's own part


def walk(value: Any, seen: set[int] | None = None) -> Iterator[Any]:
    """Every object reachable from ``value`` through containers and dataclasses (with
    their computed, cached results); functions and the kinds' declarations left out."""
    seen = set() if seen is None else seen
    if id(value) in seen or callable(value) or isinstance(value, kinds.Kind):
        return
    seen.add(id(value))
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(key, seen)
            yield from walk(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from walk(item, seen)
    elif dataclasses.is_dataclass(value):
        for item in vars(value).values():
            yield from walk(item, seen)


def texts_in(context: dict[str, Any]) -> str:
    return "\n".join(str(v) for v in walk(context) if isinstance(v, str | int | float))


def render_from(service: Service, context: dict[str, Any], role: str) -> None:
    """Render the role's partials from ``context``: what templates compute is in it now."""
    context |= {"oob": True}
    for template in PARTIALS[role].values():
        service.templates.get_template(template).render(context)
    if "me" in context:
        service.templates.get_template("phone/_mine.html").render(context)


@pytest.fixture
async def room(client: httpx.AsyncClient, service: Service):  # type: ignore[no-untyped-def]
    code = await create_workshop(client, "Geheim", EXERCISES)
    anna, ben = other_device(client), other_device(client)
    await join(anna, code)
    await join(ben, code)
    workshop = await service.workshop(code)
    ids = service.db.read_now(
        lambda c: [r[0] for r in c.execute("SELECT id FROM participants ORDER BY created_at, ord")]
    )
    yield code, workshop, anna, ids[0], ids[1]
    await anna.aclose()
    await ben.aclose()


async def planted(
    client: httpx.AsyncClient, service: Service, room: Any, kind: str
) -> tuple[Snapshot, bool]:
    """Go to the kind's first step, hide it if it can be, and have Anna plant on it."""
    code, workshop, anna, _, _ = room
    snap = await service.snapshot(workshop.id)
    step = next(s for s in snap.steps if s.kind == kind)
    assert (await client.post(f"/w/{code}/t/step-go", data={"step_id": step.id})).status_code == 204
    hidden = kinds.of(kind).hideable
    if hidden and not step.hidden:
        assert (await client.post(f"/w/{code}/t/hide")).status_code == 204
    route, form = PLANTS[kind]
    sent = await anna.post(f"/w/{code}/{route}", data={"step_id": step.id, **form})
    assert sent.status_code == 200, (kind, sent.text)
    return await service.snapshot(workshop.id), hidden


@pytest.mark.parametrize("kind", list(PLANTS))
async def test_no_audience_but_the_console_is_given_what_it_may_not_see(
    client: httpx.AsyncClient, service: Service, room: Any, kind: str
) -> None:
    _, workshop, _, anna_id, ben_id = room
    snap, hidden = await planted(client, service, room, kind)
    console = service.live.context(snap, "de", "trainer")
    render_from(service, console, "trainer")
    assert anna_id in texts_in(console)  # the search finds what it looks for
    assert workshop.trainer_secret in texts_in(console)
    if hidden:
        assert snap.step.hidden and not snap.step.results_visible
    for role, own in AUDIENCES:
        context = service.live.context(snap, "de", role, ben_id if own else None)
        if own:
            context["me"] = ben_id
        render_from(service, context, role)
        seen, where = texts_in(context), f"{kind}: {role}{' (Ben)' if own else ''}"
        assert anna_id not in seen, where
        assert workshop.trainer_secret not in seen, where
        if hidden:
            assert SECRET not in seen, where
            assert not [v for v in walk(context) if isinstance(v, Vote)], where
        if own:  # Ben's own part: nothing of anybody else's
            assert not [v for v in walk(context) if isinstance(v, Vote)], where
            assert SECRET not in seen or kind in ("mood", "actions"), where
            assert not context["snap"].actions and not context["snap"].wall.cards, where


async def test_pages_are_rendered_from_the_cut_too(
    client: httpx.AsyncClient, service: Service, room: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The board page, the phone's page and its wall get the same cut as the sockets."""
    code, workshop, _, anna_id, _ = room
    await planted(client, service, room, "cards")
    contexts: dict[str, dict[str, Any]] = {}
    render = jinja2.Template.render

    def recording(template: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        contexts[str(template.name)] = dict(*args, **kwargs)
        return render(template, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", recording)
    ben = other_device(client)
    await join(ben, code)
    for path, device in [("board", client), ("", ben), ("wall", ben)]:
        response = await device.get(f"/w/{code}/{path}".rstrip("/"))
        assert response.status_code == 200
    await ben.aclose()
    for name in ("board/page.html", "phone/page.html", "phone/wall.html"):
        seen = texts_in(contexts[name])
        assert SECRET not in seen and anna_id not in seen, name
        assert workshop.trainer_secret not in seen, name


async def test_who_is_in_which_group_never_reaches_a_board_or_a_phone(client, service):
    """Three young and three older answer a split scale: the board and the phones get the
    split (numbers per group), not who is in which group; the console gets both."""
    form = {"title": "Kunde König", "exercise": "step:scale", "groups": "bis 30\nüber 30"}
    code = (await client.post("/workshops", data=form)).headers["location"].split("/")[2]
    workshop = await service.workshop(code)
    young, old = (group.id for group in workshop.groups)
    for group in (young, old) * 3:
        phone = other_device(client)
        await join(phone, code)
        await phone.post(f"/w/{code}/group", data={"group_id": group})
        await phone.post(f"/w/{code}/vote", data={"step_id": workshop.active_step_id, "value": "1"})
    await client.post(f"/w/{code}/t/group-split", data={"split": "on"})
    snap = await service.snapshot(workshop.id)
    assert len(snap.group_of) == 6 and len(snap.roster) == 6
    someone = snap.roster[0].id
    for role, participant in (("board", None), ("phone", None), ("phone", someone)):
        cut = snap.for_audience(role, participant)
        assert cut.group_of == {} and cut.roster == ()
        if participant is None:
            assert cut.split_view is not None and len(cut.split_view.groups) == 2
        else:  # a phone's own part has no results at all
            assert cut.split is None
    await client.post(f"/w/{code}/t/hide", data={})
    hidden = (await service.snapshot(workshop.id)).for_audience("board")
    assert hidden.split is None  # a hidden step's split waits for the reveal too


# -- what a write left, and what a vote on clusters reads ----------------------------------
def seen_by_its_phone(snap: Snapshot) -> tuple[object, ...]:
    """What a phone's answer is rendered from (its cut holds its own of these)."""
    # The seq too: the answer's section tells the phone how new it is.
    return (
        snap.workshop.seq,
        snap.step,
        snap.wall.cards,
        snap.wall.clusters,
        snap.votes,
        snap.opening,
    )


async def test_the_state_a_phone_s_write_left_is_the_state_read_after_it(client, service):
    code = await create_workshop(client, "Nachher", ["kundenbegeisterung"])
    anna = other_device(client)
    await join(anna, code)
    workshop = await service.workshop(code)
    me = service.db.read_now(lambda c: c.execute("SELECT id FROM participants").fetchone()[0])

    def add(text: str):  # type: ignore[no-untyped-def]
        return lambda wall: cards.add_card(
            wall,
            card_id=text,
            participant_id=me,
            client_id=None,
            text=text,
            colour="yellow",
            now=time.time(),
            max_length=200,
        )[1]

    writes = [
        lambda: service.on_cards(workshop, add("Freundlich"), me),  # ends the opening
        lambda: service.on_cards(workshop, add("Schnell"), me),
        lambda: service.edit_card(workshop, me, "Freundlich", "Sehr freundlich", "yellow"),
        lambda: service.delete_card(workshop, me, "Schnell"),
    ]
    for write in writes:
        outcome = await write()
        assert outcome.after is not None
        fresh = await service.snapshot(workshop.id, me)
        assert seen_by_its_phone(outcome.after) == seen_by_its_phone(fresh)
    await client.post(f"/w/{code}/t/cluster-new", data={"heading": "Haltung"})
    assert (await client.post(f"/w/{code}/t/step-next")).status_code == 204
    step = (await service.snapshot(workshop.id)).step
    for delta in ("1", "-1"):  # a dot placed, and taken back (the row deleted)
        options = (await service.snapshot(workshop.id)).results.options("de")
        dot = Form({"step_id": step.id, "option": options[0].id, "delta": delta})
        outcome = await service.step_input(workshop, me, "vote", dot)
        assert outcome.after is not None
        fresh = await service.snapshot(workshop.id, me)
        assert seen_by_its_phone(outcome.after) == seen_by_its_phone(fresh)


def all_of(snap: Snapshot) -> tuple[object, ...]:
    """Everything a render reads from a snapshot (but the moment it was read)."""
    return (
        dataclasses.replace(snap, now=0.0),
        snap.nicknames,
        snap.group_of,
        snap.split,
        snap.roster,
        snap.whole,
    )


async def test_the_whole_state_a_card_write_left_is_the_state_read_after_it(service):
    """What the boards' frames of a card are rendered from (Live.offer), trainer's and
    participant's writes alike, undoable ones too."""
    workshop = await service.create_workshop("Nachher")
    anna = await service.join(workshop)
    await service.add_card(workshop, None, None, "Erste", "yellow")

    def write(text: str, participant_id: str | None = None, at: float | None = None) -> Any:
        return lambda wall: cards.add_card(
            wall,
            card_id=text,
            participant_id=participant_id,
            client_id=None,
            text=text,
            colour="yellow",
            now=at or time.time(),
            max_length=200,
        )[1]

    def several(wall: Wall) -> list[Any]:
        early, late = (
            cards.add_card(
                wall,
                card_id=text,
                participant_id=None,
                client_id=None,
                text=text,
                colour="yellow",
                now=at,
                max_length=200,
            )[0]
            for text, at in (("Früh", 2.0), ("Spät", time.time()))
        )
        moved = cards.move_card(wall, "Uhr zurückgestellt", "k1", 0)
        return [late, early, *moved, Deleted(Card, "Erste"), Deleted(Card, "Spät")]

    def sort(snap: Snapshot) -> Any:  # the first cluster: participants' cards lock
        return cards.start_cluster(snap.wall, "k1", "Haltung", snap.wall.cards[0].id, 1.0)

    writes = [
        lambda: service.on_cards(workshop, write("Annas", anna.id), anna.id),
        lambda: service.edit_card(workshop, anna.id, "Annas", "Annas neue", "yellow"),
        lambda: service.on_cards(workshop, write("Noch eine", anna.id), anna.id),
        lambda: service.delete_card(workshop, anna.id, "Noch eine"),
        lambda: service.execute_on_cards(workshop, write("Trainerin")),
        lambda: service.execute_on_cards(workshop, write("Uhr zurückgestellt", at=1.0)),
        lambda: service.execute(workshop, sort, None, "cluster-new"),
        lambda: service.execute(
            workshop,
            lambda snap: cards.move_card(snap.wall, "Trainerin", "k1", 0),
            None,
            "card-move",
        ),
        lambda: service.execute_on_cards(
            workshop, lambda wall: cards.stack(wall, "Annas", "Trainerin")
        ),
        # Several rows in one write: two new ones (one from a clock that went back, one
        # deleted again at once), a move that renumbers, one deleted.
        lambda: service.execute_on_cards(workshop, several),
    ]
    for n, written in enumerate(writes):
        outcome = await written()
        if n == 6:  # a cluster: not plain from the changes, left to a read
            assert outcome.after is None
            continue
        assert outcome.after is not None and outcome.after.whole, n
        assert all_of(outcome.after) == all_of(await service.snapshot(workshop.id)), n


@pytest.fixture
def wall_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The step of every card wall read from the database."""
    done: list[str] = []
    read = repository.wall

    def counted(conn: Any, step_id: str | None, with_cards: bool = True) -> Wall:
        done.append(step_id or "")
        return read(conn, step_id, with_cards)

    monkeypatch.setattr(repository, "wall", counted)
    return done


async def test_a_write_decides_on_the_wall_the_write_before_it_left_unread(service, wall_reads):
    workshop = await service.create_workshop("Nachher")
    await service.add_card(workshop, None, None, "Erste", "yellow")
    wall_reads.clear()

    second = await service.add_card(workshop, None, None, "Zweite", "yellow")
    await service.execute_on_cards(
        workshop, lambda wall: cards.fix_wording(wall, second.id, "2", 9)
    )

    assert wall_reads == []
    assert [c.text for c in (await service.snapshot(workshop.id)).wall.cards] == ["Erste", "2"]


async def test_a_write_of_another_process_in_between_has_the_wall_read(service, settings):
    workshop = await service.create_workshop("Nachher")
    await service.add_card(workshop, None, None, "Erste", "yellow")
    elsewhere = Service(settings)
    try:
        theirs = await elsewhere.add_card(workshop, None, None, "Von nebenan", "yellow")
    finally:
        elsewhere.close()

    # Their card is on the wall this write decides on: its wording may be fixed.
    await service.execute_on_cards(
        workshop, lambda wall: cards.fix_wording(wall, theirs.id, "3", 9)
    )

    assert [c.text for c in (await service.snapshot(workshop.id)).wall.cards] == ["Erste", "3"]


async def test_a_participant_s_write_on_votes_reads_only_theirs_and_is_not_whole(client, service):
    code = await create_workshop(client, "Skala", ["kundenbegeisterung"])
    phone = other_device(client)
    await join(phone, code)
    workshop = await service.workshop(code)
    me = service.db.read_now(lambda c: c.execute("SELECT id FROM participants").fetchone()[0])
    assert (await service.snapshot(workshop.id, me)).whole  # a card wall: the whole
    await client.post(f"/w/{code}/t/step-next")

    assert not (await service.snapshot(workshop.id, me)).whole
    assert (await service.snapshot(workshop.id)).whole


def a_snapshot(wall: Wall, participants: int) -> Snapshot:
    """A workshop w1 on its one step, the wall's, with nothing but the wall."""
    return Snapshot(
        workshop=Workshop("w1", "ABC234", "T", "secret", "s1", 0, 0.0),
        steps=(wall.step,),
        wall=wall,
        source=None,
        votes=(),
        actions=(),
        people=(),
        participants=participants,
    )


def test_the_same_card_cut_again_takes_the_alias_its_writer_has_now() -> None:
    """Aliases follow everyone in the snapshot: a newcomer may move a writer from p1 to p2
    while the card itself (the very object) stays."""
    card = a_card("c1", by="bea")
    wall = Wall(new_cards_step("s1", "w1", 0, "Frage"), (card,), ())
    alone = a_snapshot(wall, participants=2)
    with_anna = dataclasses.replace(
        alone, wall=dataclasses.replace(wall, cards=(card, a_card("c2")))
    )

    assert alone.for_audience("board").wall.cards[0].participant_id == "p1"
    assert with_anna.for_audience("board").wall.cards[0].participant_id == "p2"
    assert alone.for_audience("board").wall.cards[0].participant_id == "p1"


def test_what_is_not_plain_from_the_changes_is_left_to_a_read() -> None:
    wall = Wall(new_cards_step("s1", "w1", 0, "Frage"), (), ())
    snap = a_snapshot(wall, participants=1)
    heading = Cluster("c1", "s1", "Haltung", 0, 0.0)
    assert snapshot.after(snap, [heading], 1) is None
    assert snapshot.after(snap, [Deleted(Cluster, "c1")], 1) is None
    assert snapshot.after(snap, [dataclasses.replace(wall.step, state="closed")], 1) is None
    assert snapshot.after(snap, [snap.workshop], 1) is None


async def test_a_dot_vote_on_clusters_reads_their_headings_not_the_cards_under_them(
    client, service
):
    code = await create_workshop(client, "Punkte", ["kundenbegeisterung"])
    anna = other_device(client)
    await join(anna, code)
    await anna.post(f"/w/{code}/cards", data={"text": "Freundlich", "colour": "yellow"})
    await client.post(f"/w/{code}/t/cluster-new", data={"heading": "Haltung"})
    assert (await client.post(f"/w/{code}/t/step-next")).status_code == 204
    workshop = await service.workshop(code)
    snap = await service.snapshot(workshop.id)
    assert snap.source is not None
    assert [c.heading for c in snap.source.clusters] == ["Haltung"]
    assert snap.source.cards == ()
