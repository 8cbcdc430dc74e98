"""Zielscheibe: a closing feedback round on "Inhalte, Methoden, Atmosphäre, Nutzen für mich".

Phones put one dot per sector, move it, send nonsense and get a clear answer; the
trainer keeps the target hidden until everyone has dotted; the board, the phones and
the protocol show what they may, in every format.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import math
import re
from pathlib import Path

import httpx
import jsonschema
import pytest
from pypdf import PdfReader
from websockets.exceptions import ConnectionClosed

from board import documents, kinds
from board.cli import main
from board.errors import Refused
from board.exercise_fields import Invalid
from board.forms import Form
from board.i18n import translate
from board.kinds import target
from board.kinds.target import (
    MAX_CRITERIA,
    MAX_CRITERION_LENGTH,
    MIN_CRITERIA,
    RINGS,
    CriterionResult,
    check_criteria,
    dot_places,
    drawing,
    place_dot,
    target_result,
)
from board.service import Service
from board.steps import new_step
from board.votes import Vote
from tests.conftest import LiveServer, create_workshop, other_device
from tests.test_sockets import Device

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "schema/moderation-board-1.schema.json").read_text()
)
FEEDBACK = [
    {"de": "Inhalte", "en": "Content"},
    {"de": "Methoden", "en": "Methods"},
    {"de": "Atmosphäre", "en": "Atmosphere"},
    {"de": "Nutzen für mich", "en": "Use to me"},
]
DOT = 'class="target__dot"'  # someone's dot on a board (a phone's own is target__dot--mine)
FIGURES = "target__stats"  # a sector's n and median


def feedback_step(**config: object):  # type: ignore[no-untyped-def]
    return new_step("s1", "ws", 0, "target", {"criteria": FEEDBACK, **config})


def refusal(call) -> Refused:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as refused:
        call()
    return refused.value


# -- the rules ---------------------------------------------------------------------------
def test_one_dot_per_criterion_and_placing_it_again_moves_it() -> None:
    step = feedback_step()
    [first] = place_dot(step, [], "p1", 2, 0, "v1", 1.0)
    assert (first.key, first.value, first.participant_id) == ("2", 0, "p1")
    [other] = place_dot(step, [first], "p1", 3, 4, "v2", 2.0)
    assert (other.id, other.key, other.value) == ("v2", "3", 4)
    [moved] = place_dot(step, [first, other], "p1", 2, 1, "v3", 3.0)
    assert (moved.id, moved.key, moved.value) == ("v1", "2", 1)  # the same dot, moved
    assert place_dot(step, [moved, other], "p1", 2, 1, "v4", 4.0) == []  # nothing to store


@pytest.mark.parametrize(
    ("criterion", "distance", "key"),
    [
        (4, 0, "target_criterion_unknown"),
        (-1, 0, "target_criterion_unknown"),
        (0, RINGS, "target_distance_outside"),
        (0, -1, "target_distance_outside"),
    ],
)
def test_a_dot_beside_the_target_is_refused(criterion: int, distance: int, key: str) -> None:
    refused = refusal(lambda: place_dot(feedback_step(), [], "p1", criterion, distance, "v", 1))
    assert (refused.key, refused.status) == (key, 422)


def test_the_results_count_each_ring_and_give_the_median_ring() -> None:
    points = [(0, 0), (0, 0), (0, 2), (1, 4), (1, 3), (3, 1)]
    results = target_result(4, points)
    assert [r.counts for r in results] == [
        (2, 0, 1, 0, 0),
        (0, 0, 0, 1, 1),
        (0, 0, 0, 0, 0),
        (0, 1, 0, 0, 0),
    ]
    assert [r.n for r in results] == [3, 2, 0, 1]
    # Rings counted from 1 (the centre): 1, 1, 3 → 1; 4, 5 → 4.5; none → no median.
    assert [r.median for r in results] == [1.0, 4.5, None, 2.0]


def test_a_dot_beyond_the_step_s_criteria_or_rings_counts_for_nothing() -> None:
    results = target_result(2, [(2, 0), (0, RINGS), (-1, 1), (1, 1)])
    assert [r.counts for r in results] == [(0,) * RINGS, (0, 1, 0, 0, 0)]


def test_a_group_s_points_give_that_group_s_result() -> None:
    """A pure function of (criterion, distance) points: a split by group passes each
    group's points, and the parts add up to the whole."""
    leaders, staff = [(0, 0), (1, 3)], [(0, 4), (0, 4), (1, 3)]
    whole = target_result(2, leaders + staff)
    parts = [target_result(2, leaders), target_result(2, staff)]
    for i in range(2):
        summed = tuple(map(sum, zip(*(part[i].counts for part in parts), strict=True)))
        assert summed == whole[i].counts


