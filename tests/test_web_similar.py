"""Ähnliche Karten over HTTP: phones send cards that say the same thing, the trainer's
console offers them as a stack and, on request, clusters with a heading; one tap
accepts. The board and the phones never see a suggestion."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from board.i18n import translate
from board.live.hub import Subscription
from board.service import Service
from board.snapshot import Snapshot
from tests.conftest import create_workshop, join, other_device

DUPLICATES = [
    "Schnelle Rückmeldung bei Anfragen",
    "Schnelle Rückmeldung auf Anfragen",
    "Rückmeldung schnell",
]
OTHERS = ["Kaffee im Wartebereich", "Freundlichkeit am Telefon"]
# What only the suggestion panel shows (German and English), and its markup.
PANEL_ONLY = [
    'id="suggestions"',
    "data-suggestion",
    "similar-stack",
    "ähnliche Karten",
    "Cluster vorschlagen",
    "similar cards",
]


async def now(service: Service, code: str) -> Snapshot:
    workshop = await service.workshop(code)
    return await service.snapshot(workshop.id)


async def panel(client: httpx.AsyncClient, code: str, clusters: bool = False) -> str:
    response = await client.get(f"/w/{code}/t/suggestions" + ("?clusters=on" if clusters else ""))
    assert response.status_code == 200, response.text
    return response.text


def offered(html: str, kind: str) -> list[list[str]]:
    """The card ids of each suggestion of ``kind`` ("stack", "cluster") in the panel."""
    forms = re.findall(rf'data-suggestion="{kind}">(.*?)</form>', html, re.S)
    return [re.findall(r'name="card_id" value="([^"]+)"', form) for form in forms]


async def accept(client: httpx.AsyncClient, code: str, action: str, **form: Any) -> httpx.Response:
    return await client.post(f"/w/{code}/t/{action}", data=form)


@pytest.fixture
async def room(client: httpx.AsyncClient, service: Service) -> tuple[str, httpx.AsyncClient]:
    """A Kartenabfrage with three cards that say the same thing and two others, from a phone."""
    code = await create_workshop(client)
    phone = other_device(client)
    await join(phone, code)
    for number, text in enumerate(DUPLICATES + OTHERS):
        data = {"text": text, "colour": "yellow", "client_id": str(number)}
        sent = await phone.post(f"/w/{code}/cards", data=data)
        assert sent.status_code == 200, sent.text
    return code, phone


def ids_of(snap: Snapshot, texts: list[str]) -> list[str]:
    by_text = {card.text: card.id for card in snap.wall.cards}
    return [by_text[text] for text in texts]


async def test_the_console_offers_the_near_duplicates_as_one_stack(client, service, room):
    code, _ = room
    html = await panel(client, code)

    assert offered(html, "stack") == [ids_of(await now(service, code), DUPLICATES)]
    assert "3 ähnliche Karten" in html and "Cluster vorschlagen" in html
    assert offered(html, "cluster") == []  # only when asked


async def test_the_console_page_asks_for_the_panel_when_it_loads(client, room):
    code, _ = room
    page = (await client.get(f"/w/{code}/trainer")).text

    (section,) = re.findall(r'<section id="suggestions"[^>]*>', page)
    assert f'hx-get="/w/{code}/t/suggestions"' in section and "load" in section


async def test_the_board_and_the_phones_never_see_a_suggestion(client, service, room):
    """Not on their pages, not in their frames, not by asking: the panel is fetched by
    the trainer's console alone."""
    code, phone = room
    console = await panel(client, code, clusters=True)
    heading = re.search(r'name="heading" value="([^"]+)"', console)
    assert heading and all(marker in console for marker in PANEL_ONLY[:4])
    workshop = await service.workshop(code)
    board = other_device(client)
    me = (await now(service, code)).wall.cards[0].participant_id

    seen = [
        (await board.get(f"/w/{code}/board")).text,
        (await phone.get(f"/w/{code}")).text,
        (await phone.get(f"/w/{code}/wall")).text,
        (await service.live.full_frame(workshop.id, "board", "de", None)).text,
        (await service.live.full_frame(workshop.id, "phone", "de", me)).text,
        (await service.live.full_frame(workshop.id, "board", "en", None)).text,
    ]

    for text in seen:
        assert not [marker for marker in PANEL_ONLY if marker in text]
        assert heading.group(1) not in text  # the proposed heading is the panel's alone
    for who in (board, phone):
        asked = await who.get(f"/w/{code}/t/suggestions?clusters=on")
        assert asked.status_code == 403
        assert not [marker for marker in PANEL_ONLY if marker in asked.text]


async def test_no_frame_of_any_screen_carries_a_suggestion(client, service, room):
    """Cards arriving while boards, phones and the console are connected: every frame
    each gets is free of the panel (the console fetches it over HTTP)."""
    code, phone = room
    workshop = await service.workshop(code)
    sockets = service.hub.subscribe(workshop.id, frozenset({"board/de", "phone/de", "trainer/de"}))
    service.live.watch(workshop.id, (await service.workshop(code)).seq)
    await panel(client, code, clusters=True)

    for number, text in enumerate(["Rückmeldung bei Anfragen schnell", "Kaffee im Wartebereich!"]):
        data = {"text": text, "colour": "yellow", "client_id": f"x{number}"}
        assert (await phone.post(f"/w/{code}/cards", data=data)).status_code == 200
    await service.live.settled()

    frames = drain(sockets)
    assert frames
    for frame in frames:
        assert not [marker for marker in PANEL_ONLY if marker in frame.text]


