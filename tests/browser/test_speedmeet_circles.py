"""SpeedMeet in parallel circles in real Chromium: the trainer sets the circle size in the
console, reads the plan and its duration, starts; the board shows each circle's tables.

Screenshots of console and board at 1024×768 land in tests/screenshots/.
"""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, ServerProcess
from tests.browser.test_exercises import create
from tests.browser.test_room import online

SMALL = {"width": 1024, "height": 768}


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"speedmeet-circles-{name}-1024.png")


def test_the_trainer_sets_the_circle_size_and_sees_the_plan_before_the_start(
    server: ServerProcess, new_context
) -> None:
    trainer = new_context(SMALL).new_page()
    code = create(trainer, server, "speedmeet")
    board = new_context(SMALL).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as phone:
        for i in range(23):
            phone.cookies.clear()
            assert phone.get(f"/join/{code}").status_code == 303
            page = phone.get(f"/w/{code}").text
            step_id = re.search(r'name="step_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            joined = phone.post(
                f"/w/{code}/pairs/join", data={"step_id": step_id, "nickname": f"Person {i + 1}"}
            )
            assert joined.status_code == 200
    expect(board.locator(".pairs__people [data-n]")).to_have_text("23")

    size = trainer.locator("#circle-size")
    save = trainer.locator("form:has(#circle-size)").get_by_role("button", name="Speichern")
    size.fill("11")
    save.click()
    expect(trainer.locator("#flash")).to_contain_text(
        "Ein SpeedMeet-Kreis hat zwischen 4 und 10 Personen."
    )
    expect(size).to_have_value("11")  # what was typed stays to be corrected
    size.fill("8")
    save.click()
    plan = "3 Kreise (8, 8, 7 Personen) · 7 Runden · ca. 31 Minuten"
    expect(trainer.locator(".pairs__circles")).to_have_text(plan)
    expect(board.locator(".pairs__circles")).to_have_text(plan)
    shoot(trainer, "console")
    shoot(board, "board-before")

    trainer.locator("[data-action=pairs-start]").click()
    expect(board.locator(".circle")).to_have_count(3)
    expect(board.locator(".circle__name")).to_have_text(["Kreis 1", "Kreis 2", "Kreis 3"])
    expect(board.locator(".tables__no")).to_have_text([f"Tisch {n}" for n in range(1, 12)])
    expect(size).to_be_disabled()
    shoot(board, "board")
    shoot(trainer, "console-started")
