"""A card step run in small groups, in the protocol: each group's wall under its name (and
its own question), then the plenary's wall, in every format; the JSON record brings the
group work back as it was, while the teams work and after the merge.

The room of tests/test_team_walls.py: six people of a service team in three groups,
"Gruppe 1 sammelt Ideen zu Erreichbarkeit, Gruppe 2 zu Beschwerden, Gruppe 3 zu
Wartezeiten"; group 1's console reveals its cards and puts one under "Telefon", the
other two walls are still hidden.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from board import protocol, teams
from board.cards import MAX_HEADING_LENGTH
from board.errors import Refused
from board.i18n import translator
from board.service import Service
from board.settings import SCHEMA_DIR
from board.steps import MAX_QUESTION_LENGTH
from board.workshops import new_id
from tests.test_protocol_topics import regenerated as _regenerated
from tests.test_team_walls import QUESTIONS, Room, first_team_clusters, grouped_room
from tests.test_web_teams import snap_of, trainer

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
SCHEMA = json.loads((SCHEMA_DIR / "moderation-board-1.schema.json").read_text(encoding="utf-8"))


async def room_at_work(client: httpx.AsyncClient, service: Service) -> Room:
    """Group 1 revealed and clustered one card under "Telefon"; groups 2 and 3 hidden;
    group 3 asks the step's question again (no question of its own)."""
    room = await grouped_room(client, service)
    await first_team_clusters(room)
    third = room.team_ids[2]
    cleared = await trainer(client, room.code, "team-question", team_id=third, question="")
    assert cleared.status_code == 204, cleared.text
    room.snap = await snap_of(service, room.code)
    return room


async def merged(client: httpx.AsyncClient, service: Service) -> Room:
    room = await room_at_work(client, service)
    done = await trainer(client, room.code, "teams-merge", mode="as_clusters")
    assert done.status_code == 204, done.text
    room.snap = await snap_of(service, room.code)
    return room


async def document(client: httpx.AsyncClient, room: Room, fmt: str, lang: str = "de") -> str:
    response = await client.get(f"/w/{room.code}/protocol.{fmt}", headers={"Accept-Language": lang})
    assert response.status_code == 200, response.text[:300]
    if fmt == "pdf":
        _pictures(response.content)
        pages = PdfReader(io.BytesIO(response.content)).pages
        return " ".join(" ".join(page.extract_text().split()) for page in pages)
    text = response.content.decode("utf-8-sig")
    return html.unescape(text) if fmt == "html" else text


def _pictures(pdf: bytes) -> None:
    """The PDF's pages as pictures in tests/screenshots, to look at."""
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / "protocol-team-walls.pdf").write_bytes(pdf)
        picture = ["pdftoppm", "-png", "-r", "70", str(SCREENSHOTS / "protocol-team-walls.pdf")]
        subprocess.run([*picture, str(SCREENSHOTS / "protocol-team-walls")], check=True)


async def record_of(client: httpx.AsyncClient, room: Room) -> dict[str, Any]:
    return dict((await client.get(f"/w/{room.code}/protocol.json")).json())


def regenerated(record: dict[str, Any]) -> dict[str, Any]:
    """The record as an import exports it again: without its moment and code, and with
    the kind's defaults the import fills in (this room's step came without an exercise)."""
    again = _regenerated(record)
    for step in again["steps"]:
        step["config"].setdefault("hidden", False)
    return again


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


