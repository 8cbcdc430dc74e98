"""The room, end to end: a trainer, two projectors and phones, in real Chromium.

Trainer creates a workshop; phones join by typing the code and by the QR
link; cards are collected hidden, revealed, clustered by drag and drop and by
keyboard; a second board shows the same clusters; the server is killed and
restarted, and everything comes back.
"""

from __future__ import annotations

import re
import sqlite3

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import PROJECTOR, SCREENSHOTS, ServerProcess, phone_options

expect.set_options(timeout=15_000)

WALL_STRUCTURE = """() => Array.from(document.querySelectorAll('#board-wall .cluster')).map(c => [
    (c.querySelector('.cluster__heading, .cluster__label') || {}).textContent || '',
    Array.from(c.querySelectorAll('.card__text')).map(p => p.textContent)])"""


def create_workshop(page: Page, server: ServerProcess, title: str = "Kundenbegeisterung") -> str:
    page.goto(f"{server.url}/")
    page.fill("#title", title)
    page.fill("#question", "Was ist Kundenbegeisterung?")
    page.get_by_role("button", name="Workshop anlegen").click()
    expect(page).to_have_url(re.compile(r"/w/[A-Z0-9]{6}/trainer$"))
    return page.url.split("/")[4]


def online(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-connection", "open")


ALL_COLOURS = {f"colour_{c}": "on" for c in ("yellow", "white", "orange", "green", "blue", "pink")}


def offer_all_colours(trainer: Page, server: ServerProcess, code: str) -> None:
    """The trainer offers every card colour on the step (a plain one offers one)."""
    cookies = {c["name"]: c["value"] for c in trainer.context.cookies()}
    headers = {"origin": server.url}
    with httpx.Client(base_url=server.url, headers=headers, cookies=cookies) as client:
        assert client.post(f"/w/{code}/t/card-colours", data=ALL_COLOURS).status_code == 204


def write_card(phone: Page, text: str, colour_index: int = 0) -> None:
    phone.fill("#card-text", text)
    colours = phone.locator(".colour")
    if colour_index or colours.count():  # a step with one colour offers no choice
        colours.nth(colour_index).click()
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#my-cards .card__text", has_text=text)).to_have_count(1)


def stored_count(server: ServerProcess, text: str) -> int:
    with sqlite3.connect(server.data_dir / "board.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM cards WHERE text = ?", (text,)).fetchone()[0])


def phone_in_a_new_workshop(server: ServerProcess, new_context) -> tuple[str, Page]:  # type: ignore[no-untyped-def]
    """A trainer creates a workshop and one phone joins it and goes online."""
    code = create_workshop(new_context().new_page(), server)
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    return code, phone


