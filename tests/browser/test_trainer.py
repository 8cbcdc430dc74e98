"""The trainer's console in real Chromium: a lost tablet, a new trainer link."""

from __future__ import annotations

from playwright.sync_api import Dialog, expect

from tests.browser.conftest import PROJECTOR, SCREENSHOTS, ServerProcess, phone_options
from tests.browser.test_room import create_workshop, online, write_card

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


def test_undo_takes_a_move_back_on_the_board_by_button_and_by_ctrl_z(
    server: ServerProcess, new_context
) -> None:
    laptop = new_context().new_page()
    code = create_workshop(laptop, server)
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(laptop)
    online(board)
    undo = laptop.locator("[data-undo]")
    expect(undo).to_be_disabled()

    # Zurufabfrage: the trainer writes the card herself; then a cluster to sort it into.
    laptop.get_by_text("Karte schreiben (Zurufabfrage)").click()  # the form unfolds
    laptop.fill("#write-text", "Freundlich am Telefon")
    laptop.get_by_role("button", name="Anheften").click()
    expect(board.locator(".cluster--unsorted .card__text")).to_have_text("Freundlich am Telefon")
    laptop.fill("#new-heading", "Haltung")
    laptop.get_by_role("button", name="Anlegen").click()
    in_cluster = board.locator(".cluster:not(.cluster--unsorted) .card__text")
    unsorted = board.locator(".cluster--unsorted .card__text")

    haltung = laptop.locator(".cluster[data-target]", has_text="Haltung")

    def move_into_the_cluster() -> None:
        card = laptop.locator(".tray .card", has_text="Freundlich am Telefon")
        # The wall as of the cluster's creation is on screen (it came with this label).
        expect(undo).to_have_text("↶ Rückgängig: Cluster angelegt")
        card.click()  # the card, then the cluster it goes to
        haltung.locator(".cluster__heading").click()
        expect(in_cluster).to_have_text("Freundlich am Telefon")

    move_into_the_cluster()
    expect(undo).to_have_text("↶ Rückgängig: Karte verschoben")
    SCREENSHOTS.mkdir(exist_ok=True)
    laptop.screenshot(path=SCREENSHOTS / "console-undo.png")
    undo.click()
    expect(unsorted).to_have_text("Freundlich am Telefon")  # back, on the board too
    expect(in_cluster).to_have_count(0)
    expect(undo).to_have_text("↶ Rückgängig: Cluster angelegt")

    move_into_the_cluster()
    laptop.locator(".console__title").click()  # focus off any field
    laptop.keyboard.press("Control+z")
    expect(unsorted).to_have_text("Freundlich am Telefon")
    expect(undo).to_have_text("↶ Rückgängig: Cluster angelegt")

    # In a text field Ctrl+Z is the browser's own text undo, not the wall's.
    field = laptop.locator("#write-text")
    field.click()
    field.press_sequentially("Tempo")
    field.press("Control+z")
    expect(field).not_to_have_value("Tempo")
    laptop.locator(".console__title").click()
    laptop.keyboard.press("Control+z")  # one undo on the wall: the cluster, nothing more
    expect(board.locator(".cluster:not(.cluster--unsorted)")).to_have_count(0)
    expect(undo).to_have_text("↶ Rückgängig: Karte geschrieben")
    expect(unsorted).to_have_text("Freundlich am Telefon")


def test_a_phone_shows_its_cards_read_only_once_they_are_revealed(
    server: ServerProcess, new_context
) -> None:
    laptop = new_context().new_page()
    code = create_workshop(laptop, server)
    online(laptop)
    laptop.get_by_role("button", name="Verdeckt sammeln").click()
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    write_card(phone, "Zuhören statt abwimmeln")
    expect(phone.get_by_role("button", name="Löschen")).to_be_visible()

    laptop.get_by_role("button", name="Aufdecken").click()

    expect(phone.locator(".my-cards__locked")).to_contain_text("Die Karten sind aufgedeckt")
    expect(phone.get_by_role("button", name="Löschen")).to_have_count(0)
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=SCREENSHOTS / "phone-cards-locked.png")
