"""The Kleingruppen in every protocol format, an import that brings them back, and older
protocols (without them) still read.

Five people split into two groups; one of them, Anna, holds the group console of
"Erreichbarkeit"."""

from __future__ import annotations

import csv
import io
import json
import random
from typing import Any

import pytest

from board import documents, protocol, teams
from board.service import Service
from board.workshops import Workshop, new_id
from tests.test_protocol_topics import regenerated


@pytest.fixture
async def grouped(service: Service) -> Workshop:
    workshop = await service.create_workshop("Gruppenarbeit", exercise_keys=["step:cards"])
    people = [await service.join(workshop, name) for name in ("Anna", "", "Ben", "", "Cem")]
    formation = teams.form(
        [p.id for p in people],
        workshop_id=workshop.id,
        how="random",
        rng=random.Random(7),
        new_id=new_id,
        count=2,
        names=["Erreichbarkeit"],
    )
    anna = people[0].id
    home = teams.team_of_participant(anna, formation.members)
    console = [
        *teams.appoint(anna, home or "", formation.teams, formation.members),
    ]
    await service.execute(workshop, lambda snap: [*formation.teams, *formation.members, *console])
    return workshop


async def record_of(service: Service, workshop: Workshop, names: bool = False) -> dict[str, Any]:
    return await service.export(workshop, names)


async def test_the_json_record_lists_each_team_with_its_members(service, grouped) -> None:
    record = await record_of(service, grouped)
    first, second = record["teams"]
    assert (first["id"], first["name"], first["colour"]) == ("team1", "Erreichbarkeit", "blue")
    assert (second["id"], second["name"], second["colour"]) == ("team2", "", "orange")
    everyone = {p["id"] for p in record["participants"]}
    assert sorted(first["members"] + second["members"]) == sorted(everyone)
    holder = first["console"] or second["console"]
    assert holder == "p1"  # Anna joined first
    assert all(p["nickname"] is None for p in record["participants"])  # no names asked for


async def test_export_import_export_gives_the_same_record(service, grouped) -> None:
    first = await record_of(service, grouped)
    imported = await service.import_protocol(first)
    second = await service.export(imported)
    assert regenerated(second) == regenerated(first)
    snap = await service.snapshot(imported.id)
    assert [team.name for team in snap.teams] == ["Erreichbarkeit", ""]
    assert len(snap.members) == 5


async def test_an_older_protocol_without_teams_still_imports(service, grouped) -> None:
    record = await record_of(service, grouped)
    record.pop("teams")
    imported = await service.import_protocol(record)
    assert (await service.snapshot(imported.id)).teams == ()
    assert (await service.export(imported))["teams"] == []


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda r: r["teams"][1].update(id="team1"), "teams[1].id: the same team id twice"),
        (lambda r: r["teams"][1]["members"].append(r["teams"][0]["members"][0]), "in two teams"),
        (lambda r: r["teams"][0]["members"].append("p99"), "unknown participant"),
        (lambda r: r["teams"][1].update(name="erreichbarkeit"), "teams"),
        (lambda r: r["teams"][0].update(colour="pink"), "teams[0].colour"),
        (lambda r: r["teams"][0].update(name="x" * 31), "teams[0].name"),
        (
            lambda r: r["teams"][0].update(console=r["teams"][1]["members"][0]),
            "is not in this team",
        ),
    ],
)
async def test_damaged_teams_are_refused_naming_what(service, grouped, damage, problem) -> None:
    record = await record_of(service, grouped)
    damage(record)
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.prepare(record, service.settings.card_max_length)
    assert problem in str(refused.value)


def csv_rows(record: dict[str, Any], service: Service) -> list[dict[str, str]]:
    text = documents.render(record, "csv", "de", service.templates).decode().lstrip("\ufeff")
    return [
        r for r in csv.DictReader(io.StringIO(text), delimiter=";") if r["Eintrag"] == "Kleingruppe"
    ]


async def test_documents_list_the_groups_without_names_unless_asked(service, grouped) -> None:
    record = await record_of(service, grouped)
    sizes = {len(team["members"]) for team in record["teams"]}
    assert sizes == {2, 3}
    markdown = documents.render(record, "md", "de", service.templates).decode()
    section = markdown.split("## Kleingruppen", 1)[1].strip().splitlines()
    first = len(record["teams"][0]["members"])
    second = len(record["teams"][1]["members"])
    assert section == [
        f"- **Erreichbarkeit**: {first} Personen",
        f"- **Gruppe 2**: {second} Personen",
    ]
    assert "Anna" not in markdown
    assert [(r["Text"], r["Wert"], r["Wer"]) for r in csv_rows(record, service)] == [
        ("Erreichbarkeit", str(first), ""),
        ("Gruppe 2", str(second), ""),
    ]
    html = documents.render(record, "html", "de", service.templates).decode()
    assert "doc-teams" in html and "Anna" not in html


async def test_with_names_the_documents_say_who_was_in_which_group(service, grouped) -> None:
    record = await record_of(service, grouped, names=True)
    number = {p["id"]: n for n, p in enumerate(record["participants"], 1)}
    nick = {p["id"]: p["nickname"] for p in record["participants"]}
    expected = [
        ", ".join(nick[p] or f"Person {number[p]}" for p in team["members"])
        for team in record["teams"]
    ]
    markdown = documents.render(record, "md", "de", service.templates).decode()
    assert (
        f"- **Erreichbarkeit** ({len(record['teams'][0]['members'])} Personen): {expected[0]}"
        in (markdown)
    )
    assert [r["Wer"] for r in csv_rows(record, service)] == expected
    html = documents.render(record, "html", "de", service.templates).decode()
    assert "<th>Mitglieder</th>" in html and expected[1] in html


async def test_a_protocol_without_teams_has_no_section_for_them(service) -> None:
    workshop = await service.create_workshop("Ohne Gruppen")
    record = await record_of(service, workshop)
    assert record["teams"] == []
    assert "Kleingruppen" not in documents.render(record, "md", "de", service.templates).decode()


def test_the_schema_states_the_team_limits_the_import_keeps() -> None:
    schema = json.loads(protocol.shape.SCHEMA_FILE.read_text(encoding="utf-8"))
    rule = schema["properties"]["teams"]
    fields = rule["items"]["properties"]
    assert rule["maxItems"] == teams.MAX_TEAMS
    assert fields["name"]["maxLength"] == teams.MAX_TEAM_NAME
    assert fields["colour"]["enum"] == list(teams.TEAM_COLOURS)
    assert fields["cap"]["maximum"] == teams.MAX_TEAM_SIZE
    assert schema["$defs"]["team"]["pattern"] == f"^{protocol.ID['team'].pattern}$"