def test_the_room(server: ServerProcess, new_context) -> None:  # noqa: PLR0915
    trainer = new_context().new_page()
    code = create_workshop(trainer, server)
    online(trainer)
    offer_all_colours(trainer, server, code)

    boards = [new_context(PROJECTOR).new_page() for _ in range(2)]
    for board in boards:
        board.goto(f"{server.url}/w/{code}/board")
        online(board)
        expect(board.locator(".board__code")).to_have_text(f"{code[:3]}-{code[3:]}")
        expect(board.locator(".board__qr")).to_be_visible()
        # The projector shows no controls.
        expect(board.locator("button, input, textarea, select, form")).to_have_count(0)

    # Phone A types the code from the wall, phone B follows the QR link.
    anna = new_context(**phone_options()).new_page()
    anna.goto(f"{server.url}/join")
    anna.fill("#code", f"{code[:3].lower()}-{code[3:].lower()}")
    anna.fill("#nickname", "Anna")
    anna.get_by_role("button", name="Beitreten").click()
    ben = new_context(**phone_options()).new_page()
    ben.goto(f"{server.url}/join/{code}")
    for phone in (anna, ben):
        expect(phone).to_have_url(f"{server.url}/w/{code}")
        expect(phone.locator(".phone__question")).to_have_text("Was ist Kundenbegeisterung?")
        online(phone)
    expect(boards[0].locator("[data-present]")).to_have_text("2")

    # Collect hidden: the board counts, shows no text.
    trainer.get_by_role("button", name="Verdeckt sammeln").click()
    expect(boards[0].locator(".hidden-counter__n")).to_have_text("0")
    write_card(anna, "Freundlichkeit am Telefon", 0)
    write_card(anna, "Schnelle Antworten", 3)
    write_card(ben, "Mitdenken statt abwimmeln", 2)
    write_card(ben, "Ehrlich bei Fehlern", 4)
    for board in boards:
        expect(board.locator(".hidden-counter__n")).to_have_text("4")
        expect(board.locator(".card")).to_have_count(0)
        assert "Freundlichkeit" not in board.content()
    expect(trainer.locator("#console-wall .card")).to_have_count(4)

    # Reveal.
    trainer.get_by_role("button", name="Aufdecken").click()
    for board in boards:
        expect(board.locator("#board-wall .card")).to_have_count(4)

    # Clusters with headings.
    for heading in ("Haltung", "Tempo"):
        trainer.fill("#new-heading", heading)
        trainer.get_by_role("button", name="Anlegen").click()
        expect(trainer.locator("#console-wall .cluster__heading", has_text=heading)).to_have_count(
            1
        )
    expect(trainer.locator("#new-heading")).to_have_value("")

    # Drag and drop with the mouse.
    haltung = trainer.locator(
        '#console-wall .cluster:has(.cluster__name:text("Haltung")) .dropzone'
    )
    trainer.locator("#console-wall .card", has_text="Freundlichkeit").drag_to(haltung)
    expect(boards[0].locator(".cluster", has_text="Haltung").locator(".card")).to_have_text(
        ["Freundlichkeit am Telefon"]
    )

    # The keyboard alone: a card in the tray, Enter selects it, the cluster's number moves it.
    card = trainer.locator("#console-wall .card", has_text="Schnelle Antworten")
    card.focus()
    trainer.keyboard.press("Enter")
    expect(card).to_have_attribute("aria-pressed", "true")
    expect(
        trainer.locator(".cluster[data-target]", has_text="Tempo").locator(".cluster__key")
    ).to_have_text("2")
    trainer.keyboard.press("2")
    expect(boards[0].locator(".cluster", has_text="Tempo").locator(".card")).to_have_text(
        ["Schnelle Antworten"]
    )

    # A cluster renamed from the tools panel shows as the oval heading everywhere.
    trainer.locator(".cluster[data-target]", has_text="Tempo").locator(".cluster__edit").click()
    trainer.fill("#rename-heading", "Tempo & Verlässlichkeit")
    trainer.get_by_role("button", name="Umbenennen").click()
    expect(boards[1].locator(".cluster__heading", has_text="Verlässlichkeit")).to_have_count(1)

    # Both projectors show the same clusters in the same order.
    expected = [
        ["Haltung", ["Freundlichkeit am Telefon"]],
        ["Tempo & Verlässlichkeit", ["Schnelle Antworten"]],
        ["Unsortiert", sorted(["Mitdenken statt abwimmeln", "Ehrlich bei Fehlern"])],
    ]
    # The reveal dealt the cards anew (board.reveal): the same order on both, whichever.
    walls = [board.evaluate(WALL_STRUCTURE) for board in boards]
    assert walls[0] == walls[1]
    for board in boards:
        expect(board.locator("#board-wall .cluster")).to_have_count(3)
        assert [[h, c if h != "Unsortiert" else sorted(c)] for h, c in walls[0]] == expected
    expected = walls[0]

    # After the reveal the phones may look at the wall, read-only.
    anna.get_by_role("link", name=re.compile("Wand ansehen")).click()
    expect(anna.locator("#board-wall .cluster__heading")).to_have_text(
        ["Haltung", "Tempo & Verlässlichkeit"]
    )
    expect(anna.locator("#board-wall button, #board-wall form")).to_have_count(0)
    anna.go_back()
    online(anna)

    # The lid closes: the server dies hard and comes back on the same data.
    server.kill_hard()
    for page in (*boards, trainer, ben):
        expect(page.locator("html")).to_have_attribute("data-connection", "closed")
    expect(boards[0].locator("#conn")).to_contain_text("Verbindung unterbrochen")
    server.start()
    for page in (*boards, trainer, anna, ben):
        online(page)
    for board in boards:
        assert board.evaluate(WALL_STRUCTURE) == expected
    write_card(ben, "Nach dem Neustart", 1)
    for board in boards:
        expect(board.locator("#board-wall .card", has_text="Nach dem Neustart")).to_have_count(1)
    expect(ben.locator("#my-cards .my-card")).to_have_count(3)
    assert stored_count(server, "Freundlichkeit am Telefon") == 1