def test_the_kind_reads_its_points_from_the_votes() -> None:
    votes = [
        Vote("a", "s1", "p1", "0", 3, None, None, None, 1.0),
        Vote("b", "s1", "p2", "0", 1, None, None, None, 1.0),
        Vote("c", "s1", "p2", "gone", 1, None, None, None, 1.0),  # not a criterion: skipped
    ]
    assert list(target.points(votes)) == [(0, 3), (0, 1)]


# -- the settings ------------------------------------------------------------------------
@pytest.mark.parametrize("count", [MIN_CRITERIA, MAX_CRITERIA])
def test_two_to_eight_criteria_are_taken(count: int) -> None:
    criteria = [{"de": f"K{i}", "en": f"C{i}"} for i in range(count)]
    assert check_criteria(criteria, "steps[0].criteria") == criteria


@pytest.mark.parametrize("count", [MIN_CRITERIA - 1, MAX_CRITERIA + 1])
def test_fewer_or_more_criteria_are_refused(count: int) -> None:
    criteria = [{"de": f"K{i}", "en": f"C{i}"} for i in range(count)]
    with pytest.raises(Invalid) as invalid:
        check_criteria(criteria, "steps[0].criteria")
    assert invalid.value.where == "steps[0].criteria"
    assert f"{MIN_CRITERIA} to {MAX_CRITERIA}" in invalid.value.problem


def test_a_criterion_too_long_to_stand_beside_its_sector_is_refused() -> None:
    long = FEEDBACK[:2] + [{"de": "x" * (MAX_CRITERION_LENGTH + 1), "en": "Long"}]
    with pytest.raises(Invalid) as invalid:
        check_criteria(long, "steps[0].criteria")
    assert invalid.value.where == "steps[0].criteria[2].de"
    assert str(MAX_CRITERION_LENGTH) in invalid.value.problem


GOOD_FILE = """
key = "abschluss"
title = { de = "Abschluss", en = "Closing" }

[[steps]]
kind = "target"
prompt = { de = "Wie war der Tag?", en = "How was the day?" }
hidden = true
criteria = [
  { de = "Inhalte", en = "Content" },
  { de = "Methoden", en = "Methods" },
  { de = "Atmosphäre", en = "Atmosphere" },
]
"""


