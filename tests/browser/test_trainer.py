"""The trainer's console in real Chromium: a lost tablet, a new trainer link."""

from __future__ import annotations

from playwright.sync_api import Dialog, expect

from tests.browser.conftest import SCREENSHOTS, ServerProcess
from tests.browser.test_room import create_workshop, online

expect.set_options(timeout=15_000)


def test_a_new_trainer_link_locks_out_the_old_one(server: ServerProcess, new_context) -> None:
    laptop = new_context().new_page()
    code = create_workshop(laptop, server)
    online(laptop)
    laptop.get_by_text("Trainer-Link anzeigen").click()
    old_link = laptop.locator(".console__secret").input_value()
    SCREENSHOTS.mkdir(exist_ok=True)
    laptop.screenshot(path=SCREENSHOTS / "console-links.png")
    assert "?token=" in old_link

    # The trainer also opened the console on a tablet with the link (then lost it).
    tablet = new_context().new_page()
    tablet.goto(old_link)
    expect(tablet).to_have_url(f"{server.url}/w/{code}/trainer")  # the token left the address
    online(tablet)

    asked: list[str] = []

    def confirm(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    laptop.once("dialog", confirm)
    laptop.get_by_role("button", name="Neuen Trainer-Link erzeugen").click()

    # The laptop reloads with the new link and stays the console.
    laptop.get_by_text("Trainer-Link anzeigen").click()
    expect(laptop.locator(".console__secret")).not_to_have_value(old_link)
    new_link = laptop.locator(".console__secret").input_value()
    assert "?token=" in new_link
    assert asked and "alte Links funktionieren dann nicht mehr" in asked[0]
    online(laptop)
    # The tablet's console is told, and its connection is closed for good.
    expect(tablet.locator("#flash")).to_contain_text("Es gibt einen neuen Trainer-Link")
    expect(tablet.locator("html")).to_have_attribute("data-connection", "closed")

    # The old link opens nothing any more; the new one opens the console anywhere.
    stranger = new_context().new_page()
    refused = stranger.goto(old_link)
    assert refused is not None and refused.status == 403
    expect(stranger.get_by_role("alert")).to_contain_text("Trainer")
    other = new_context().new_page()
    opened = other.goto(new_link)
    assert opened is not None and opened.status == 200
    expect(other).to_have_url(f"{server.url}/w/{code}/trainer")
    online(other)