def drain(subscription: Subscription) -> list[Any]:
    frames = []
    while (frame := subscription.next_frame()) is not None:
        frames.append(frame)
    return frames


async def test_one_tap_stacks_the_ticked_cards_onto_the_first(client, service, room):
    code, _ = room
    first, second, third = ids_of(await now(service, code), DUPLICATES)

    # The trainer unticks the third card: it stays where it is.
    response = await accept(
        client, code, "similar-stack", card_id=[first, second], offered=[first, second, third]
    )

    assert response.status_code == 204, response.text
    wall = (await now(service, code)).wall
    assert wall.card(second).stacked_on == first
    assert wall.card(first).stacked_on is None and wall.card(third).stacked_on is None
    # Nor is it suggested with that stack again: the trainer said no.
    assert not [stack for stack in offered(await panel(client, code), "stack") if third in stack]


async def test_a_stack_accepted_is_one_undo(client, service, room):
    code, _ = room
    cards = ids_of(await now(service, code), DUPLICATES)
    assert (await accept(client, code, "similar-stack", card_id=cards)).status_code == 204

    assert (await client.post(f"/w/{code}/t/undo")).status_code == 204

    wall = (await now(service, code)).wall
    assert all(wall.card(card_id).stacked_on is None for card_id in cards)


async def test_a_cluster_proposal_becomes_a_cluster_with_the_edited_heading(client, service, room):
    code, _ = room
    html = await panel(client, code, clusters=True)
    proposal = next(p for p in offered(html, "cluster") if len(p) >= 3)
    kept, left_out = proposal[:-1], proposal[-1]

    response = await accept(
        client, code, "similar-cluster", heading="Schnell antworten", card_id=kept
    )

    assert response.status_code == 204, response.text
    wall = (await now(service, code)).wall
    (cluster,) = wall.clusters
    assert cluster.heading == "Schnell antworten"
    assert [card.id for card in wall.in_cluster(cluster.id)] == kept
    assert wall.card(left_out).cluster_id is None
    assert not any(set(kept) & set(p) for p in offered(await panel(client, code, True), "cluster"))


async def test_a_suggestion_whose_card_went_meanwhile_is_refused_and_nothing_changes(
    client, service, room
):
    code, _ = room
    before = await now(service, code)
    cards = ids_of(before, DUPLICATES)
    assert (await accept(client, code, "card-delete", card_id=cards[2])).status_code == 204

    response = await accept(client, code, "similar-stack", card_id=cards)

    assert response.status_code == 409
    assert translate("de", "similar_stale") in response.text
    assert response.headers["HX-Retarget"] == "#flash"
    after = (await now(service, code)).wall
    assert all(after.card(card_id).stacked_on is None for card_id in cards[:2])


async def test_a_card_sorted_meanwhile_refuses_the_cluster_proposal(client, service, room):
    code, _ = room
    cards = ids_of(await now(service, code), DUPLICATES)
    await accept(client, code, "cluster-new", heading="Tempo", card_id=cards[0])

    response = await accept(client, code, "similar-cluster", heading="Schnell", card_id=cards)

    assert response.status_code == 409
    assert len((await now(service, code)).wall.clusters) == 1


async def test_a_stack_of_one_card_is_refused(client, service, room):
    code, _ = room
    (card_id,) = ids_of(await now(service, code), DUPLICATES[:1])

    response = await accept(client, code, "similar-stack", card_id=[card_id])

    assert response.status_code == 422
    assert translate("de", "similar_too_few", n=2) in response.text


async def test_only_the_trainer_accepts(client, service, room):
    code, phone = room
    cards = ids_of(await now(service, code), DUPLICATES)

    response = await accept(phone, code, "similar-stack", card_id=cards)

    assert response.status_code == 403
    assert all(card.stacked_on is None for card in (await now(service, code)).wall.cards)


async def test_the_console_sees_suggestions_while_the_cards_are_hidden(client, service):
    code = await create_workshop(client, "Kundentag", ["kundenbegeisterung"])
    phone = other_device(client)
    await join(phone, code)
    assert (await now(service, code)).step.hidden
    for number, text in enumerate(DUPLICATES):
        data = {"text": text, "colour": "yellow", "client_id": str(number)}
        assert (await phone.post(f"/w/{code}/cards", data=data)).status_code == 200

    html = await panel(client, code)

    assert len(offered(html, "stack")) == 1
    assert DUPLICATES[0] in html
    assert DUPLICATES[0] not in (await other_device(client).get(f"/w/{code}/board")).text


async def test_english_cards_get_english_suggestions(client, service):
    code = await create_workshop(client, "Customer delight")
    texts = ["Quick response to customer requests", "Quick responses to requests", "Free coffee"]
    for text in texts:
        await accept(client, code, "card-write", text=text, colour="yellow")
    client.cookies.set("lang", "en")

    html = await panel(client, code)

    assert "2 similar cards" in html
    assert offered(html, "stack") == [ids_of(await now(service, code), texts[:2])]


async def test_a_step_without_cards_shows_no_panel(client, service):
    code = await create_workshop(client)

    html = await panel(client, code)

    (section,) = re.findall(r'<section id="suggestions"[^>]*>', html)
    assert section.endswith(" hidden>") and "data-suggestion" not in html
    assert 'hx-trigger="board:wall"' in section  # asks again with the next card, not on load
