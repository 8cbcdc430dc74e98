"""The exercise kinds: one registry the routes, screens and protocol ask, and a kind from
outside the package (tests/extra_kind) that joins it and runs through the whole room."""

from __future__ import annotations

import colorsys
import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from board import kinds
from board.errors import Refused
from board.forms import Form
from board.i18n import MESSAGES
from board.kinds.scale import bar_colours
from board.settings import ROOT, Settings
from board.steps import new_step
from tests import extra_kind
from tests.conftest import LiveServer, create_workshop, join, other_device
from tests.test_sockets import Device, frame_with


@pytest.fixture
def thumbs() -> Iterator[kinds.Kind]:
    """The extra kind, registered for one test (before the service and app are made,
    as a plug-in would be), and gone after it."""
    kinds.register(extra_kind.KIND)
    yield extra_kind.KIND
    kinds.unregister(extra_kind.KIND.name)


@pytest.fixture
def settings(tmp_path: Path, thumbs: kinds.Kind) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
        tick_ms=5,
        exercises_dir=extra_kind.EXERCISES,
    )


def refusal(command: object) -> Refused:
    assert callable(command)
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


async def step_id(phone: httpx.AsyncClient, code: str) -> str:
    found = re.search(r'data-step="([^"]+)"', (await phone.get(f"/w/{code}")).text)
    assert found is not None
    return found.group(1)


# -- which step, which kind -------------------------------------------------------------


def test_input_for_a_step_no_longer_on_the_board_is_refused() -> None:
    # The phone still shows the scale, the trainer has moved on to the next step.
    scale = new_step("now", "ws", 1, "scale", {"labels": []})
    error = refusal(lambda: kinds.require_active(scale, "previous-step"))
    assert (error.key, error.status) == ("step_not_active", 409)


def test_an_inactive_step_is_named_before_its_state_or_the_input() -> None:
    closed_grid = new_step("now", "ws", 1, "grid", {})
    form = Form({"step_id": "other", "situation": "x"})
    error = refusal(lambda: kinds.participant_command(closed_grid, "vote", form, "p1"))
    assert error.key == "step_not_active"


def test_a_malformed_number_is_refused_while_reading_before_any_write() -> None:
    # participant_command reads the form only: no snapshot, no transaction.
    grid = new_step("now", "ws", 1, "grid", {})
    form = Form({"step_id": "now", "situation": "0", "x": "links", "y": "0"})
    error = refusal(lambda: kinds.participant_command(grid, "vote", form, "p1"))
    assert (error.key, error.status) == ("bad_request", 400)
    form = Form({"step_id": "now", "situation": "0", "x": "nan", "y": "0"})
    error = refusal(lambda: kinds.participant_command(grid, "vote", form, "p1"))
    assert (error.key, error.status) == ("point_outside", 422)


async def test_a_scale_dot_sent_to_a_grid_is_refused_as_malformed(client, service) -> None:
    # The grid reads a situation and a point; a scale's value alone is not one.
    code = await create_workshop(client, exercises=["ok-corral"])
    async with other_device(client) as phone:
        await join(phone, code)
        grid = await step_id(phone, code)
        sent = await phone.post(f"/w/{code}/vote", data={"step_id": grid, "value": "2"})
    assert sent.status_code == 400
    workshop = await service.workshop(code)
    assert (await service.snapshot(workshop.id)).votes == ()


@pytest.mark.parametrize(
    ("exercise", "route", "key"),
    [
        ("auftragsklaerung", "pairs/join", "wrong_kind"),  # a SpeedMeet's join on a cards step
        ("kunde-koenig", "actions", "wrong_kind"),  # a proposal on a scale
        ("auftragsklaerung", "vote", "wrong_kind"),  # a vote on a cards step
        ("kunde-koenig", "cards", "step_not_cards"),  # a card on a scale
    ],
)
async def test_input_for_another_kind_is_refused(client, service, exercise, route, key) -> None:
    code = await create_workshop(client, exercises=[exercise])
    async with other_device(client) as phone:
        await join(phone, code)
        step = await step_id(phone, code)
        form = {"step_id": step, "nickname": "Anna", "what": "Plan", "value": "1", "text": "Hi"}
        sent = await phone.post(f"/w/{code}/{route}", data=form)
    assert sent.status_code == 409
    assert html.escape(MESSAGES[key]["de"]) in sent.text  # a message for #flash
    workshop = await service.workshop(code)
    snap = await service.snapshot(workshop.id)
    assert (snap.wall.cards, snap.votes, snap.actions, snap.people) == ((), (), (), ())