# -- the documents -----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["md", "html"])
async def test_while_the_teams_work_each_group_s_wall_stands_under_its_name(
    client, service, fmt
) -> None:
    room = await room_at_work(client, service)
    text = await document(client, room, fmt)
    walls = [text.index(f"Gruppenwand: Gruppe {n}") for n in (1, 2, 3)]
    assert walls == sorted(walls)
    plenary = text.index("Ergebnis im Plenum")
    assert plenary > walls[2]
    # Each group's cards under its own name, the hidden walls' too (the trainer's record).
    for t, members in enumerate(room.by_team):
        end = walls[t + 1] if t < 2 else plenary
        for n in range(len(members)):
            assert walls[t] < text.index(room.text(t, n)) < end, (t, n)
    assert walls[0] < text.index("Telefon") < walls[1]
    # The groups' own questions; the third asks the step's, so none is shown for it.
    assert text.count("Frage der Gruppe") == 2
    asked = (
        "Frage der Gruppe: *Erreichbarkeit*" if fmt == "md" else "Frage der Gruppe: Erreichbarkeit"
    )
    assert walls[0] < text.index(asked) < walls[1]
    assert "noch nicht ins Plenum zusammengeführt" in text[plenary:]


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
async def test_after_the_merge_the_group_walls_come_first_then_the_plenary(
    client, service, fmt
) -> None:
    room = await merged(client, service)
    text = await document(client, room, fmt)
    plenary = text.index("Ergebnis im Plenum")
    for n in (1, 2, 3):
        assert text.index(f"Gruppenwand: Gruppe {n}") < plenary
    assert "Erreichbarkeit" in text[:plenary] and "Beschwerden" in text[:plenary]
    # The plenary: the merged clusters, labelled with their groups, with every card.
    after = text[plenary:]
    for heading in ("Gruppe 1: Telefon", "Gruppe 2", "Gruppe 3"):
        assert heading in after, heading
    for t, members in enumerate(room.by_team):
        for n in range(len(members)):
            assert room.text(t, n) in text[:plenary]
            assert room.text(t, n) in after
    assert "noch nicht" not in after


async def test_the_group_walls_speak_english_in_an_english_protocol(client, service) -> None:
    room = await room_at_work(client, service)
    text = await document(client, room, "md", "en")
    assert "### Group wall: Group 1" in text and "### Plenary result" in text
    assert "The group's question: *Beschwerden*" in text
    assert "not been merged into the plenary yet" in text
    # After the merge each wall keeps the name it had then (as the merged headings do).
    await trainer(client, room.code, "teams-merge", mode="as_clusters")
    text = await document(client, room, "md", "en")
    assert "### Group wall: Gruppe 1" in text and "#### Gruppe 1: Telefon" in text


@pytest.mark.parametrize("merge", [False, True], ids=["at work", "merged"])
async def test_the_csv_has_a_row_per_card_of_each_group_s_wall(client, service, merge) -> None:
    room = await (merged if merge else room_at_work)(client, service)
    rows = csv_rows(await document(client, room, "csv"))
    walls = [r for r in rows if r["Eintrag"] == "Karte der Gruppenwand"]
    expected = {
        (f"Gruppe {t + 1}", room.text(t, n))
        for t, people in enumerate(room.by_team)
        for n in range(len(people))
    }
    assert {(r["Wer"], r["Text"]) for r in walls} == expected
    assert len(walls) == 6
    telefon = next(r for r in walls if r["Text"] == room.text(0, 0))
    assert (telefon["Cluster"], telefon["Frage"]) == ("Telefon", "Erreichbarkeit")
    # The cards themselves: one row each, as on any card step.
    assert sum(r["Eintrag"] == "Karte" for r in rows) == 6
    # The CSV keeps its shape: the same columns in every row.
    assert all(None not in row for row in rows)


# -- the JSON round trip -----------------------------------------------------------------
async def test_a_protocol_taken_while_the_teams_work_imports_as_it_was(client, service) -> None:
    room = await room_at_work(client, service)
    first = await record_of(client, room)
    step = first["steps"][0]
    assert step["config"][teams.IN_TEAMS] is True
    assert step["config"][teams.TEAMS_REVEALED] == ["team1"]
    assert step["config"][teams.TEAM_QUESTIONS] == {"team1": QUESTIONS[0], "team2": QUESTIONS[1]}
    assert {card["team"] for card in step["cards"]} == {"team1", "team2", "team3"}
    assert [c["team"] for c in step["clusters"]] == ["team1"]
    imported = await service.import_protocol(first)
    snap = await service.snapshot(imported.id)
    assert snap.in_teams
    by_position = [team.id for team in snap.teams]
    written = {c.text: by_position.index(c.team_id or "") for c in snap.wall.cards}
    assert written == {room.text(t, n): t for t in range(3) for n in range(2)}
    assert [(c.heading, by_position.index(c.team_id or "")) for c in snap.wall.clusters] == [
        ("Telefon", 0)
    ]
    # Each team asks its own question, group 1's wall is revealed, the others still hidden.
    assert [snap.step_of_team(team).question for team in by_position[:2]] == list(QUESTIONS[:2])
    shown = [snap.step_of_team(team).results_visible for team in by_position]
    assert shown == [True, False, False]
    again = await service.export(imported)
    assert regenerated(again) == regenerated(first)


