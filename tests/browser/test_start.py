"""The start page plans the agenda: exercises and single steps, in the trainer's order, with
the planned duration; by mouse, by keyboard and without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, SCREENSHOTS, ServerProcess
from tests.browser.test_room import online

DESKTOP = {"width": 1280, "height": 720}


def tick(page: Page, key: str, planned: int, minutes: int) -> None:
    page.check(f'input[name=exercise][value="{key}"]')
    expect(page.locator("#plan .plan__item")).to_have_count(planned)
    expect(page.locator("#plan .plan__total")).to_have_text(
        f"Geplante Dauer: etwa {minutes} Minuten"
    )


def planned(page: Page) -> list[str]:
    return page.locator("#plan .plan__item").evaluate_all("els => els.map(e => e.dataset.key)")


def test_the_trainer_plans_two_exercises_and_a_scale_then_reorders_by_keyboard(
    server: ServerProcess, new_context
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = new_context(DESKTOP).new_page()
    page.goto(f"{server.url}/")
    page.fill("#title", "Klausurtag Vertrieb")
    tick(page, "ok-corral", 1, 35)  # a grid 15 and cards 20: 35 minutes
    tick(page, "kundenbegeisterung", 2, 35 + 30)  # cards 20 and dots 10
    tick(page, "step:scale", 3, 35 + 30 + 5)
    assert planned(page) == ["ok-corral", "kundenbegeisterung", "step:scale"]
    assert page.input_value("#title") == "Klausurtag Vertrieb"  # the swap kept the form

    # The scale goes first, by keyboard: focus its ↑, Enter, and the focus follows it.
    page.focus("#up-2")
    page.keyboard.press("Enter")
    expect(page.locator("#plan .plan__item").first).to_have_attribute("data-key", "ok-corral")
    expect(page.locator("#plan .plan__item").nth(1)).to_have_attribute("data-key", "step:scale")
    expect(page.locator("#up-1")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#plan .plan__item").first).to_have_attribute("data-key", "step:scale")
    assert planned(page) == ["step:scale", "ok-corral", "kundenbegeisterung"]
    expect(page.locator("#plan .plan__total")).to_have_text("Geplante Dauer: etwa 70 Minuten")
    page.screenshot(path=SCREENSHOTS / "start-plan-1280.png", full_page=True)
    plan_box = page.locator("#plan").bounding_box()
    assert plan_box and plan_box["x"] > DESKTOP["width"] / 2  # beside the library, not below

    page.get_by_role("button", name="Workshop anlegen").click()
    expect(page).to_have_url(re.compile(r"/w/[A-Z0-9]{6}/trainer$"))
    online(page)
    kinds = page.locator("#agenda .agenda__kind").all_text_contents()
    assert kinds == [
        "Ein-Punkt-Abfrage",
        "Koordinatenabfrage",  # the OK-Corral …
        "Kartenabfrage",  # … and "Was bringt mich nach oben rechts?"
        "Kartenabfrage",
        "Mehr-Punkt-Abfrage",
    ]


def test_the_plan_on_a_phone_and_without_javascript(server: ServerProcess, new_context) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = new_context(PHONE, java_script_enabled=False).new_page()
    page.goto(f"{server.url}/")
    page.fill("#title", "Ohne Skript")
    page.check('input[name=exercise][value="step:mood"]')
    page.check('input[name=exercise][value="massnahmenplan"]')
    page.get_by_role("button", name="Agenda aktualisieren").click()
    assert planned(page) == ["massnahmenplan", "step:mood"]  # the page's order first
    page.get_by_role("button", name="Nach oben: Stimmungsbarometer").click()
    assert planned(page) == ["step:mood", "massnahmenplan"]
    expect(page.locator("#plan .plan__total")).to_have_text("Geplante Dauer: etwa 20 Minuten")
    assert page.input_value("#title") == "Ohne Skript"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#plan").scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "start-plan-390.png", full_page=True)
    page.get_by_role("button", name="Workshop anlegen").click()
    expect(page).to_have_url(re.compile(r"/w/[A-Z0-9]{6}/trainer$"))
    kinds = page.locator("#agenda .agenda__kind").all_text_contents()
    assert kinds == ["Stimmungsbarometer", "Maßnahmenplan"]
