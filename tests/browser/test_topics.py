"""The Themenspeicher in real Chromium: a cluster parked in the console shows on the
board's Themenspeicher, a dots step takes the topics as its options, the top topics go
into the Maßnahmenplan and the console sets Mit wem and Status.

Screenshots: the board's Themenspeicher at 1920×1080 and 1024×768, the console at
1366×768, the phone (proposing a topic) at 390×844.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import PROJECTOR, SCREENSHOTS, ServerProcess, phone_options
from tests.browser.test_exercises import create
from tests.browser.test_room import online, write_card

expect.set_options(timeout=15_000)
CONSOLE = {"width": 1366, "height": 768}
SMALL_PROJECTOR = {"width": 1024, "height": 768}
CARDS = {
    "Erreichbarkeit": ["Rückruf binnen 24 Stunden", "Hotline auch samstags"],
    "Haltung": ["Freundlich auch im Stress"],
}


def cluster_the_cards(console: Page) -> None:
    for heading, texts in CARDS.items():
        console.fill("#new-heading", heading)
        console.locator(".tools__new").get_by_role("button", name="Anlegen").click()
        target = console.locator(".cluster[data-target]", has_text=heading)
        expect(target).to_have_count(1)
        for text in texts:
            card = console.locator(".tray .card", has_text=text)
            if card.get_attribute("aria-pressed") != "true":  # the next card comes selected
                card.click()
            expect(card).to_have_attribute("aria-pressed", "true")
            target.locator(".cluster__heading").click()
            expect(target.locator(".card", has_text=text)).to_have_count(1)


def inside(page: Page, selector: str) -> None:
    """Every element of ``selector`` lies within the viewport (nothing cut off)."""
    size = page.viewport_size
    assert size is not None
    for i in range(page.locator(selector).count()):
        found = page.locator(selector).nth(i).bounding_box()
        assert found is not None, selector
        assert found["x"] >= 0 and found["x"] + found["width"] <= size["width"] + 1, (
            selector,
            found,
        )
        assert found["y"] + found["height"] <= size["height"] + 1, (selector, found)


def test_a_parked_cluster_goes_through_dots_into_the_plan(
    server: ServerProcess, new_context
) -> None:
    console = new_context(CONSOLE).new_page()
    code = create(console, server, "kundenbegeisterung", "massnahmenplan")
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    small_board = new_context(SMALL_PROJECTOR).new_page()
    small_board.goto(f"{server.url}/w/{code}/board")
    online(small_board)
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    for texts in CARDS.values():
        for text in texts:
            write_card(phone, text)
    console.locator("[data-action=reveal]").click()
    cluster_the_cards(console)

    # Park the cluster "Erreichbarkeit" from the cluster tools; add a topic of her own.
    console.locator(".cluster[data-target]", has_text="Erreichbarkeit").locator(
        ".cluster__edit"
    ).click()
    console.locator("[data-action=park-cluster]").click()
    topics = console.locator("#console-topics")
    expect(topics.locator(".topic input[name=title]")).to_have_value("Erreichbarkeit")
    expect(topics).to_contain_text("geparkter Cluster")
    console.fill("#topic-new", "Parkplätze für Kunden")
    console.get_by_role("button", name="Aufnehmen").click()
    expect(topics.locator(".topic input[name=title]")).to_have_count(2)

    # Phones may propose; the proposal waits in the console until she accepts it.
    console.locator("[data-action=topic-proposals]").click()
    expect(phone.get_by_role("heading", name="Thema vorschlagen")).to_be_visible()
    phone.fill("#topic-title", "Wartezeiten an der Kasse")
    phone.locator(".propose-topic").get_by_role("button", name="Vorschlagen").click()
    expect(phone.locator(".my-topics")).to_contain_text("wartet auf die Moderation")
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=SCREENSHOTS / "topics-phone-390.png", full_page=True)
    proposal = topics.locator(".topic--proposed", has_text="Wartezeiten an der Kasse")
    proposal.get_by_role("button", name="Annehmen").click()
    expect(topics.locator(".topic input[name=title]")).to_have_count(3)
    expect(phone.locator(".my-topics")).to_contain_text("im Themenspeicher")

    # The board shows the Themenspeicher instead of the wall.
    console.locator("[data-action=topics-show]").click()
    for screen in (board, small_board):
        shown = screen.locator(".topics-board")
        expect(shown).to_be_visible()
        expect(shown.locator(".topic-card")).to_have_count(3)
        expect(shown.locator(".topic-card").first).to_contain_text("Erreichbarkeit")
        expect(screen.locator("#board-wall")).to_be_hidden()
        inside(screen, ".topic-card")
    title_size = board.locator(".topic-card__title").first.evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert title_size >= 28, title_size  # readable from the back of the room at 1080p
    board.screenshot(path=SCREENSHOTS / "topics-board-1920.png")
    small_board.screenshot(path=SCREENSHOTS / "topics-board-1024.png")
    console.screenshot(path=SCREENSHOTS / "topics-console-1366.png")
    console.locator("[data-action=topics-show]").click()
    expect(board.locator(".topics-board")).to_be_hidden()
    expect(board.locator("#board-wall")).to_be_visible()

    # The dots step takes its options from the Themenspeicher.
    console.get_by_role("button", name="Weiter →").click()
    expect(console.locator('#console-step[data-kind="dots"]')).to_be_visible()
    console.locator("[data-action=dots-from-topics]").click()
    options = phone.locator(".dot-option__label")
    expect(options).to_have_count(3)
    expect(options.first).to_have_text("Erreichbarkeit")
    phone.get_by_role("button", name="Punkt setzen: Erreichbarkeit").click()
    expect(board.locator(".ranking__option").first).to_have_text("Erreichbarkeit")

    # Top 3 into the Maßnahmenplan: rows linked to their topics.
    console.locator("[data-action=dots-top-actions]").click()
    expect(topics).to_contain_text("im Maßnahmenplan")
    console.get_by_role("button", name="Weiter →").click()
    row = console.locator("[data-action-item]").first
    expect(row.locator("textarea[name=what]")).to_have_value("Erreichbarkeit")
    row.locator("input[name=with_whom]").fill("Vertrieb")
    row.locator("select[name=status]").select_option(label="in Arbeit")
    what = row.locator("textarea[name=what]").bounding_box()
    assert what is not None and what["width"] >= 200, what  # the action is readable
    inside(console, "[data-action-item] .btn")
    row.get_by_role("button", name="Speichern").click()
    board_row = board.locator("[data-action-item]").first
    expect(board_row).to_contain_text("Vertrieb")
    expect(board_row.locator(".status")).to_have_text("in Arbeit")
    console.screenshot(path=SCREENSHOTS / "topics-console-plan-1366.png")