def test_an_exercise_file_with_a_target_checks_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "abschluss.toml").write_text(GOOD_FILE, encoding="utf-8")
    assert main(["exercises", "check", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["ok  abschluss.toml: abschluss (target)"]


def test_an_exercise_file_with_one_criterion_names_file_field_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = re.sub(r"  \{ de = \"Methoden.*\n  \{ de = \"Atmo.*\n", "", GOOD_FILE)
    (tmp_path / "abschluss.toml").write_text(one, encoding="utf-8")
    assert main(["exercises", "check", str(tmp_path)]) == 1
    [line] = capsys.readouterr().err.splitlines()
    file, field, problem = line.split(": ", 2)
    assert (Path(file).name, field) == ("abschluss.toml", "steps[0].criteria")
    assert problem == f"expected a list of {MIN_CRITERIA} to {MAX_CRITERIA} texts"


# -- the drawing -------------------------------------------------------------------------
@pytest.mark.parametrize("sectors", range(MIN_CRITERIA, MAX_CRITERIA + 1))
def test_every_dot_lands_in_its_sector_and_ring(sectors: int) -> None:
    painted = drawing([f"K{i}" for i in range(sectors)])
    for sector in painted.sectors:
        for crowd in (1, 3, 12, 40):
            counts = [crowd if ring == sector.criterion % RINGS else 0 for ring in range(RINGS)]
            places = dot_places(sector, counts)
            assert len(places) == crowd
            ring = sector.criterion % RINGS
            for x, y in places:
                angle = math.atan2(x, -y) % (2 * math.pi)
                assert sector.start <= angle <= sector.end, (sector.criterion, x, y)
                assert ring / RINGS <= math.hypot(x, y) <= (ring + 1) / RINGS + 1e-9


def test_a_long_name_wraps_and_widens_the_drawing() -> None:
    short = drawing(["A", "B"], stats=False)
    long = drawing(["Atmosphäre in der Gruppe", "B"], stats=False)
    assert long.sectors[0].lines == ("Atmosphäre in", "der Gruppe")
    assert float(long.view_box.split()[2]) > float(short.view_box.split()[2])


# -- through the routes ------------------------------------------------------------------
async def step_id(phone: httpx.AsyncClient, code: str) -> str:
    found = re.search(r'data-step="([^"]+)"', (await phone.get(f"/w/{code}")).text)
    assert found is not None
    return found.group(1)


async def dot(phone: httpx.AsyncClient, code: str, step: str, **fields: object) -> httpx.Response:
    return await phone.post(f"/w/{code}/vote", data={"step_id": step, **fields})


async def test_a_phone_dots_every_sector_and_the_board_shows_every_dot(client) -> None:
    code = await create_workshop(client, "Abschluss", ["step:target"])
    async with other_device(client) as phone:
        assert (await phone.get(f"/join/{code}")).status_code == 303
        step = await step_id(phone, code)
        for criterion in range(4):
            sent = await dot(phone, code, step, criterion=criterion, distance=criterion)
            assert sent.status_code == 200, sent.text
        moved = await dot(phone, code, step, criterion=0, distance=4)
        assert moved.status_code == 200
        pressed = re.findall(
            r'data-criterion="(\d)" data-distance="(\d)" aria-pressed="true"', moved.text
        )
        assert pressed == [("0", "4"), ("1", "1"), ("2", "2"), ("3", "3")]
    board = (await client.get(f"/w/{code}/board")).text
    assert board.count(DOT) == 4
    assert re.findall(r'data-criterion="(\d)"/>', board).count("0") >= 1
    assert 'data-n="1"' in board and "Nutzen für mich" in board


@pytest.mark.parametrize(
    ("fields", "status", "lang", "message"),
    [
        ({"criterion": 7, "distance": 0}, 422, "de", "Dieses Feld gibt es auf der Zielscheibe"),
        ({"criterion": 7, "distance": 0}, 422, "en", "The target has no such field."),
        ({"criterion": 0, "distance": 5}, 422, "de", "Ring 1 (Mitte) bis 5 (Rand)"),
        ({"criterion": 0, "distance": 9}, 422, "en", "ring 1 (centre) to 5 (edge)"),
        ({"criterion": "zwei", "distance": 0}, 400, "de", translate("de", "bad_request")),
        ({"criterion": 0}, 400, "en", translate("en", "bad_request")),
    ],
)
async def test_a_dot_beside_the_target_gets_a_clear_answer_in_the_phone_s_language(
    client, fields: dict[str, object], status: int, lang: str, message: str
) -> None:
    code = await create_workshop(client, "Abschluss", ["step:target"])
    async with other_device(client) as phone:
        phone.headers["accept-language"] = lang
        assert (await phone.get(f"/join/{code}")).status_code == 303
        sent = await dot(phone, code, await step_id(phone, code), **fields)
    assert sent.status_code == status, sent.text
    assert message in sent.text
    assert DOT not in (await client.get(f"/w/{code}/board")).text


async def test_a_closed_target_takes_no_more_dots(client) -> None:
    code = await create_workshop(client, "Abschluss", ["step:target"])
    async with other_device(client) as phone:
        assert (await phone.get(f"/join/{code}")).status_code == 303
        step = await step_id(phone, code)
        assert (await client.post(f"/w/{code}/t/close")).status_code == 204
        sent = await dot(phone, code, step, criterion=0, distance=0)
        page = (await phone.get(f"/w/{code}")).text
    assert sent.status_code == 409
    assert translate("de", "voting_closed") in sent.text
    assert page.count('class="ring-choice" data-criterion') == 4 * RINGS
    assert page.count("disabled") >= 4 * RINGS  # the buttons say so before a tap


async def test_a_participant_cannot_reveal_and_nobody_dots_without_joining(client) -> None:
    code = await create_workshop(client, "Abschluss", ["step:target"])
    assert (await client.post(f"/w/{code}/t/hide")).status_code == 204
    async with other_device(client) as phone, other_device(client) as stranger:
        assert (await phone.get(f"/join/{code}")).status_code == 303
        step = await step_id(phone, code)
        assert (await dot(phone, code, step, criterion=1, distance=2)).status_code == 200
        revealed = await phone.post(f"/w/{code}/t/reveal")
        unjoined = await dot(stranger, code, step, criterion=1, distance=2)
    assert revealed.status_code == 403
    assert unjoined.status_code in (401, 403), unjoined.status_code
    board = (await client.get(f"/w/{code}/board")).text
    assert DOT not in board and "data-count>1<" in board


# -- hidden until the reveal: nothing of it on a board or another phone -------------------
async def test_a_hidden_target_reaches_no_board_or_phone_before_the_reveal(
    live_server: LiveServer,
) -> None:
    trainer, board = Device(live_server), Device(live_server, "en")
    phones = [Device(live_server, lang) for lang in ("de", "en", "de")]
    code = await create_workshop(trainer.http, "Abschluss", ["step:target"])
    assert (await trainer.http.post(f"/w/{code}/t/hide")).status_code == 204
    sockets = [await board.socket(code, "board")]
    for phone in phones:
        assert (await phone.http.get(f"/join/{code}")).status_code == 303
        sockets += [await phone.socket(code, "phone"), await phone.socket(code, "board")]
    frames: list[list[str]] = [[] for _ in sockets]

    async def record(i: int) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in sockets[i]:
                frames[i].append(str(frame))

    readers = [asyncio.create_task(record(i)) for i in range(len(sockets))]
    step = await step_id(phones[0].http, code)
    pages: list[str] = []
    for n, phone in enumerate(phones):
        for criterion in range(4):
            sent = await dot(phone.http, code, step, criterion=criterion, distance=n)
            assert sent.status_code == 200
            pages.append(sent.text.replace('class="target__dot target__dot--mine"', ""))
        pages.append((await phone.http.get(f"/w/{code}/wall")).text)
    pages.append((await board.http.get(f"/w/{code}/board")).text)

    async def seen_everywhere(needle: str) -> None:
        async with asyncio.timeout(5):
            while not all(any(needle in f for f in got) for got in frames[::2]):
                await asyncio.sleep(0.01)

    await seen_everywhere("data-count>3<")  # the room sees how many, not where
    before = [f for got in frames for f in got] + pages
    assert (await trainer.http.post(f"/w/{code}/t/reveal")).status_code == 204
    await seen_everywhere(DOT)
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*readers)
    for device in [trainer, board, *phones]:
        await device.close()
    leaks = [text for text in before if DOT in text or FIGURES in text or "target-table" in text]
    assert not leaks, leaks[0][:500]
    assert len(before) > 10


# -- the protocol ------------------------------------------------------------------------
@pytest.fixture
async def feedback(service: Service):  # type: ignore[no-untyped-def]
    """Three people dotted the target: Inhalte close to the centre, Nutzen far out."""
    workshop = await service.create_workshop("Abschluss bei Müller & Söhne", "", ["step:target"])
    people = [await service.join(workshop, "") for _ in range(3)]
    for person, rings in zip(people, ([0, 1, 2, 4], [0, 2, 2, 3], [1, 1, 2, 4]), strict=True):
        for criterion, ring in enumerate(rings):
            step = (await service.snapshot(workshop.id)).step
            form = {"step_id": step.id, "criterion": str(criterion), "distance": str(ring)}
            command = kinds.participant_command(step, "vote", Form(form), person.id)
            await service.execute(workshop, command)
    return workshop


async def test_the_json_record_holds_every_dot_and_comes_back_the_same(service, feedback):
    record = await service.export(feedback)
    jsonschema.Draft202012Validator(SCHEMA).validate(record)
    [step] = record["steps"]
    assert step["kind"] == "target"
    assert [c["de"] for c in step["config"]["criteria"]] == [c["de"] for c in FEEDBACK]
    assert sorted((v["key"], v["value"]) for v in step["votes"]) == sorted(
        (str(c), r)
        for rings in ([0, 1, 2, 4], [0, 2, 2, 3], [1, 1, 2, 4])
        for c, r in enumerate(rings)
    )
    imported = await service.import_protocol(record)
    again = await service.export(imported)
    for each in (record, again):
        each.pop("exported_at")
        each["workshop"].pop("code")
    assert again == record


async def test_an_imported_dot_beside_the_target_is_refused_naming_the_field(service, feedback):
    record = await service.export(feedback)
    record["steps"][0]["votes"][0]["value"] = RINGS
    with pytest.raises(Refused) as beside:
        await service.import_protocol(record)
    problem = f"steps[0].votes[0].value: {RINGS} is outside 0–{RINGS - 1}"
    assert beside.value.params["problem"] == problem
    record = await service.export(feedback)
    record["steps"][0]["votes"][0]["key"] = "4"
    with pytest.raises(Refused) as unknown:
        await service.import_protocol(record)
    assert unknown.value.params["problem"] == "steps[0].votes[0].key: 4 is outside 0–3"


@pytest.mark.parametrize(
    ("lang", "header", "row", "note"),
    [
        (
            "de",
            "| Kriterium | 1 (Mitte) | 2 | 3 | 4 | 5 (Rand) | n | Median |",
            "| Methoden | 0 | 2 | 1 | 0 | 0 | 3 | 2 |",
            "Ring 1 = Mitte",
        ),
        (
            "en",
            "| Criterion | 1 (centre) | 2 | 3 | 4 | 5 (edge) | n | Median |",
            "| Use to me | 0 | 0 | 0 | 1 | 2 | 3 | 5 |",
            "Ring 1 = centre",
        ),
    ],
)
async def test_the_markdown_gives_each_criterion_s_distribution_and_median(
    service, feedback, lang: str, header: str, row: str, note: str
) -> None:
    record = await service.export(feedback)
    text = documents.render(record, "md", lang, service.templates).decode()
    assert header in text.splitlines()
    assert row in text.splitlines()
    assert note in text


async def test_the_csv_has_a_row_per_dot_with_its_criterion_and_ring(service, feedback) -> None:
    record = await service.export(feedback)
    text = documents.render(record, "csv", "de", service.templates).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    dots = [(r["Text"], r["Wert"]) for r in rows if r["Art"] == "Zielscheibe"]
    assert len(dots) == 12
    assert dots.count(("Nutzen für mich", "5")) == 2  # ring 5: the edge
    assert dots.count(("Inhalte", "1")) == 2


async def test_the_html_and_pdf_show_the_target_and_its_figures(service, feedback) -> None:
    record = await service.export(feedback)
    page = documents.render(record, "html", "en", service.templates).decode()
    assert page.count(DOT) == 12
    assert "Use to me" in page and "Median" in page
    table = re.search(r'<table class="doc-table target-table">.*?</table>', page, re.S)
    assert table is not None
    cells = re.findall(r"<td>([^<]*)</td>", table.group(0))
    assert cells[:8] == ["Content", "2", "1", "0", "0", "0", "3", "1"]
    pdf = documents.render(record, "pdf", "de", service.templates)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Nutzen für mich" in text and "Median" in text and "Kriterium" in text


def test_a_sector_s_figures_read_as_n_and_median() -> None:
    t = lambda key, **params: translate("de", key, **params)  # noqa: E731
    assert target.stats_line(CriterionResult(0, (1, 2, 0, 0, 0)), "de", t) == "n = 3 · Median 2"
    assert target.stats_line(CriterionResult(0, (1, 1, 0, 0, 0)), "de", t) == "n = 2 · Median 1,5"
    assert target.stats_line(CriterionResult(0, (0,) * RINGS), "de", t) == "n = 0"


# -- the trainer's criteria ------------------------------------------------------------
def test_the_trainer_rewrites_the_criteria_and_unchanged_ones_keep_their_english() -> None:
    step = feedback_step()
    lines = ["Inhalte", "  Tempo  ", "", "Nutzen für mich"]
    edited = target.edit_criteria(step, lines, "de", dotted=False)
    assert edited.config["criteria"] == [
        {"de": "Inhalte", "en": "Content"},
        {"de": "Tempo", "en": "Tempo"},  # typed in one language: the same in both
        {"de": "Nutzen für mich", "en": "Use to me"},
    ]


@pytest.mark.parametrize(
    ("lines", "dotted", "key", "status"),
    [
        (["Inhalte", "Methoden"], True, "target_criteria_locked", 409),
        (["Inhalte"], False, "target_criteria_count", 422),
        ([f"K{i}" for i in range(MAX_CRITERIA + 1)], False, "target_criteria_count", 422),
        (["Inhalte", "x" * (MAX_CRITERION_LENGTH + 1)], False, "target_criterion_too_long", 422),
    ],
)
def test_criteria_the_target_cannot_take_are_refused(
    lines: list[str], dotted: bool, key: str, status: int
) -> None:
    refused = refusal(lambda: target.edit_criteria(feedback_step(), lines, "de", dotted))
    assert (refused.key, refused.status) == (key, status)


async def test_the_console_edits_the_criteria_until_the_first_dot(client) -> None:
    code = await create_workshop(client, "Abschluss", ["step:target"])
    console = (await client.get(f"/w/{code}/trainer")).text
    assert 'name="criteria"' in console and "Nutzen für mich\n" in console
    form = {"criteria": "Inhalte\nMethoden\nTempo", "lang": "de"}
    assert (await client.post(f"/w/{code}/t/target-criteria", data=form)).status_code == 204
    async with other_device(client) as phone:
        assert (await phone.get(f"/join/{code}")).status_code == 303
        page = (await phone.get(f"/w/{code}")).text
        assert "3. Tempo" in page and "Nutzen für mich" not in page
        step = await step_id(phone, code)
        assert (await dot(phone, code, step, criterion=2, distance=1)).status_code == 200
        by_phone = await phone.post(f"/w/{code}/t/target-criteria", data=form)
    again = await client.post(f"/w/{code}/t/target-criteria", data=form | {"criteria": "A\nB"})
    assert by_phone.status_code == 403
    assert again.status_code == 409
    assert translate("de", "target_criteria_locked") in again.text
    console = (await client.get(f"/w/{code}/trainer")).text
    assert 'name="criteria"' not in console and translate("de", "target_criteria_locked") in console


def test_split_dots_sit_where_the_total_would_and_only_their_colour_says_the_group() -> None:
    sector = target.drawing(["Inhalte", "Methoden", "Atmosphäre"]).sectors[0]
    leaders, team, rest = (2, 1, 0, 0, 0), (0, 1, 0, 0, 3), (1, 0, 0, 0, 0)
    parts = [("g0", leaders), ("g1", team), ("rest", rest)]
    coloured = target.coloured_places(sector, parts)
    assert [(x, y) for x, y, _ in coloured] == target.dot_places(sector, (3, 2, 0, 0, 3))
    assert [name for _, _, name in coloured] == ["g0", "g0", "rest", "g0", "g1", "g1", "g1", "g1"]


def test_a_split_target_makes_room_for_a_figures_line_per_group() -> None:
    names = ["Inhalte", "Methoden", "Atmosphäre", "Nutzen"]
    plain = target.drawing(names)
    split = target.drawing(names, groups=["Führung", "Mitarbeitende im Außendienst"])
    height = lambda d: float(d.view_box.split()[3])  # noqa: E731
    width = lambda d: float(d.view_box.split()[2])  # noqa: E731
    assert height(split) > height(plain) and width(split) > width(plain)