async def test_the_imported_teams_work_on_and_merge_as_the_first_did(client, service) -> None:
    room = await room_at_work(client, service)
    imported = await service.import_protocol(await record_of(client, room))
    await service.execute(
        imported,
        lambda snap: teams.merge_step(
            snap.wall,
            snap.teams,
            mode="as_clusters",
            t=translator("de"),
            new_id=new_id,
            now=snap.now,
        ),
    )
    theirs = room.snap.step.config  # the first room's, merged the same way
    after = await service.snapshot(imported.id)
    assert not after.in_teams
    kept = after.step.config[teams.TEAM_WALLS]
    assert [(w["name"], w["question"]) for w in kept] == [
        ("Gruppe 1", QUESTIONS[0]),
        ("Gruppe 2", QUESTIONS[1]),
        ("Gruppe 3", theirs.get("question", after.step.question)),
    ]
    assert kept[0]["clusters"] == [{"heading": "Telefon", "cards": [room.text(0, 0)]}]
    headings = [c.heading for c in after.wall.ordered_clusters()]
    assert headings == ["Gruppe 1: Telefon", "Gruppe 1", "Gruppe 2", "Gruppe 3"]


async def test_a_protocol_taken_after_the_merge_imports_with_its_group_walls(
    client, service
) -> None:
    room = await merged(client, service)
    first = await record_of(client, room)
    step = first["steps"][0]
    assert teams.IN_TEAMS not in step["config"]
    assert all(card["team"] is None for card in step["cards"])
    kept = step["config"][teams.TEAM_WALLS]
    assert [wall["name"] for wall in kept] == ["Gruppe 1", "Gruppe 2", "Gruppe 3"]
    assert kept[0]["clusters"] == [{"heading": "Telefon", "cards": [room.text(0, 0)]}]
    imported = await service.import_protocol(first)
    snap = await service.snapshot(imported.id)
    assert snap.step.config[teams.TEAM_WALLS] == kept
    assert regenerated(await service.export(imported)) == regenerated(first)


async def test_an_older_protocol_without_the_team_fields_still_imports(client, service) -> None:
    room = await room_at_work(client, service)
    record = await record_of(client, room)
    step = record["steps"][0]
    for key in (teams.IN_TEAMS, teams.TEAMS_REVEALED, teams.TEAM_QUESTIONS):
        del step["config"][key]
    for item in [*step["cards"], *step["clusters"]]:
        del item["team"]
    imported = await service.import_protocol(record)
    snap = await service.snapshot(imported.id)
    assert not snap.in_teams and len(snap.wall.cards) == 6
    assert all(c.team_id is None for c in snap.wall.cards)


def _step(record: dict[str, Any]) -> dict[str, Any]:
    return dict(record["steps"][0])