def test_an_offline_phone_keeps_its_draft_and_sends_it_exactly_once(
    server: ServerProcess, new_context
) -> None:
    trainer = new_context().new_page()
    code = create_workshop(trainer, server)
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    context = new_context(**phone_options())
    phone = context.new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)

    context.set_offline(True)
    phone.fill("#card-text", "Im Funkloch geschrieben")
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#pending .card__text")).to_have_text("Im Funkloch geschrieben")
    expect(phone.locator("#pending")).to_contain_text("wartet auf Verbindung")
    assert stored_count(server, "Im Funkloch geschrieben") == 0
    # The draft is kept in the browser, not only in memory:
    assert "Im Funkloch" in phone.evaluate("() => JSON.stringify(localStorage)")

    context.set_offline(False)
    expect(phone.locator("#my-cards .card__text", has_text="Im Funkloch")).to_have_count(1)
    expect(phone.locator("#pending .my-card")).to_have_count(0)
    expect(board.locator("#board-wall .card", has_text="Im Funkloch")).to_have_count(1)
    assert stored_count(server, "Im Funkloch geschrieben") == 1


def test_a_card_whose_answer_was_lost_is_resent_and_stored_once(
    server: ServerProcess, new_context
) -> None:
    code, phone = phone_in_a_new_workshop(server, new_context)
    lost: list[int] = []

    def deliver_then_drop(route) -> None:  # type: ignore[no-untyped-def]
        if not lost:
            response = route.fetch()  # the server stores the card …
            lost.append(response.status)
            route.abort()  # … but the phone never hears back.
        else:
            route.continue_()

    phone.route(re.compile(r"/w/[A-Z0-9]+/cards$"), deliver_then_drop)
    phone.fill("#card-text", "Antwort ging verloren")
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#my-cards .card__text", has_text="Antwort ging verloren")).to_have_count(
        1
    )
    assert lost == [200]
    assert stored_count(server, "Antwort ging verloren") == 1


