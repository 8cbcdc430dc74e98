"""Full renders: one per audience and sequence number, however many sockets ask."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from board import cards, snapshot
from board.errors import Refused
from board.live.fragments import FRAME_BUDGET
from board.live.hub import Frame, Subscription
from board.live.notices import Notice
from board.service import Command, Service
from board.settings import Settings
from board.workshops import Workshop
from tests.test_hub import drain


@pytest.fixture
def renders(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every render of an audience's regions, as (role, language)."""
    done: list[tuple[str, str]] = []
    render = service.live.render

    def counted(snap: Any, role: str, lang: str, *args: Any, **kwargs: Any) -> str:
        done.append((role, lang))
        return render(snap, role, lang, *args, **kwargs)

    monkeypatch.setattr(service.live, "render", counted)
    return done


async def full_frames(
    service: Service, workshop_id: str, times: int, role: str = "board", lang: str = "de"
) -> list[Frame]:
    asks = (service.live.full_frame(workshop_id, role, lang, None) for _ in range(times))
    return list(await asyncio.gather(*asks))


async def test_a_hundred_boards_resyncing_at_one_seq_cost_one_render(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await service.add_card(workshop, None, None, "Freundlich am Telefon", "yellow")

    frames = await full_frames(service, workshop.id, 100)
    frames += await full_frames(service, workshop.id, 1)  # one more, just after

    assert renders == [("board", "de")]
    assert len({frame.text for frame in frames}) == 1
    assert "Freundlich am Telefon" in frames[0].text


async def test_a_hundred_phones_connecting_at_one_seq_read_the_workshop_once(service, monkeypatch):
    workshop = await service.create_workshop("Kundenbegeisterung")
    phones = [await service.join(workshop) for _ in range(100)]
    await service.add_card(workshop, phones[0].id, "a1", "Annas Karte", "yellow")
    reads: list[str] = []
    read = snapshot.read

    def counted(conn: Any, workshop_id: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(workshop_id)
        return read(conn, workshop_id, *args, **kwargs)

    monkeypatch.setattr(snapshot, "read", counted)
    frames = await asyncio.gather(
        *(service.live.full_frame(workshop.id, "phone", "de", p.id) for p in phones)
    )

    assert len(reads) == 1  # was one whole snapshot per phone (ten queries each on PostgreSQL)
    assert "Annas Karte" in frames[0].text  # still each phone's own section
    assert all("Annas Karte" not in frame.text for frame in frames[1:])


async def test_a_write_gives_the_next_full_frame_a_fresh_render(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    before = (await full_frames(service, workshop.id, 1))[0]

    await service.add_card(workshop, None, None, "Schnelle Antworten", "yellow")
    after = (await full_frames(service, workshop.id, 1))[0]

    assert after.seq > before.seq
    assert "Schnelle Antworten" in after.text and "Schnelle Antworten" not in before.text
    assert len(renders) == 2


async def test_each_audience_has_its_own_render(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await full_frames(service, workshop.id, 3, "board", "de")
    await full_frames(service, workshop.id, 3, "board", "en")
    await full_frames(service, workshop.id, 3, "trainer", "de")
    assert sorted(renders) == [("board", "de"), ("board", "en"), ("trainer", "de")]


async def test_the_presence_count_is_always_current_though_it_does_not_change_the_seq(
    service, renders
):
    workshop = await service.create_workshop("Kundenbegeisterung")
    alone = (await full_frames(service, workshop.id, 1))[0]
    await service.live.arrived(workshop.id, "phone-1")
    await service.live.arrived(workshop.id, "phone-2")

    two = (await full_frames(service, workshop.id, 1))[0]

    assert two.seq == alone.seq
    assert "<b data-present>0</b>" in alone.text
    assert "<b data-present>2</b>" in two.text
    assert len(renders) == 1  # the rest of the board did not change


async def test_phones_share_the_step_and_each_gets_its_own_section(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    anna = await service.join(workshop)
    ben = await service.join(workshop)
    await service.add_card(workshop, anna.id, "a1", "Annas Karte", "yellow")

    frames = await asyncio.gather(
        *(service.live.full_frame(workshop.id, "phone", "de", p.id) for p in (anna, ben))
    )

    assert renders == [("phone", "de")]
    assert "Annas Karte" in frames[0].text and "Annas Karte" not in frames[1].text
    assert all(frame.text.count('id="seq"') == 1 for frame in frames)


async def test_a_deleted_workshop_has_no_full_frame(service):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await service.delete_workshop(workshop)
    with pytest.raises(Refused):
        await service.live.full_frame(workshop.id, "board", "de", None)


# -- notices: what a process missed ------------------------------------------------


@pytest.fixture
def elsewhere(settings: Settings) -> Iterator[Service]:
    """Another process on the same data folder whose notices never arrive here."""
    other = Service(settings)
    yield other
    other.close()


def board_socket(service: Service, workshop_id: str, seq: int) -> Subscription:
    subscription = service.hub.subscribe(workshop_id, frozenset({"board/de"}))
    service.live.watch(workshop_id, seq)
    return subscription


def retitled(title: str) -> Command:
    return lambda snap: [replace(snap.workshop, title=title)]  # the step region only


async def test_a_lost_notice_is_caught_up_from_the_change_log(service, elsewhere):
    """A card written by another process whose notice got lost: the next notice here
    shows a gap in the seq, and the board gets the wall as well as the new title."""
    workshop = await service.create_workshop("Kundenbegeisterung")
    board = board_socket(service, workshop.id, workshop.seq)
    await elsewhere.add_card(workshop, None, None, "Verlorene Nachricht", "yellow")

    await service.execute(workshop, retitled("Kundenbegeisterung 2026"))
    await service.live.settled()

    (frame,) = drain(board)
    assert frame.seq == workshop.seq + 2
    assert "Kundenbegeisterung 2026" in frame.text and "Verlorene Nachricht" in frame.text


async def test_without_a_gap_only_the_regions_of_the_notice_are_rendered(service):
    workshop = await service.create_workshop("Kundenbegeisterung")
    board = board_socket(service, workshop.id, workshop.seq)

    await service.execute(workshop, retitled("Kundenbegeisterung 2026"))
    await service.live.settled()

    (frame,) = drain(board)
    assert 'id="board-step"' in frame.text and 'id="board-wall"' not in frame.text


async def test_a_notice_already_caught_up_on_is_not_rendered_again(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    board_socket(service, workshop.id, workshop.seq + 1)
    service.live.heard(Notice(workshop.id, workshop.seq + 1, frozenset({"wall"})))
    await service.live.settled()
    assert renders == []


async def test_a_gap_the_change_log_no_longer_reaches_renders_everything(service, elsewhere):
    workshop = await service.create_workshop("Kundenbegeisterung")
    board = board_socket(service, workshop.id, workshop.seq)
    await elsewhere.add_card(workshop, None, None, "Längst vergessen", "yellow")
    await service.db.write(lambda conn: conn.execute("DELETE FROM change_log"))  # pruned

    await service.execute(workshop, retitled("Kundenbegeisterung 2026"))
    await service.live.settled()

    (frame,) = drain(board)
    for region in ('id="board-step"', 'id="board-wall"', 'id="presence"', "Längst vergessen"):
        assert region in frame.text


async def test_nobody_here_watching_means_no_render_and_nothing_followed(service, renders):
    workshop = await service.create_workshop("Kundenbegeisterung")
    await service.add_card(workshop, None, None, "Niemand schaut zu", "yellow")
    await service.live.settled()
    assert renders == []
    assert service.live._seen == {}  # noqa: SLF001 - the memory a quiet room costs


# -- frames per phone ------------------------------------------------------------------


def phone_socket(service: Service, workshop_id: str, seq: int, person: str) -> Subscription:
    audiences = frozenset({"phone/de", f"mine/{person}/de"})
    subscription = service.hub.subscribe(workshop_id, audiences)
    service.live.watch(workshop_id, seq)
    return subscription


async def test_when_every_phone_changes_each_gets_one_frame_with_the_step_and_its_section(service):
    workshop = await service.create_workshop("Kundenbegeisterung")
    anna = await service.join(workshop)
    ben = await service.join(workshop)
    await service.add_card(workshop, anna.id, "a1", "Annas Karte", "yellow")
    workshop = await service.workshop(workshop.code)
    sockets = {p.id: phone_socket(service, workshop.id, workshop.seq, p.id) for p in (anna, ben)}

    # Collecting hidden from now on: the step and every phone's own section change.
    await service.execute(workshop, lambda snap: [replace(snap.step, hidden=True)])
    await service.live.settled()

    for person, socket in sockets.items():
        (frame,) = drain(socket)  # one frame, not the step and then the section
        assert 'id="phone-step"' in frame.text and 'id="mine"' in frame.text
        assert frame.text.count('id="seq"') == 1
        assert ("Annas Karte" in frame.text) == (person == anna.id)


# -- card frames: only the cards that changed -----------------------------------------


async def a_wall_of(service: Service, cards: int) -> Workshop:
    workshop = await service.create_workshop("Kundenbegeisterung")
    for n in range(cards):
        await service.add_card(workshop, None, None, f"Idee Nummer {n} für die Kunden", "yellow")
    return await service.workshop(workshop.code)


async def a_board_sees(service: Service, workshop: Workshop) -> Subscription:
    """A board connects: its full frame, then only what changes."""
    board = board_socket(service, workshop.id, workshop.seq)
    await service.live.full_frame(workshop.id, "board", "de", None)
    return board


@pytest.mark.parametrize("cards", [10, 100, 300])
async def test_a_new_card_costs_a_board_one_small_frame_however_full_the_wall(service, cards):
    workshop = await a_wall_of(service, cards)
    board = await a_board_sees(service, workshop)

    await service.add_card(workshop, None, None, "Rückruf am selben Tag", "yellow")
    await service.live.settled()

    (frame,) = drain(board)
    assert "Rückruf am selben Tag" in frame.text and 'id="board-wall"' not in frame.text
    assert len(frame.text.encode()) <= FRAME_BUDGET
    assert f'data-seq="{workshop.seq + 1}"' in frame.text  # the seq marker travels as ever


async def test_a_new_cluster_sends_the_whole_wall(service):
    workshop = await a_wall_of(service, 3)
    board = await a_board_sees(service, workshop)
    snap = await service.snapshot(workshop.id)
    first = snap.wall.cards[0]

    await service.execute_on_cards(
        workshop, lambda wall: cards.start_cluster(wall, "k1", "Erreichbarkeit", first.id, 9.0)
    )
    await service.live.settled()

    (frame,) = drain(board)
    assert 'id="board-wall"' in frame.text and "Erreichbarkeit" in frame.text


async def test_a_hidden_card_reaches_the_board_as_the_counter_only(service):
    workshop = await a_wall_of(service, 2)
    await service.execute(workshop, lambda snap: [replace(snap.step, hidden=True)])
    board = await a_board_sees(service, await service.workshop(workshop.code))

    await service.add_card(workshop, None, None, "Geheime Idee", "yellow")
    await service.live.settled()

    (frame,) = drain(board)
    assert "Geheime Idee" not in frame.text and "data-base" not in frame.text
    assert "data-count>3<" in frame.text


async def test_the_phone_that_writes_a_card_hears_nothing_of_it_on_its_socket(service):
    """Its own list comes in the answer to its POST; the socket does not send it again."""
    workshop = await a_wall_of(service, 1)
    phone = await service.join(workshop)
    socket = service.hub.subscribe(
        workshop.id, frozenset({"phone/de", f"mine/{phone.id}/de", "board/de"})
    )
    service.live.watch(workshop.id, workshop.seq)
    await service.live.settled()
    drain(socket)

    await service.add_card(workshop, phone.id, "entwurf-1", "Mehr Personal am Empfang", "yellow")
    await service.live.settled()

    frames = drain(socket)
    assert [f for f in frames if 'id="mine"' in f.text] == []
    assert len(frames) == 1 and "Mehr Personal am Empfang" in frames[0].text  # the wall's


@pytest.fixture
def reads(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every read of the database on its reader threads (a write reads on its own)."""
    done: list[object] = []
    read = service.db.read

    async def counted(fn: Any) -> Any:
        done.append(fn)
        return await read(fn)

    monkeypatch.setattr(service.db, "read", counted)
    return done


async def test_a_card_s_frames_are_rendered_from_the_state_its_write_left(service, reads):
    """No second read of the whole workshop for the boards: the write read it already."""
    workshop = await a_wall_of(service, 3)
    anna = await service.join(workshop)
    board = await a_board_sees(service, workshop)
    console = service.hub.subscribe(workshop.id, frozenset({"trainer/de"}))
    reads.clear()

    await service.add_card(workshop, None, None, "Von der Trainerin", "yellow")
    await service.live.settled()
    await service.add_card(workshop, anna.id, "a1", "Von Anna", "yellow")
    await service.live.settled()

    assert reads == []
    texts = [frame.text for frame in drain(board)]
    assert len(texts) == 2 and "Von der Trainerin" in texts[0] and "Von Anna" in texts[1]
    assert f'data-seq="{workshop.seq + 2}"' in texts[1]
    assert "Von Anna" in drain(console)[-1].text


async def test_a_state_offered_that_is_no_longer_the_newest_is_read_again(service, elsewhere):
    workshop = await a_wall_of(service, 3)
    board = await a_board_sees(service, workshop)
    older = await service.snapshot(workshop.id)
    await elsewhere.add_card(workshop, None, None, "Von nebenan", "yellow")

    service.live.offer(older)  # late: a newer write's notice is heard with it
    service.live.heard(Notice(workshop.id, workshop.seq + 1, frozenset({"wall"})))
    await service.live.settled()

    (frame,) = drain(board)
    assert "Von nebenan" in frame.text and f'data-seq="{workshop.seq + 1}"' in frame.text


async def test_a_catch_up_sends_the_whole_wall(service, elsewhere):
    """Notices were lost: the wall is rendered whole, not made from what was sent before."""
    workshop = await a_wall_of(service, 3)
    board = await a_board_sees(service, workshop)
    await elsewhere.add_card(workshop, None, None, "Verlorene Nachricht", "yellow")

    await service.execute(workshop, retitled("Kundenbegeisterung 2026"))
    await service.live.settled()

    (frame,) = drain(board)
    assert 'id="board-wall"' in frame.text and "Verlorene Nachricht" in frame.text


async def test_a_wall_notice_that_changed_no_card_still_tells_the_seq(service):
    workshop = await a_wall_of(service, 3)
    board = await a_board_sees(service, workshop)

    service.live.changed(workshop.id, {"wall"})
    await service.live.settled()

    (frame,) = drain(board)
    assert (
        frame.text.strip()
        == f'<span id="seq" data-seq="{workshop.seq}" hidden hx-swap-oob="true"></span>'
    )


async def test_a_hidden_card_reaches_the_console_as_a_card_frame_with_the_reveals_count(service):
    workshop = await a_wall_of(service, 2)
    await service.execute(workshop, lambda snap: [replace(snap.step, hidden=True)])
    workshop = await service.workshop(workshop.code)
    console = service.hub.subscribe(workshop.id, frozenset({"trainer/de"}))
    service.live.watch(workshop.id, workshop.seq)
    await service.live.full_frame(workshop.id, "trainer", "de", None)

    await service.add_card(workshop, None, None, "Geheime Idee", "yellow")
    await service.live.settled()

    (frame,) = drain(console)
    assert "Geheime Idee" in frame.text and 'id="console-wall"' not in frame.text
    assert 'id="reveal-controls"' in frame.text and 'data-waiting="3"' in frame.text


async def test_a_frame_that_reads_writes_not_yet_heard_of_renders_what_they_changed(
    service, elsewhere
):
    """A presence notice is rendered from a fresh read, which holds a card of another
    process whose notice has not come yet: the frame that says the seq of that read
    carries the card too (else a screen showing that seq lacks it, and one reconnecting
    with it is never sent it)."""
    workshop = await a_wall_of(service, 3)
    board = await a_board_sees(service, workshop)
    await elsewhere.add_card(workshop, None, None, "Noch nicht gemeldet", "yellow")

    service.live.heard(Notice(workshop.id, None, frozenset({"presence"})))
    await service.live.settled()

    (frame,) = drain(board)
    assert f'data-seq="{workshop.seq + 1}"' in frame.text
    assert "Noch nicht gemeldet" in frame.text
