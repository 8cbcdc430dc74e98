"""The Themenspeicher and the Maßnahmenplan's new columns in every protocol format, an
import that brings them back, and older protocols (without them) still read."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import httpx
import pytest

from board import documents, protocol
from board.service import Service
from tests.conftest import create_workshop, join, other_device
from tests.test_web_topics import AGENDA, now, trainer


@pytest.fixture
async def ranked(client: httpx.AsyncClient, service: Service) -> str:
    """A day with a parked cluster, a proposal still waiting, dots on the topics, the
    top ones in the plan (one with Mit wem and Status); its code."""
    code = await create_workshop(client, "Themen-Tag", AGENDA)
    phone = other_device(client)
    await join(phone, code)
    sent = await phone.post(
        f"/w/{code}/cards", data={"text": "Rückruf binnen 24 h", "colour": "yellow"}
    )
    assert sent.status_code == 200
    await trainer(client, code, "reveal")
    card = (await now(service, code)).wall.cards[0]
    await trainer(client, code, "cluster-new", heading="Erreichbarkeit", card_id=card.id)
    cluster = (await now(service, code)).wall.clusters[0]
    await trainer(client, code, "topic-park-cluster", cluster_id=cluster.id)
    await trainer(client, code, "topic-add", title="Parkplätze")
    await trainer(client, code, "topic-proposals", allowed="on")
    proposed = await phone.post(f"/w/{code}/topics", data={"title": "Kantine"})
    assert proposed.status_code == 200
    await trainer(client, code, "step-next")
    await trainer(client, code, "dots-from-topics")
    snap = await now(service, code)
    erreichbarkeit = next(t.id for t in snap.topics if t.title == "Erreichbarkeit")
    voted = await phone.post(
        f"/w/{code}/vote", data={"step_id": snap.step.id, "option": erreichbarkeit, "delta": "1"}
    )
    assert voted.status_code == 200, voted.text
    await trainer(client, code, "dots-top-actions", n="3")
    await trainer(client, code, "step-next")
    (item,) = (await now(service, code)).actions
    await trainer(
        client,
        code,
        "action-edit",
        item_id=item.id,
        what=item.what,
        who="Anna",
        with_whom="Vertrieb",
        due="Mai",
        status="doing",
    )
    await phone.aclose()
    return code


async def record_of(service: Service, code: str) -> dict[str, Any]:
    return await service.export(await service.workshop(code))


def regenerated(record: dict[str, Any]) -> dict[str, Any]:
    record = copy.deepcopy(record)
    record.pop("exported_at")
    record["workshop"].pop("code")
    return record


async def test_the_json_record_has_the_themenspeicher_and_the_new_columns(service, ranked) -> None:
    record = await record_of(service, ranked)
    topics = {t["title"]: t for t in record["topics"]}
    assert set(topics) == {"Erreichbarkeit", "Parkplätze", "Kantine"}
    parked = topics["Erreichbarkeit"]
    assert parked["origin"] == {
        "kind": "cluster",
        "step": 0,
        "ref": "k1",
        "text": parked["origin"]["text"],
    }
    assert (parked["dots"], parked["rank"], parked["ranked_step"]) == (1, 1, 1)
    assert topics["Kantine"]["proposed"] and topics["Kantine"]["participant"] == "p1"
    dots_step, plan = record["steps"][1], record["steps"][2]
    assert dots_step["config"]["options_from"] == "topics"
    assert dots_step["votes"][0]["key"] == parked["id"]
    (action,) = plan["actions"]
    assert (action["what"], action["with_whom"], action["status"], action["topic"]) == (
        "Erreichbarkeit",
        "Vertrieb",
        "doing",
        parked["id"],
    )


async def test_export_import_export_gives_the_same_record(service, ranked) -> None:
    first = await record_of(service, ranked)
    imported = await service.import_protocol(first)
    second = await service.export(imported)
    assert regenerated(second) == regenerated(first)
    snap = await service.snapshot(imported.id)
    assert {t.title for t in snap.topics} == {"Erreichbarkeit", "Parkplätze", "Kantine"}


async def test_an_older_protocol_without_them_still_imports(service, ranked) -> None:
    record = await record_of(service, ranked)
    record.pop("topics")
    for step in record["steps"]:
        for action in step["actions"]:
            for key in ("with_whom", "status", "topic"):
                action.pop(key)
    record["steps"][1]["config"] = {
        k: v for k, v in record["steps"][1]["config"].items() if k != "options_from"
    } | {"options_from": "clusters"}
    record["steps"][1]["votes"] = []
    imported = await service.import_protocol(record)
    snap = await service.snapshot(imported.id)
    assert snap.topics == ()
    again = await service.export(imported)
    assert again["topics"] == []
    assert (
        again["steps"][2]["actions"][0]["status"],
        again["steps"][2]["actions"][0]["topic"],
    ) == (
        "open",
        None,
    )


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda r: r["steps"][2]["actions"][0].update(status="fertig"), "status"),
        (lambda r: r["steps"][2]["actions"][0].update(topic="t99"), "topic"),
        (lambda r: r["steps"][1]["votes"][0].update(key="t99"), "unknown topic"),
        (lambda r: r["topics"][0].update(title=" "), "topics[0].title"),
        (lambda r: r["topics"][0]["origin"].update(ref="k99"), "card or cluster"),
        (lambda r: r["topics"][0].update(ranked_step=9), "topics[0].ranked_step"),
    ],
)
async def test_a_damaged_themenspeicher_is_refused_naming_what(
    service, ranked, damage, problem
) -> None:
    record = await record_of(service, ranked)
    damage(record)
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.prepare(record, service.settings.card_max_length)
    assert problem in str(refused.value)


async def test_markdown_csv_and_html_have_a_themenspeicher_section(service, ranked) -> None:
    record = await record_of(service, ranked)
    markdown = documents.render(record, "md", "de", service.templates).decode()
    section = markdown.split("## Themenspeicher", 1)[1].strip().splitlines()
    assert section[0].startswith("1. Erreichbarkeit — 1 Punkt; geparkter Cluster (Schritt 1)")
    assert section[1] == "2. Parkplätze"
    assert section[2] == "3. Kantine — Vorschlag, nicht angenommen"
    assert "| Erreichbarkeit | Anna | Vertrieb | Mai | in Arbeit |" in markdown
    rows = list(
        csv.DictReader(
            io.StringIO(
                documents.render(record, "csv", "de", service.templates).decode().lstrip("\ufeff")
            ),
            delimiter=";",
        )
    )
    topic_rows = [r for r in rows if r["Eintrag"] == "Thema"]
    assert [(r["Text"], r["Wert"], r["Rang"]) for r in topic_rows] == [
        ("Erreichbarkeit", "1", "1"),
        ("Parkplätze", "0", "2"),
        ("Kantine", "", ""),
    ]
    action = next(r for r in rows if r["Eintrag"] == "Maßnahme")
    assert (action["Mit wem"], action["Status"], action["Thema"]) == (
        "Vertrieb",
        "in Arbeit",
        "Erreichbarkeit",
    )
    html = documents.render(record, "html", "de", service.templates).decode()
    assert "doc-topics" in html and "geparkter Cluster" in html and "Kantine" in html
    assert "<th>Mit wem</th>" in html and "in Arbeit" in html
