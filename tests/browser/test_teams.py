"""Kleingruppen in the browser: six phones, the trainer forms three groups in the console.

Each phone shows its group ("Ihre Gruppe: Gruppe 2", in the group's colour) without a
reload; then the trainer lets the room choose, and a phone picks a group with a tap.
Screenshots of a phone at 390×844 and of the console at 1366×768 land in
tests/screenshots/.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEADLINE, PROJECTOR, SCREENSHOTS, phone_options
from tests.serverprocess import ServerProcess

expect.set_options(timeout=DEADLINE * 1000)
CONSOLE = {"width": 1366, "height": 768}
NAMES = ["Anna", "Ben", "", "Dana", "", "Emil"]  # two join without a nickname


@dataclass
class Room:
    server: ServerProcess
    code: str
    trainer: httpx.Client


@pytest.fixture
def room(server: ServerProcess) -> Iterator[Room]:
    trainer = httpx.Client(base_url=server.url, headers={"origin": server.url})
    created = trainer.post("/workshops", data={"title": "Gruppenarbeit"})
    assert created.status_code == 303, created.text
    code = re.search(r"/w/([A-Z0-9]{6})/", created.headers["location"]).group(1)  # type: ignore[union-attr]
    yield Room(server, code, trainer)
    trainer.close()


def open_console(room: Room, new_context) -> Page:  # type: ignore[no-untyped-def]
    context = new_context(viewport=CONSOLE)
    context.add_cookies(
        [
            {"name": c.name, "value": c.value or "", "url": room.server.url}
            for c in room.trainer.cookies.jar
        ]
    )
    console = context.new_page()
    console.goto(f"{room.server.url}/w/{room.code}/trainer")
    expect(console.locator("html")).to_have_attribute("data-connection", "open")
    return console


def join(room: Room, new_context, nickname: str) -> Page:  # type: ignore[no-untyped-def]
    page = new_context(**phone_options()).new_page()
    page.goto(f"{room.server.url}/join/{room.code}")
    expect(page.locator("html")).to_have_attribute("data-connection", "open")
    if nickname:
        page.locator(".nickname summary").click()
        page.locator("#nickname").fill(nickname)
        page.locator(".nickname__form button").click()
        expect(page.locator(".nickname summary")).to_contain_text(nickname)
    return page


def test_the_trainer_forms_three_groups_and_a_phone_chooses_one(room: Room, new_context) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    phones = [join(room, new_context, name) for name in NAMES]
    console = open_console(room, new_context)
    expect(console.locator("#console-teams")).to_contain_text("Noch keine Kleingruppen")
    # Three groups at random, formed in the console's form.
    console.locator("#team-form summary").click()
    console.locator("#teams-by").select_option("count")
    console.locator("#teams-number").fill("3")
    console.get_by_label("zufällig").check()
    console.locator('[data-action="teams-form"]').click()
    expect(console.locator("#console-teams .teams > .team")).to_have_count(3)
    expect(console.locator("#console-teams .team__person")).to_have_count(6)
    for name in ("Anna", "Ben", "Dana", "Emil", "Person 3", "Person 5"):
        expect(console.locator("#console-teams")).to_contain_text(name)
    console.locator("#team-form summary").click()  # folded again: the groups in view
    console.locator("#console-teams").scroll_into_view_if_needed()
    console.screenshot(path=str(SCREENSHOTS / "teams-console-1366x768.png"))
    # Every phone shows its own group, live, two to a group.
    shown = []
    for page in phones:
        mine = page.locator("#mine .my-team")
        expect(mine).to_contain_text(re.compile(r"Ihre Gruppe: Gruppe [123]"))
        shown.append(mine.inner_text().split(":")[1].strip())
    assert Counter(shown) == {"Gruppe 1": 2, "Gruppe 2": 2, "Gruppe 3": 2}
    colour = (
        phones[0].locator("#mine .my-team").evaluate("el => getComputedStyle(el).borderLeftColor")
    )
    assert colour not in ("", "rgba(0, 0, 0, 0)"), colour  # the group's colour, not none
    phones[0].screenshot(path=str(SCREENSHOTS / "teams-phone-390x844.png"))
    # The room chooses: each phone offers the groups with their free places.
    console.locator("#team-form summary").click()
    console.get_by_label("Teilnehmende wählen selbst").check()
    console.locator("#teams-cap").fill("2")
    console.locator('[data-action="teams-form"]').click()
    expect(console.locator("#console-teams")).to_contain_text("Noch ohne Gruppe: 6 Personen")
    chooser = phones[1]
    offer = chooser.locator("#teams-choice")
    expect(offer.locator("button")).to_have_count(3)
    expect(offer).to_contain_text("noch 2 Plätze frei")
    expect(chooser.locator("#mine .my-team")).to_contain_text("keiner Gruppe")
    heights = offer.locator("button").evaluate_all("bs => bs.map(b => b.offsetHeight)")
    assert min(heights) >= 44, heights
    chooser.screenshot(path=str(SCREENSHOTS / "teams-phone-choose-390x844.png"))
    offer.locator("button", has_text="Gruppe 2").click()
    expect(chooser.locator("#mine .my-team")).to_contain_text("Ihre Gruppe: Gruppe 2")
    # The others see one place fewer in it; the console has the chooser in Gruppe 2.
    expect(phones[2].locator("#teams-choice button", has_text="Gruppe 2")).to_contain_text(
        "noch 1 Platz frei"
    )
    expect(console.locator("#console-teams")).to_contain_text("Noch ohne Gruppe: 5 Personen")
    expect(console.locator("#console-teams .teams > .team").nth(1)).to_contain_text("Ben")
    chooser.screenshot(path=str(SCREENSHOTS / "teams-phone-chosen-390x844.png"))
    # While the room chooses, the board lists the groups and how full each is (under the
    # wall; the join slide of the empty first step would cover it).
    assert room.trainer.post(f"/w/{room.code}/t/join-display", data={"display": "box"}).is_success
    board = new_context(viewport=PROJECTOR).new_page()
    board.goto(f"{room.server.url}/w/{room.code}/board")
    expect(board.locator("#board-teams .team")).to_have_count(3)
    expect(board.locator("#board-teams")).to_be_visible()
    expect(board.locator("#board-teams .team").nth(1)).to_contain_text("Gruppe 2 1/2")
    board.screenshot(path=str(SCREENSHOTS / "teams-board-1920x1080.png"))