def _config(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda record: _step(record)["config"].update(fields)


def _wall(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def damage(record: dict[str, Any]) -> None:
        wall = {"name": "Gruppe 1", "question": "", "clusters": [], "unsorted": ["Karte"]}
        _step(record)["config"][teams.TEAM_WALLS] = [wall | {field: value}]

    return damage


def _foreign_cluster(record: dict[str, Any]) -> None:
    step = _step(record)
    card = next(c for c in step["cards"] if c["team"] == "team2")
    card["cluster"] = step["clusters"][0]["id"]  # group 1's "Telefon"


DAMAGE = [
    (
        lambda r: _step(r)["cards"][0].update(team="team9"),
        r"steps\[0\]\.cards\[0\]\.team: unknown team 'team9'",
    ),
    (lambda r: _step(r)["clusters"][0].update(team="team7"), r"clusters\[0\]\.team: unknown team"),
    (lambda r: _step(r)["cards"][0].update(team="t1"), r"cards\[0\]\.team: 't1' does not match"),
    (_config(teams_revealed=["team1", "team9"]), r"config\.teams_revealed\[1\]: unknown team"),
    (_config(team_questions={"team9": "Wozu?"}), r"config\.team_questions: unknown team 'team9'"),
    (_config(shown_team="team4"), r"config\.shown_team: unknown team 'team4'"),
    (_config(in_teams="ja"), r"config\.in_teams: (wrong type|expected true or false)"),
    (
        _config(team_questions={"team1": "x" * (MAX_QUESTION_LENGTH + 1)}),
        r"config\.team_questions",
    ),
    (
        _config(team_walls=[{"name": "G", "question": "", "clusters": [], "unsorted": []}] * 13),
        r"config\.team_walls",
    ),
    (_wall("name", "x" * (teams.MAX_TEAM_NAME + 1)), r"team_walls\[0\]\.name"),
    (_wall("question", "x" * (MAX_QUESTION_LENGTH + 1)), r"team_walls\[0\]\.question"),
    (_wall("unsorted", ["x" * 121]), r"team_walls\[0\]\.unsorted\[0\]: .*120"),
    (_wall("unsorted", "Karte"), r"team_walls\[0\]\.unsorted"),
    (
        _wall("clusters", [{"heading": "x" * (MAX_HEADING_LENGTH + 1), "cards": []}]),
        r"team_walls\[0\]\.clusters\[0\]\.heading",
    ),
    (_wall("colour", "blue"), r"team_walls\[0\]\.colour"),
    (_foreign_cluster, r"steps\[0\]\.cards\[\d\]\.cluster: on another team's wall"),
]


@pytest.mark.parametrize(("damage", "problem"), DAMAGE)
async def test_malformed_team_fields_are_refused_naming_them_and_nothing_is_stored(
    client, service, damage, problem
) -> None:
    room = await room_at_work(client, service)
    record = await record_of(client, room)
    damage(record)
    before = _count(service)
    with pytest.raises(Refused) as refused:
        await service.import_protocol(record)
    assert refused.value.status == 422
    assert re.search(problem, refused.value.params["problem"]), refused.value.params["problem"]
    assert _count(service) == before


async def test_a_card_on_a_team_s_wall_of_a_step_no_longer_in_teams_is_refused(
    client, service
) -> None:
    room = await merged(client, service)
    record = await record_of(client, room)
    _step(record)["cards"][2]["team"] = "team1"
    with pytest.raises(protocol.ProtocolError, match=r"cards\[2\]\.team: the step does not run"):
        protocol.prepare(record, service.settings.card_max_length)


def _count(service: Service) -> tuple[int, int]:
    def counted(conn: Any) -> tuple[int, int]:
        workshops = conn.execute("SELECT count(*) FROM workshops").fetchone()[0]
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
        return int(workshops), int(cards)

    return service.db.read_now(counted)


def test_the_schema_states_the_limits_the_board_keeps() -> None:
    config = SCHEMA["$defs"]["step"]["properties"]["config"]["properties"]
    wall = SCHEMA["$defs"]["team_wall"]["properties"]
    assert config[teams.TEAM_WALLS]["maxItems"] == teams.MAX_TEAMS
    assert config[teams.TEAMS_REVEALED]["maxItems"] == teams.MAX_TEAMS
    assert config[teams.TEAM_QUESTIONS]["maxProperties"] == teams.MAX_TEAMS
    assert config[teams.TEAM_QUESTIONS]["additionalProperties"]["maxLength"] == MAX_QUESTION_LENGTH
    assert wall["name"]["maxLength"] == teams.MAX_TEAM_NAME
    assert wall["question"]["maxLength"] == MAX_QUESTION_LENGTH
    heading = wall["clusters"]["items"]["properties"]["heading"]
    assert heading["maxLength"] == MAX_HEADING_LENGTH
