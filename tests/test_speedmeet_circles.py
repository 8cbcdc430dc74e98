"""SpeedMeet in parallel circles over HTTP: twenty-three people, circles of at most eight.

The trainer sets the circle size in the console, reads how the room will split and how
long it takes before pressing start; the phones then show each round's partner and a
table number that is one table in the whole room; a latecomer joins the smallest circle;
the protocol carries the circles in every format and back.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from board import documents
from board.circles import MIN_CIRCLE
from board.errors import Refused
from board.pairs import MAX_CIRCLE
from board.service import Service
from board.workshops import Workshop
from tests.conftest import create_workshop, join, other_device

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "schema/moderation-board-1.schema.json").read_text()
)
PERIOD = 4 * 60 + 30  # the speedmeet exercise's talk and change-over, in seconds
MEETS = re.compile(r"Treffen Sie (\S+) an Tisch (\d+)")


@dataclass
class Room:
    code: str
    workshop: Workshop
    phones: dict[str, httpx.AsyncClient]  # by nickname, in the order they joined


async def trainer(client: httpx.AsyncClient, code: str, action: str, **fields: object):
    return await client.post(f"/w/{code}/t/{action}", data=fields)


async def take_part(client: httpx.AsyncClient, service: Service, room: Room, name: str) -> None:
    phone = other_device(client)
    await join(phone, room.code)
    step = (await service.snapshot(room.workshop.id)).step
    joined = await phone.post(
        f"/w/{room.code}/pairs/join", data={"step_id": step.id, "nickname": name}
    )
    assert joined.status_code == 200
    room.phones[name] = phone


@pytest.fixture
async def room(client: httpx.AsyncClient, service: Service) -> Room:
    """Twenty-three people have joined the SpeedMeet, P00 first; not started yet."""
    code = await create_workshop(client, exercises=["speedmeet"])
    made = Room(code, await service.workshop(code), {})
    for i in range(23):
        await take_part(client, service, made, f"P{i:02d}")
    return made


async def at_round(service: Service, room: Room, k: int) -> None:
    """Put the room's clock into the talk of round k+1 (as if started k periods ago)."""
    started = time.time() - k * PERIOD - 10
    await service.execute(
        room.workshop,
        lambda s: [replace(s.step, config=s.step.config | {"started_at": started})],
    )


async def seats(room: Room) -> dict[str, tuple[str, int] | None]:
    """What every phone shows now: partner and table, or None for a break."""
    shown: dict[str, tuple[str, int] | None] = {}
    for name, phone in room.phones.items():
        page = (await phone.get(f"/w/{room.code}")).text
        found = MEETS.search(page)
        assert found or "Pause" in page, page[-800:]
        shown[name] = (found.group(1), int(found.group(2))) if found else None
    return shown


def assert_one_table_per_pair(shown: dict[str, tuple[str, int] | None]) -> None:
    """Partners name each other, and no table number is used by two pairs in the room."""
    at_table: dict[int, set[str]] = {}
    for name, seat in shown.items():
        if seat is None:
            continue
        partner, table = seat
        assert shown[partner] == (name, table), f"{name} and {partner} disagree"
        at_table.setdefault(table, set()).add(name)
    assert all(len(people) == 2 for people in at_table.values()), at_table


