"""Results by participant group, in the browser: "Ist der Kunde König?" in a service team.

Phones join and pick their group ("bis 30", "über 30", "Azubis"), answer the scale; the
trainer switches the console to "Nach Gruppen"; the board shows both large groups side by
side with the total, and says that the two Azubis are only in the total. Screenshots of
the board at 1920×1080 and 1024×768 and of the phone's question at 390×844 land in
tests/screenshots/.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEADLINE, LAPTOP, PROJECTOR, SCREENSHOTS, phone_options
from tests.serverprocess import ServerProcess

expect.set_options(timeout=DEADLINE * 1000)

GROUPS = ["bis 30", "über 30", "Azubis"]
# The young mostly agree that the customer is king, the older mostly not (value 0: fully).
ANSWERS = {"bis 30": [0, 0, 1], "über 30": [3, 4, 4], "Azubis": [1, 2], "": [2]}
FITS = (
    "() => { const w = document.getElementById('board-wall');"
    " return w.scrollHeight <= w.clientHeight + 2; }"
)


@dataclass
class Room:
    server: ServerProcess
    code: str
    trainer: httpx.Client
    groups: dict[str, str]  # name -> id
    steps: dict[str, str]  # kind -> step id

    def act(self, action: str, **fields: str) -> None:
        answer = self.trainer.post(f"/w/{self.code}/t/{action}", data=fields)
        assert answer.status_code == 204, answer.text


@pytest.fixture
def room(server: ServerProcess) -> Iterator[Room]:
    trainer = httpx.Client(base_url=server.url, headers={"origin": server.url})
    form = {
        "title": "Ist der Kunde König?",
        "exercise": ["step:scale", "ok-corral"],
        "groups": "\n".join(GROUPS),
    }
    created = trainer.post("/workshops", data=form)
    assert created.status_code == 303, created.text
    code = re.search(r"/w/([A-Z0-9]{6})/", created.headers["location"]).group(1)  # type: ignore[union-attr]
    with sqlite3.connect(server.data_dir / "board.sqlite3") as db:
        steps = dict(db.execute("SELECT kind, id FROM steps ORDER BY position DESC").fetchall())
        (raw,) = db.execute("SELECT groups FROM workshops WHERE code = ?", (code,)).fetchone()
    groups = {g["name"]: g["id"] for g in json.loads(raw)}
    yield Room(server, code, trainer, groups, steps)
    trainer.close()


def phone_answers(room: Room, group: str, value: int) -> None:
    """A phone without a browser: joins, picks its group, answers."""
    with httpx.Client(base_url=room.server.url, headers={"origin": room.server.url}) as phone:
        assert phone.get(f"/join/{room.code}").status_code == 303
        chosen = phone.post(f"/w/{room.code}/group", data={"group_id": room.groups.get(group, "")})
        assert chosen.status_code == 200
        vote = {"step_id": room.steps["scale"], "value": str(value)}
        assert phone.post(f"/w/{room.code}/vote", data=vote).status_code == 200


def wait_fits(board: Page) -> None:
    board.wait_for_function(FITS)


def test_phones_pick_groups_and_the_board_shows_the_scale_by_group(room: Room, new_context) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    # Two phones in a browser: the question comes right after joining.
    phones = []
    for group in ("bis 30", "über 30"):
        page = new_context(**phone_options()).new_page()
        page.goto(f"{room.server.url}/join/{room.code}")
        ask = page.locator("#my-group.my-group--ask")
        expect(ask).to_be_visible()
        expect(ask.get_by_role("button", name="keine Angabe")).to_be_visible()
        if group == "bis 30":
            page.screenshot(path=str(SCREENSHOTS / "groups-phone-join-390x844.png"))
            # Every choice is a touch target.
            heights = ask.locator("button").evaluate_all("bs => bs.map(b => b.offsetHeight)")
            assert min(heights) >= 44, heights
        ask.get_by_role("button", name=group, exact=True).click()
        expect(page.locator("#my-group.my-group--ask")).to_have_count(0)
        expect(page.locator("#my-group summary")).to_contain_text(group)
        page.locator(
            ".choice", has_text="trifft voll zu" if group == "bis 30" else "trifft gar nicht zu"
        ).click()
        expect(page.locator("#mine .choice--chosen")).to_have_count(1)
        phones.append(page)
    # The rest of the room answers from phones without a browser.
    for group, values in ANSWERS.items():
        for value in values[1:] if group in ("bis 30", "über 30") else values:
            phone_answers(room, group, value)
    board = new_context(viewport=PROJECTOR).new_page()
    board.goto(f"{room.server.url}/w/{room.code}/board")
    expect(board.locator("html")).to_have_attribute("data-connection", "open")
    expect(board.locator("#board-wall [data-n]").first).to_have_text("9")
    expect(board.locator(".split-table")).to_have_count(0)
    # The trainer switches the view in the console; the board follows live.
    console_context = new_context(viewport=LAPTOP)
    console_context.add_cookies(
        [
            {"name": c.name, "value": c.value or "", "url": room.server.url}
            for c in room.trainer.cookies.jar
        ]
    )
    console = console_context.new_page()
    console.goto(f"{room.server.url}/w/{room.code}/trainer")
    expect(console.locator("html")).to_have_attribute("data-connection", "open")
    console.locator('[data-action="split-on"]').click()
    expect(console.locator('[data-action="split-on"]')).to_have_attribute("aria-pressed", "true")
    console.locator(".group-controls__people summary").click()
    console.screenshot(path=str(SCREENSHOTS / "groups-console-1280x800.png"), full_page=True)
    heads = board.locator(".split-table__head")
    expect(heads).to_have_count(3)
    expect(heads.nth(0)).to_contain_text("Gesamt")
    expect(heads.nth(1)).to_contain_text("bis 30")
    expect(heads.nth(2)).to_contain_text("über 30")
    assert [h.strip() for h in board.locator(".split-table__head [data-n]").all_inner_texts()] == [
        "9",
        "3",
        "3",
    ]
    expect(board.locator("[data-folded]")).to_contain_text("Gruppen unter 3 Personen")
    expect(board.locator(".split-table")).not_to_contain_text("Azubis")
    for width, height in ((1920, 1080), (1024, 768)):
        board.set_viewport_size({"width": width, "height": height})
        wait_fits(board)
        # Read from the back row: answers and column heads at least 1/45 of the screen.
        for selector in (".split-table__label", ".split-table__head"):
            size = board.locator(selector).first.evaluate(
                "e => parseFloat(getComputedStyle(e).fontSize)"
            )
            assert size >= height / 45, (selector, size, height)
        board.screenshot(path=str(SCREENSHOTS / f"groups-board-scale-{width}x{height}.png"))
    # The phones never saw the split nor anyone's group: only their own choice.
    for page in phones:
        expect(page.locator(".split-table")).to_have_count(0)
        expect(page.locator('[aria-pressed="true"][data-group]')).to_have_count(1)
    # And back to all together.
    console.locator('[data-action="split-off"]').click()
    expect(board.locator(".split-table")).to_have_count(0)


def test_the_ok_corral_by_group_colours_each_dot(room: Room, new_context) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    room.act("step-go", step_id=room.steps["grid"])
    points = {
        "bis 30": [(0.6, 0.5), (0.3, 0.8), (0.8, 0.2)],
        "über 30": [(-0.5, 0.4), (0.4, -0.6), (-0.3, -0.3)],
        "": [(0.1, 0.1), (0.5, 0.5), (-0.6, 0.6)],
    }
    for group, spots in points.items():
        for x, y in spots:
            with httpx.Client(
                base_url=room.server.url, headers={"origin": room.server.url}
            ) as phone:
                assert phone.get(f"/join/{room.code}").status_code == 303
                phone.post(f"/w/{room.code}/group", data={"group_id": room.groups.get(group, "")})
                for situation in range(3):
                    form = {
                        "step_id": room.steps["grid"],
                        "situation": str(situation),
                        "x": str(x),
                        "y": str(y),
                    }
                    assert phone.post(f"/w/{room.code}/vote", data=form).status_code == 200
    room.act("reveal")
    room.act("group-split", split="on")
    board = new_context(viewport=PROJECTOR).new_page()
    board.goto(f"{room.server.url}/w/{room.code}/board")
    # The total, both groups, and grey for the three who gave no group.
    expect(board.locator(".split-legend__item")).to_have_count(4)
    situations = board.locator(".grid-result").count()
    expect(board.locator("circle.split-dot--g0")).to_have_count(3 * situations)
    expect(board.locator("circle.split-dot--g1")).to_have_count(3 * situations)
    expect(board.locator("circle.split-dot--rest")).to_have_count(3 * situations)
    for width, height in ((1920, 1080), (1024, 768)):
        board.set_viewport_size({"width": width, "height": height})
        wait_fits(board)
        board.screenshot(path=str(SCREENSHOTS / f"groups-board-grid-{width}x{height}.png"))


def test_the_zielscheibe_by_group_colours_each_dot_and_gives_each_median(  # type: ignore[no-untyped-def]
    server: ServerProcess, new_context
) -> None:
    """A closing Zielscheibe: the leaders fairly content, the team less so, three without a
    group (grey; three, so total minus the groups shows no one alone). On the projector
    each group's dots in its colour, its median per criterion under the total's figures."""
    SCREENSHOTS.mkdir(exist_ok=True)
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as trainer:
        form = {"title": "Abschluss", "exercise": "step:target", "groups": "Führung\nTeam"}
        created = trainer.post("/workshops", data=form)
        code = re.search(r"/w/([A-Z0-9]{6})/", created.headers["location"]).group(1)  # type: ignore[union-attr]
        with sqlite3.connect(server.data_dir / "board.sqlite3") as db:
            (step_id,) = db.execute("SELECT id FROM steps WHERE kind = 'target'").fetchone()
            (raw,) = db.execute("SELECT groups FROM workshops WHERE code = ?", (code,)).fetchone()
        groups = {g["name"]: g["id"] for g in json.loads(raw)}
        rings = {"Führung": [0, 1, 1, 2], "Team": [2, 3, 4, 3], "": [1, 3, 2]}
        for group, theirs in rings.items():
            for i, ring in enumerate(theirs):
                with httpx.Client(base_url=server.url, headers={"origin": server.url}) as phone:
                    assert phone.get(f"/join/{code}").status_code == 303
                    phone.post(f"/w/{code}/group", data={"group_id": groups.get(group, "")})
                    for criterion in range(4):
                        distance = (ring + criterion * (i % 2)) % 5
                        dot = {
                            "step_id": step_id,
                            "criterion": str(criterion),
                            "distance": str(distance),
                        }
                        assert phone.post(f"/w/{code}/vote", data=dot).status_code == 200
        assert trainer.post(f"/w/{code}/t/group-split", data={"split": "on"}).status_code == 204
    board = new_context(viewport=PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    expect(board.locator(".split-legend__item")).to_have_count(4)
    expect(board.locator("circle.split-dot--g0")).to_have_count(4 * 4)
    expect(board.locator("circle.split-dot--g1")).to_have_count(4 * 4)
    expect(board.locator("circle.split-dot--rest")).to_have_count(3 * 4)
    expect(board.locator("tspan.target__group")).to_have_count(2 * 4)
    expect(board.locator("tspan.target__group").first).to_have_text("Führung: Median 2")
    for width, height in ((1920, 1080), (1024, 768)):
        board.set_viewport_size({"width": width, "height": height})
        wait_fits(board)
        # A group's median line readable from the back row: at least 1/60 of the screen.
        size = board.locator("tspan.target__group").first.evaluate(
            "e => e.getBoundingClientRect().height"
        )
        assert size >= height / 60, (size, height)
        board.screenshot(path=str(SCREENSHOTS / f"groups-board-target-{width}x{height}.png"))