@pytest.mark.parametrize(
    ("exercise", "action"),
    [
        ("auftragsklaerung", "pairs-start"),
        ("auftragsklaerung", "action-add"),
        ("kunde-koenig", "dots-budget"),
    ],
)
async def test_a_kinds_own_trainer_action_is_refused_on_another_kind(client, exercise, action):
    code = await create_workshop(client, exercises=[exercise])
    form = {"budget": "3", "what": "Plan", "who": "", "due": ""}
    response = await client.post(f"/w/{code}/t/{action}", data=form)
    assert response.status_code == 409
    assert (await client.post(f"/w/{code}/t/no-such-action")).status_code == 404


# -- the kinds have one home --------------------------------------------------------------

# A step's kind compared with a name: in Python (``step.kind == "dots"``, ``.kind in (…)``)
# and in templates (``kind == 'cards'``).
KIND_BY_NAME_PY = re.compile(r"\.kind\s*(==|!=|in\s*[(\[{]|not in)")
KIND_BY_NAME_HTML = re.compile(r"kind\s*(==|!=|in\s*[(\[])")


def test_no_code_outside_the_kinds_names_a_kind() -> None:
    found = []
    for path in sorted((ROOT / "board").rglob("*.py")):
        if "kinds" in path.relative_to(ROOT / "board").parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if KIND_BY_NAME_PY.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "kinds" in path.relative_to(ROOT / "templates").parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if KIND_BY_NAME_HTML.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_scan_for_kind_names_finds_one() -> None:
    assert KIND_BY_NAME_PY.search('    if step.kind == "dots":')
    assert KIND_BY_NAME_PY.search("    if snap.step.kind in ('scale', 'grid'):")
    assert KIND_BY_NAME_HTML.search("{% if step.kind == 'cards' %}")
    assert KIND_BY_NAME_HTML.search('{% elif step.kind in ("cards", "scale") %}')
    assert not KIND_BY_NAME_PY.search('    kind = data.get("kind")')


def test_every_built_in_kind_has_its_templates() -> None:
    for name in ("cards", "scale", "grid", "dots", "mood", "pairs", "actions"):
        folder = ROOT / "templates" / "kinds" / name
        for part in ("phone", "board", "console", "protocol"):
            assert (folder / f"{part}.html").is_file(), (name, part)


# -- a kind from outside: 👍 or 👎 -----------------------------------------------------------


