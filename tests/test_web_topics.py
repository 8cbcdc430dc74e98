"""The Themenspeicher over HTTP: a Metaplan day from the console, phones and the board.

Cards are clustered, a cluster is parked, phones propose a topic once the trainer
allows it, a dots step takes its options from the Themenspeicher, its ranking is kept
on the topics, and the top three become the Maßnahmenplan, edited with Mit wem and
Status.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from board.i18n import MESSAGES
from board.service import Service
from board.snapshot import Snapshot
from tests.conftest import create_workshop, join, other_device

AGENDA = ["kundenbegeisterung", "massnahmenplan"]  # cards (hidden), dots on clusters, plan


async def now(service: Service, code: str) -> Snapshot:
    workshop = await service.workshop(code)
    return await service.snapshot(workshop.id)


async def trainer(client: httpx.AsyncClient, code: str, action: str, **form: Any) -> None:
    response = await client.post(f"/w/{code}/t/{action}", data=form)
    assert response.status_code == 204, (action, response.text)


async def refused(client: httpx.AsyncClient, code: str, action: str, **form: Any) -> httpx.Response:
    response = await client.post(f"/w/{code}/t/{action}", data=form)
    assert response.status_code >= 400, (action, response.status_code)
    return response


@pytest.fixture
async def day(client: httpx.AsyncClient, service: Service) -> tuple[str, httpx.AsyncClient]:
    """A workshop whose card step has two clusters of cards; one phone in the room."""
    code = await create_workshop(client, "Kundentag", AGENDA)
    phone = other_device(client)
    await join(phone, code)
    snap = await now(service, code)
    step_id = snap.step.id
    for i, text in enumerate(["Rückruf binnen 24 h", "Freundlich bleiben", "Kaffee"]):
        sent = await phone.post(
            f"/w/{code}/cards", data={"text": text, "colour": "yellow", "client_id": str(i)}
        )
        assert sent.status_code == 200, sent.text
    await trainer(client, code, "reveal")
    cards = {c.text: c.id for c in (await now(service, code)).wall.cards}
    await trainer(
        client, code, "cluster-new", heading="Erreichbarkeit", card_id=cards["Rückruf binnen 24 h"]
    )
    await trainer(
        client, code, "cluster-new", heading="Haltung", card_id=cards["Freundlich bleiben"]
    )
    assert (await now(service, code)).step.id == step_id
    return code, phone


async def test_the_trainer_keeps_the_themenspeicher_on_any_step(client, service, day) -> None:
    code, _ = day
    await trainer(client, code, "topic-add", title="Schichtübergabe")
    await trainer(client, code, "step-next")  # another step: the store is the workshop's
    await trainer(client, code, "topic-add", title="Beschwerdeweg")
    snap = await now(service, code)
    ids = {t.title: t.id for t in snap.topics}
    await trainer(client, code, "topic-move", topic_id=ids["Beschwerdeweg"], index="0")
    await trainer(client, code, "topic-rename", topic_id=ids["Schichtübergabe"], title="Übergabe")
    assert [
        t.title for t in sorted((await now(service, code)).topics, key=lambda t: t.position)
    ] == [
        "Beschwerdeweg",
        "Übergabe",
    ]
    await trainer(client, code, "topic-remove", topic_id=ids["Beschwerdeweg"])
    console = (await client.get(f"/w/{code}/trainer")).text
    assert 'id="console-topics"' in console and "Übergabe" in console


async def test_parking_a_cluster_keeps_where_it_came_from(client, service, day) -> None:
    code, _ = day
    snap = await now(service, code)
    cluster = next(c for c in snap.wall.clusters if c.heading == "Erreichbarkeit")
    await trainer(client, code, "topic-park-cluster", cluster_id=cluster.id)
    (topic,) = (await now(service, code)).topics
    assert (topic.title, topic.origin, topic.origin_step_id) == (
        "Erreichbarkeit",
        "cluster",
        snap.step.id,
    )
    assert "Rückruf binnen 24 h" in topic.origin_text
    again = await refused(client, code, "topic-park-cluster", cluster_id=cluster.id)
    assert again.status_code == 409
    # The cluster stays on its wall.
    assert any(c.id == cluster.id for c in (await now(service, code)).wall.clusters)


async def test_the_board_shows_the_themenspeicher_when_the_trainer_says_so(
    client, service, day
) -> None:
    code, _ = day
    await trainer(client, code, "topic-add", title="Reklamationen")
    board = (await client.get(f"/w/{code}/board")).text
    assert 'id="board-topics"' in board and "Reklamationen" not in board
    await trainer(client, code, "topics-show", shown="on")
    board = (await client.get(f"/w/{code}/board")).text
    assert "Reklamationen" in board and 'class="topics-board"' in board
    await trainer(client, code, "topics-show", shown="off")
    assert "Reklamationen" not in (await client.get(f"/w/{code}/board")).text


async def test_a_participant_cannot_change_the_themenspeicher(client, service, day) -> None:
    code, phone = day
    await trainer(client, code, "topic-add", title="Eigenes Thema")
    (topic,) = (await now(service, code)).topics
    for action, form in [
        ("topic-add", {"title": "Gehackt"}),
        ("topic-remove", {"topic_id": topic.id}),
        ("topic-proposals", {"allowed": "on"}),
        ("topics-show", {"shown": "on"}),
    ]:
        response = await phone.post(f"/w/{code}/t/{action}", data=form)
        assert response.status_code == 403, action
    snap = await now(service, code)
    assert [t.title for t in snap.topics] == ["Eigenes Thema"]
    assert not snap.workshop.topic_proposals and not snap.workshop.topics_shown


async def test_phones_propose_only_while_allowed_and_the_trainer_accepts(
    client, service, day
) -> None:
    code, phone = day
    closed = await phone.post(f"/w/{code}/topics", data={"title": "Kantine"})
    assert closed.status_code == 403
    assert MESSAGES["topic_proposals_closed"]["de"] in closed.text
    assert "Thema vorschlagen" not in (await phone.get(f"/w/{code}")).text
    await trainer(client, code, "topic-proposals", allowed="on")
    assert "Thema vorschlagen" in (await phone.get(f"/w/{code}")).text
    sent = await phone.post(f"/w/{code}/topics", data={"title": "Kantine"})
    assert sent.status_code == 200 and "Kantine" in sent.text  # its own, waiting
    (proposal,) = (await now(service, code)).topics
    assert proposal.proposed
    await trainer(client, code, "topics-show", shown="on")
    assert "Kantine" not in (await client.get(f"/w/{code}/board")).text
    async with other_device(client) as neighbour:
        await join(neighbour, code)
        assert "Kantine" not in (await neighbour.get(f"/w/{code}")).text
    assert "Kantine" in (await client.get(f"/w/{code}/trainer")).text
    await trainer(client, code, "topic-accept", topic_id=proposal.id)
    assert "Kantine" in (await client.get(f"/w/{code}/board")).text
    await trainer(client, code, "topic-proposals", allowed="off")
    assert (await phone.post(f"/w/{code}/topics", data={"title": "Noch was"})).status_code == 403


async def test_dots_on_the_themenspeicher_rank_it_and_the_top_three_become_the_plan(
    client, service, day
) -> None:
    code, phone = day
    for title in ("Erreichbarkeit", "Haltung", "Kaffee", "Parkplätze"):
        await trainer(client, code, "topic-add", title=title)
    await trainer(client, code, "step-next")  # the dots step, on the clusters so far
    await trainer(client, code, "dots-from-topics")
    await trainer(client, code, "dots-budget", budget="4")
    snap = await now(service, code)
    assert snap.step.config["options_from"] == "topics"
    ids = {t.title: t.id for t in snap.topics}
    assert [o.label for o in snap.results.options("de")] == list(ids)
    phone_page = (await phone.get(f"/w/{code}")).text
    assert all(title in phone_page for title in ids)  # the phone's options are the topics
    for title, dots in (("Haltung", 2), ("Erreichbarkeit", 1), ("Parkplätze", 1)):
        for _ in range(dots):
            sent = await phone.post(
                f"/w/{code}/vote",
                data={"step_id": snap.step.id, "option": ids[title], "delta": "1"},
            )
            assert sent.status_code == 200, sent.text
    await trainer(client, code, "dots-top-actions", n="3")
    after = await now(service, code)
    kept = {t.title: (t.dots, t.rank) for t in after.topics}
    assert kept == {
        "Erreichbarkeit": (1, 2),
        "Haltung": (2, 1),
        "Kaffee": (0, 4),
        "Parkplätze": (1, 2),
    }
    plan = sorted(after.plans, key=lambda a: a.position)
    assert [(a.what, a.topic_id) for a in plan] == [
        ("Haltung", ids["Haltung"]),
        ("Erreichbarkeit", ids["Erreichbarkeit"]),
        ("Parkplätze", ids["Parkplätze"]),
    ]
    await trainer(client, code, "dots-top-actions", n="3")  # again: no row twice
    assert len((await now(service, code)).plans) == 3
    # The Maßnahmenplan: the console sets Mit wem and Status.
    await trainer(client, code, "step-next")
    item = plan[0]
    await trainer(
        client,
        code,
        "action-edit",
        item_id=item.id,
        what=item.what,
        who="Anna",
        with_whom="Vertrieb",
        due="Ende Mai",
        status="doing",
    )
    (edited,) = [a for a in (await now(service, code)).actions if a.id == item.id]
    assert (edited.who, edited.with_whom, edited.due, edited.status) == (
        "Anna",
        "Vertrieb",
        "Ende Mai",
        "doing",
    )
    board = (await client.get(f"/w/{code}/board")).text
    assert "Vertrieb" in board and "in Arbeit" in board


async def test_a_dots_step_keeps_its_options_once_dots_are_placed(client, service, day) -> None:
    code, phone = day
    await trainer(client, code, "topic-add", title="Erreichbarkeit")
    await trainer(client, code, "step-next")  # dots on the clusters
    snap = await now(service, code)
    option = snap.results.options("de")[0].id
    sent = await phone.post(
        f"/w/{code}/vote", data={"step_id": snap.step.id, "option": option, "delta": "1"}
    )
    assert sent.status_code == 200
    response = await refused(client, code, "dots-from-topics")
    assert response.status_code == 409
    assert MESSAGES["dots_already_placed"]["de"] in response.text
    assert (await now(service, code)).step.config["options_from"] == "clusters"


async def test_an_unknown_status_is_refused_in_the_trainers_language(client, service, day) -> None:
    code, _ = day
    await trainer(client, code, "step-go", step_id=(await now(service, code)).steps[-1].id)
    await trainer(client, code, "action-add", what="Leitfaden schreiben")
    (item,) = (await now(service, code)).actions
    for lang, words in (("de", "offen, in Arbeit, erledigt"), ("en", "open, in progress, done")):
        response = await client.post(
            f"/w/{code}/t/action-status",
            data={"item_id": item.id, "status": "fertig"},
            headers={"accept-language": lang},
        )
        assert response.status_code == 422
        assert words in response.text
    await trainer(client, code, "action-status", item_id=item.id, status="done")
    assert (await now(service, code)).actions[0].status == "done"


async def test_a_phone_proposes_an_action_with_whom(client, service, day) -> None:
    code, phone = day
    plan = (await now(service, code)).steps[-1]
    await trainer(client, code, "step-go", step_id=plan.id)
    sent = await phone.post(
        f"/w/{code}/actions",
        data={
            "step_id": plan.id,
            "what": "Hotline testen",
            "who": "Ben",
            "with_whom": "IT",
            "due": "",
        },
    )
    assert sent.status_code == 200, sent.text
    (item,) = (await now(service, code)).actions
    assert (item.with_whom, item.status) == ("IT", "open")


async def test_top_to_plan_offers_no_more_than_the_topics_there_are(client, service, day) -> None:
    # Two topics: a "Top 3" preset above the field's maximum of 2 would make the browser
    # refuse to send the form, and the trainer's click would do nothing.
    code, _ = day
    for title in ("Erreichbarkeit", "Wartezeiten"):
        await trainer(client, code, "topic-add", title=title)
    await trainer(client, code, "step-next")
    await trainer(client, code, "dots-from-topics")
    console = (await client.get(f"/w/{code}/trainer")).text
    field = re.search(r'<input id="top-n"[^>]*>', console)
    assert field is not None
    attributes = dict(re.findall(r'(\w+)="([^"]*)"', field.group(0)))
    assert 1 <= int(attributes["value"]) <= int(attributes["max"]) == 2