async def circles_by_name(service: Service, room: Room) -> list[list[str]]:
    snap = await service.snapshot(room.workshop.id)
    names = {p.participant_id: p.nickname for p in snap.people}
    return [[names[p] for p in c["people"]] for c in snap.step.config["circles"]]


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what differs from export to export (its time, the new code)."""
    record = copy.deepcopy(record)
    record.pop("exported_at")
    record["workshop"].pop("code")
    return record


def flash(response: httpx.Response) -> str:
    found = re.search(r'role="alert">(.*?)</p>', response.text, re.S)
    assert found, response.text[:300]
    return html.unescape(found.group(1))


# -- before the start --------------------------------------------------------------------------


async def test_the_console_shows_the_circles_and_how_long_they_take_before_the_start(
    client, service, room
):
    assert (await trainer(client, room.code, "pairs-circle-size", circle_size="8")).status_code in (
        200,
        204,
    )
    console = (await client.get(f"/w/{room.code}/trainer")).text
    # 23 in circles of at most 8: 8, 8 and 7. Eight meet in 7 rounds, seven too (a break
    # each): 7 talks of 4 min and 6 change-overs of 30 s, 31 minutes.
    assert "3 Kreise (8, 8, 7 Personen) · 7 Runden · ca. 31 Minuten" in console
    assert re.search(r'<input id="circle-size" name="circle_size"[^>]*value="8"', console)
    board = (await client.get(f"/w/{room.code}/board")).text
    assert "3 Kreise (8, 8, 7 Personen)" in board  # the room sees it too


async def test_the_whole_room_in_one_circle_of_ten_would_take_longer(client, service, room):
    """The default circle size is the largest: 23 make circles of 8, 8 and 7 all the same,
    while circles of at most five make five (5, 5, 5, 4, 4) of five rounds."""
    console = (await client.get(f"/w/{room.code}/trainer")).text
    assert f'value="{MAX_CIRCLE}"' in console
    assert "3 Kreise (8, 8, 7 Personen) · 7 Runden · ca. 31 Minuten" in console
    await trainer(client, room.code, "pairs-circle-size", circle_size="5")
    console = (await client.get(f"/w/{room.code}/trainer")).text
    # 5 talks of 4 min and 4 change-overs of 30 s: 22 minutes.
    assert "5 Kreise (5, 5, 5, 4, 4 Personen) · 5 Runden · ca. 22 Minuten" in console


@pytest.mark.parametrize("typed", [str(MIN_CIRCLE - 1), str(MAX_CIRCLE + 1), "0", "-3"])
async def test_a_circle_size_out_of_range_is_refused_in_the_trainer_s_language(
    client, service, room, typed
):
    await trainer(client, room.code, "pairs-circle-size", circle_size="6")
    refused = await trainer(client, room.code, "pairs-circle-size", circle_size=typed)
    assert refused.status_code == 422
    assert flash(refused) == (
        f"Ein SpeedMeet-Kreis hat zwischen {MIN_CIRCLE} und {MAX_CIRCLE} Personen."
    )
    english = other_device(client, dict(client.cookies) | {"lang": "en"})
    refused = await trainer(english, room.code, "pairs-circle-size", circle_size=typed)
    assert flash(refused) == f"A SpeedMeet circle has between {MIN_CIRCLE} and {MAX_CIRCLE} people."
    snap = await service.snapshot(room.workshop.id)
    assert snap.step.config["circle_size"] == 6  # what was set before stays


async def test_the_circle_size_is_fixed_once_the_speedmeet_runs(client, service, room):
    await trainer(client, room.code, "pairs-start")
    late = await trainer(client, room.code, "pairs-circle-size", circle_size="6")
    assert late.status_code == 409
    assert "disabled" in re.search(
        r'<input id="circle-size"[^>]*>', (await client.get(f"/w/{room.code}/trainer")).text
    ).group(0)


# -- the rounds ----------------------------------------------------------------------------------


async def test_in_each_circle_everyone_meets_everyone_once_at_tables_unique_in_the_room(
    client, service, room
):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    assert (await trainer(client, room.code, "pairs-start")).status_code == 204
    circles = await circles_by_name(service, room)
    names = list(room.phones)
    assert circles == [names[:8], names[8:16], names[16:]]  # cut in the order they joined
    met: Counter[frozenset[str]] = Counter()
    for k in range(7):
        await at_round(service, room, k)
        shown = await seats(room)
        assert_one_table_per_pair(shown)
        for name, seat in shown.items():
            if seat is not None:
                met[frozenset((name, seat[0]))] += 1
        page = (await room.phones["P00"].get(f"/w/{room.code}")).text
        assert f"Runde {k + 1} von 7" in page
    # each pair seen from both phones, once each: met exactly once
    assert set(met.values()) == {2}
    assert set(met) == {frozenset(p) for c in circles for p in combinations(c, 2)}


async def test_each_phone_says_which_circle_it_is_in(client, service, room):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    assert (await trainer(client, room.code, "pairs-start")).status_code == 204
    circles = await circles_by_name(service, room)
    for number, circle in enumerate(circles, start=1):
        for name in circle:
            page = (await room.phones[name].get(f"/w/{room.code}")).text
            assert f"Kreis {number} · Runde 1 von 7" in page, name


async def test_the_board_shows_each_circle_with_its_tables(client, service, room):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    await trainer(client, room.code, "pairs-start")
    board = (await client.get(f"/w/{room.code}/board")).text
    sections = re.findall(
        r'<section class="circle" data-circle="(\d)">(.*?)</section>', board, re.S
    )
    assert [number for number, _ in sections] == ["1", "2", "3"]
    tables = [[int(n) for n in re.findall(r"Tisch (\d+)", body)] for _, body in sections]
    # Eight sit at four tables, seven at three (one has a break): 1–4, 5–8, 9–11.
    assert tables == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11]]
    assert all(f"Kreis {n}" in body for n, body in sections)
    assert "Pause: " in sections[2][1] and "Pause" not in sections[0][1]


async def test_a_room_that_fits_one_circle_is_run_as_before(client, service):
    code = await create_workshop(client, exercises=["speedmeet"])
    small = Room(code, await service.workshop(code), {})
    for i in range(MAX_CIRCLE):
        await take_part(client, service, small, f"P{i:02d}")
    await trainer(client, code, "pairs-start")
    config = (await service.snapshot(small.workshop.id)).step.config
    assert "circles" not in config and len(config["rounds"]) == MAX_CIRCLE - 1
    board = (await client.get(f"/w/{code}/board")).text
    assert "Kreis" not in board and "Tisch 5" in board and "Tisch 6" not in board
    assert "Kreis" not in (await small.phones["P00"].get(f"/w/{code}")).text


async def test_a_latecomer_joins_the_smallest_circle_and_meets_all_of_it(client, service, room):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    await trainer(client, room.code, "pairs-start")
    await at_round(service, room, 1)  # round 2 under way
    await take_part(client, service, room, "Spät")
    circles = await circles_by_name(service, room)
    assert circles[2] == [*list(room.phones)[16:23], "Spät"]  # the circle of seven
    rounds = len((await service.snapshot(room.workshop.id)).results.rounds)
    partners = []
    for k in range(1, rounds):
        await at_round(service, room, k)
        shown = await seats(room)
        assert_one_table_per_pair(shown)
        if shown["Spät"] is not None:
            partners.append(shown["Spät"][0])
    assert sorted(partners) == sorted(circles[2][:-1])  # everyone in it, once each


async def test_no_phone_receives_another_participant_s_id(client, service, room):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    await trainer(client, room.code, "pairs-start")
    snap = await service.snapshot(room.workshop.id)
    ids = {p.nickname: p.participant_id for p in snap.people}
    for name, phone in list(room.phones.items())[::4]:
        page = (await phone.get(f"/w/{room.code}")).text
        assert not [other for other, pid in ids.items() if other != name and pid in page]
    board = (await room.phones["P00"].get(f"/w/{room.code}/board")).text
    assert not [pid for pid in ids.values() if pid in board]


# -- the protocol ------------------------------------------------------------------------------


async def test_the_protocol_carries_the_circles_in_every_format_and_back(client, service, room):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    await trainer(client, room.code, "pairs-start")
    await at_round(service, room, 7)  # all over
    record = await service.export(room.workshop)
    jsonschema.Draft202012Validator(SCHEMA).validate(record)
    step = next(s for s in record["steps"] if s["kind"] == "pairs")
    assert [len(c["people"]) for c in step["config"]["circles"]] == [8, 8, 7]
    assert [c["tables"] for c in step["config"]["circles"]] == [
        [1, 2, 3, 4],
        [5, 6, 7, 8],
        [9, 10, 11],
    ]
    pseudonyms = {p["id"] for p in record["participants"]}
    assert {p for c in step["config"]["circles"] for p in c["people"]} <= pseudonyms

    imported = await service.import_protocol(copy.deepcopy(record))
    again = await service.export(imported)
    assert comparable(again) == comparable(record)

    lines = ["Kreis 1: 8 Personen, Tische 1–4", "Kreis 3: 7 Personen, Tische 9–11"]
    text = documents.render(record, "md", "de", service.templates).decode()
    assert all(f"- {line}" in text for line in lines)
    page = documents.render(record, "html", "de", service.templates).decode()
    assert all(f"<li>{line}</li>" in page for line in lines)
    raw = documents.render(record, "csv", "de", service.templates).decode()
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
    circle_rows = [r for r in rows if r["Eintrag"] == "SpeedMeet-Kreis"]
    assert [r["Text"] for r in circle_rows][::2] == lines
    english = documents.render(record, "md", "en", service.templates).decode()
    assert "- Circle 2: 8 people, tables 5–8" in english


async def test_the_protocol_with_names_lists_each_circle_s_rounds_at_its_tables(
    client, service, room
):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    await trainer(client, room.code, "pairs-start")
    await at_round(service, room, 7)
    record = await service.export(room.workshop, names=True)
    page = documents.render(record, "html", "de", service.templates).decode()
    assert all(f"<h4>Kreis {n}</h4>" in page for n in (1, 2, 3))
    assert re.search(r"Tisch 9: P\d\d – P\d\d", page) and "Tisch 12" not in page


async def test_an_imported_circle_sitting_someone_twice_is_refused(client, service, room):
    await trainer(client, room.code, "pairs-circle-size", circle_size="8")
    await trainer(client, room.code, "pairs-start")
    record = await service.export(room.workshop)
    circles = next(s for s in record["steps"] if s["kind"] == "pairs")["config"]["circles"]
    circles[1]["people"].append(circles[0]["people"][0])
    with pytest.raises(Refused) as twice:
        await service.import_protocol(copy.deepcopy(record))
    assert (
        "config.circles[1].people: someone is in no circle or in two"
        in twice.value.params["problem"]
    )
    circles[1]["people"].pop()
    circles[1]["tables"][0] = circles[0]["tables"][0]
    with pytest.raises(Refused) as shared:
        await service.import_protocol(copy.deepcopy(record))
    assert "config.circles[1].tables: a table number twice" in shared.value.params["problem"]