def test_a_refused_draft_is_shown_as_not_sent_and_the_next_one_still_goes_out(
    server: ServerProcess, new_context
) -> None:
    trainer = new_context().new_page()
    code = create_workshop(trainer, server)
    context = new_context(**phone_options())
    phone = context.new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)

    # One idea too many for a card: the phone says so and keeps it, nothing goes out.
    phone.fill("#card-text", "eins\nzwei\ndrei\nvier")
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#card-lines")).to_contain_text("Zu lang für drei Zeilen")
    expect(phone.locator("#card-text")).to_have_value("eins\nzwei\ndrei\nvier")
    expect(phone.locator("#pending .my-card")).to_have_count(0)

    # Two drafts queue up in a dead spot; meanwhile the trainer takes orange off the step.
    offer = {"colour_yellow": "on", "meaning_yellow": "Erwartung", "colour_orange": "on"}
    cookies = {c["name"]: c["value"] for c in trainer.context.cookies()}
    console = httpx.Client(base_url=server.url, headers={"origin": server.url}, cookies=cookies)
    assert console.post(f"/w/{code}/t/card-colours", data=offer).status_code == 204
    expect(phone.locator(".colour")).to_have_count(2)
    context.set_offline(True)
    for text, colour in (("Sorge in Orange", 1), ("Zweite Karte", 0)):
        phone.fill("#card-text", text)
        phone.locator(".colour").nth(colour).click()
        phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#pending .my-card--pending")).to_have_count(2)
    assert (
        console.post(f"/w/{code}/t/card-colours", data={"colour_yellow": "on"}).status_code == 204
    )
    console.close()
    context.set_offline(False)

    refused = phone.locator("#pending .my-card--refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("nicht gesendet")
    expect(refused.locator(".my-card__reason")).to_contain_text("Diese Farbe gehört nicht")
    expect(refused.locator(".card__text")).to_have_text("Sorge in Orange")
    expect(phone.locator("#my-cards .card__text", has_text="Zweite Karte")).to_have_count(1)
    expect(phone.locator("#pending .my-card--pending")).to_have_count(0)
    assert stored_count(server, "Zweite Karte") == 1

    phone.reload()  # the text of the refused card is not lost on a reload either
    expect(refused.locator(".card__text")).to_have_text("Sorge in Orange")
    refused.get_by_role("button", name="Verwerfen").click()
    expect(refused).to_have_count(0)
    phone.reload()
    online(phone)
    expect(refused).to_have_count(0)


def test_a_busy_server_keeps_the_draft_and_sends_it_when_it_may(
    server: ServerProcess, new_context
) -> None:
    code, phone = phone_in_a_new_workshop(server, new_context)
    answers: list[int] = []

    def busy_then_fine(route) -> None:  # type: ignore[no-untyped-def]
        if len(answers) < 2:  # the server is overloaded twice, then answers
            answers.append(503 if not answers else 429)
            route.fulfill(status=answers[-1], headers={"Retry-After": "1"}, body="busy")
        else:
            answers.append(200)
            route.continue_()

    phone.route(re.compile(r"/w/[A-Z0-9]+/cards$"), busy_then_fine)
    phone.fill("#card-text", "Geduldige Karte")
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#my-cards .card__text", has_text="Geduldige Karte")).to_have_count(1)
    assert answers == [503, 429, 200]
    expect(phone.locator("#pending .my-card")).to_have_count(0)
    assert stored_count(server, "Geduldige Karte") == 1


def test_untrusted_card_text_never_runs(server: ServerProcess, new_context) -> None:
    trainer = new_context().new_page()
    code = create_workshop(trainer, server)
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    dialogs: list[str] = []
    for page in (trainer, board, phone):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    attacks = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(2)</script>",
        '<a href="javascript:alert(3)">klick</a>',
    ]
    for text in attacks:
        write_card(phone, text)
    for page in (trainer, board):
        for text in attacks:
            expect(page.locator(".card__text", has_text=text)).to_have_count(1)
    board.locator(".card__text", has_text="klick").click()
    assert board.locator("#board-wall img, #board-wall script, #board-wall a").count() == 0
    assert dialogs == []


def test_deleting_the_workshop_ends_the_board_and_the_phones_at_once(
    server: ServerProcess, new_context
) -> None:
    """The trainer deletes the workshop while the projector and a phone still show it:
    both say it has ended, large enough for the back of the room."""
    trainer = new_context().new_page()
    code = create_workshop(trainer, server)
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    board = new_context(viewport={"width": 1024, "height": 768}).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    for page in (phone, board):
        online(page)

    trainer.goto(f"{server.url}/w/{code}/delete")
    trainer.fill("#confirm", code)
    trainer.get_by_role("button", name="Workshop löschen").click()
    expect(trainer).to_have_url(re.compile(r"/\?deleted=1$"))

    for page in (board, phone):
        ended = page.locator(".ended__title")
        expect(ended).to_have_text("Dieser Workshop ist beendet.")
        expect(page.locator("#board-wall, #mine")).to_have_count(0)
    size = board.locator(".ended__title").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 40  # readable from the back of the room at 1024×768
    SCREENSHOTS.mkdir(exist_ok=True)
    board.screenshot(path=SCREENSHOTS / "board-ended-1024.png")
    phone.screenshot(path=SCREENSHOTS / "phone-ended-390.png")