async def test_a_kind_from_outside_runs_through_the_whole_room(
    live_server: LiveServer, thumbs: kinds.Kind
) -> None:
    trainer, anna, ben, viewer = (Device(live_server) for _ in range(4))
    code = await create_workshop(trainer.http, "Daumen", exercises=["daumen"])
    await join(anna.http, code)
    await join(ben.http, code)
    board = await viewer.socket(code, "board")
    console = await trainer.socket(code, "trainer")
    await frame_with(board, 'id="board-wall"')
    await frame_with(console, 'id="console-wall"')
    phone_socket = await ben.socket(code, "phone")
    await frame_with(phone_socket, 'id="mine"')

    # The phone shows the kind's buttons; a tap answers with the phone's own section.
    page = (await anna.http.get(f"/w/{code}")).text
    assert 'data-kind="thumbs"' in page and 'data-thumb="up"' in page
    step = await step_id(anna.http, code)
    tapped = await anna.http.post(f"/w/{code}/thumb", data={"step_id": step, "thumb": "up"})
    assert tapped.status_code == 200, tapped.text
    assert 'choice--chosen" data-thumb="up"' in tapped.text
    bad = await anna.http.post(f"/w/{code}/thumb", data={"step_id": step, "thumb": "sideways"})
    assert bad.status_code == 400

    # Board and console show it over their sockets.
    assert "👍 1" in await frame_with(board, "data-thumbs-up")
    assert "👍 1" in await frame_with(console, "data-thumbs-up")

    # Hidden: the board counts, the console still sees; the reveal shows everybody.
    assert (await trainer.http.post(f"/w/{code}/t/hide")).status_code == 204
    await frame_with(board, "hidden-counter")
    down = await ben.http.post(f"/w/{code}/thumb", data={"step_id": step, "thumb": "down"})
    assert down.status_code == 200
    hidden = await frame_with(board, "data-count>2<")
    assert "👎" not in hidden
    assert "👎 1" in await frame_with(console, "👎 1")
    assert (await trainer.http.post(f"/w/{code}/t/reveal")).status_code == 204
    assert "👎 1" in await frame_with(board, "data-thumbs-down")

    # Every export format has its rows.
    exports = {}
    for fmt in ("json", "html", "md", "csv", "pdf"):
        response = await trainer.http.get(f"/w/{code}/protocol.{fmt}")
        assert response.status_code == 200, (fmt, response.text)
        exports[fmt] = response
    record = exports["json"].json()
    assert [s["kind"] for s in record["steps"]] == ["thumbs"]
    assert sorted(v["value"] for v in record["steps"][0]["votes"]) == [0, 1]
    assert "👍 Daumen hoch: 1 · 👎 Daumen runter: 1" in exports["html"].text
    assert "Daumenprobe" in exports["html"].text  # the kind's own label, not "kind_thumbs"
    assert "kind_thumbs" not in exports["html"].text + exports["md"].text
    assert "Daumenprobe" in exports["md"].text
    assert "Daumen hoch: 1 · 👎 Daumen runter: 1" in exports["md"].text
    rows = list(csv.DictReader(io.StringIO(exports["csv"].text.lstrip("\ufeff")), delimiter=";"))
    thumbs = [("Daumenprobe", "👍"), ("Daumenprobe", "👎")]
    assert sorted((r["Art"], r["Text"]) for r in rows) == thumbs
    pages = PdfReader(io.BytesIO(exports["pdf"].content)).pages
    # Text in the fallback font comes out with NULs between the letters.
    pdf = " ".join(" ".join(page.extract_text() for page in pages).replace("\x00", "").split())
    assert "Passt der Plan?" in pdf and "Daumen hoch: 1" in pdf and "Daumen runter: 1" in pdf

    # An exported workshop of this kind comes back in.
    body = json.dumps(record).encode()
    back = await trainer.http.post(
        "/workshops/import", files={"file": ("daumen.json", body, "application/json")}
    )
    assert back.status_code == 303, back.text
    for socket in (board, console, phone_socket):
        await socket.close()
    for device in (trainer, anna, ben, viewer):
        await device.close()


# -- the scale's bars carry no verdict ------------------------------------------------


def hue_and_lightness(colour: str) -> tuple[float, float]:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, _ = colorsys.rgb_to_hls(red, green, blue)
    return hue * 360, lightness


@pytest.mark.parametrize("n", [2, 5, 7, 10])
def test_a_scales_bars_are_one_blue_from_dark_to_light(n: int) -> None:
    # Not green for "trifft voll zu" and red for "trifft gar nicht zu": agreeing with
    # "Der Kunde ist König" is no better answer than disagreeing.
    colours = bar_colours(n)
    assert len(set(colours)) == n
    hues, lightness = zip(*map(hue_and_lightness, colours), strict=True)
    assert all(200 <= hue <= 225 for hue in hues)  # one blue, neither green nor red
    assert list(lightness) == sorted(lightness)  # an order, dark to light


async def test_the_board_draws_a_scale_in_the_neutral_palette(client, service) -> None:
    code = await create_workshop(client, exercises=["step:scale"])
    phone = other_device(client)
    await join(phone, code)
    snap = await service.snapshot((await service.workshop(code)).id)
    await phone.post(f"/w/{code}/vote", data={"step_id": snap.step.id, "value": "0"})
    board = (await phone.get(f"/w/{code}/board")).text
    fills = re.findall(r'<rect class="chart__bar" fill="(#[0-9a-f]{6})"', board)
    assert fills == bar_colours(5)
    assert "chart__bar--" not in board  # no colour classes beside the palette
