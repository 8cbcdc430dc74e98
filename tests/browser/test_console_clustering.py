"""Clustering at the console, as a trainer does it with 20 to 80 cards: the tray of
unsorted cards beside the clusters, click a card then a cluster, number keys, N,
and the links and targets a tablet needs. Screenshots land in tests/screenshots/."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import DEADLINE, SCREENSHOTS, ServerProcess, phone_options
from tests.browser.test_room import ALL_COLOURS, create_workshop, online
from tests.browser.test_screens import COLOURS, IDEAS

expect.set_options(timeout=15_000)

DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
SIZES = [
    (390, 844),
    (844, 390),
    (1024, 768),
    (1280, 720),
    (1366, 768),
    (1920, 1080),
]


# -- the room ---------------------------------------------------------------------


def trainer_client(page: Page, server: ServerProcess) -> httpx.Client:
    cookies = {
        c["name"]: c["value"] for c in page.context.cookies() if c["name"].startswith("mb_t_")
    }
    return httpx.Client(base_url=server.url, headers={"origin": server.url}, cookies=cookies)


def write_cards(server: ServerProcess, code: str, count: int) -> None:
    """Phones in the room write ``count`` cards, four or five each."""
    phones: list[httpx.Client] = []
    try:
        for i in range(count):
            if i % 5 == 0:
                phone = httpx.Client(base_url=server.url, headers={"origin": server.url})
                assert phone.get(f"/join/{code}").status_code == 303
                phones.append(phone)
            text = IDEAS[i % len(IDEAS)] + ("" if i < len(IDEAS) else f" ({i // len(IDEAS) + 1})")
            data = {"text": text, "colour": COLOURS[i % len(COLOURS)], "client_id": f"c{i}"}
            assert phones[-1].post(f"/w/{code}/cards", data=data).status_code == 200
    finally:
        for phone in phones:
            phone.close()


def clusters_with_cards(
    page: Page, server: ServerProcess, code: str, headings: list[str], sorted_cards: int
) -> None:
    """The trainer has made ``headings`` and sorted the first ``sorted_cards`` cards round them."""
    with trainer_client(page, server) as trainer:
        for heading in headings:
            assert (
                trainer.post(f"/w/{code}/t/cluster-new", data={"heading": heading}).status_code
                == 204
            )
        page.reload()
        online(page)
        cards = page.locator("#console-wall .card").evaluate_all(
            "els => els.map(e => e.dataset.card)"
        )
        targets = page.locator("[data-target]").evaluate_all(
            "els => els.map(e => e.dataset.target)"
        )
        for i, card in enumerate(cards[:sorted_cards]):
            data = {"card_id": card, "cluster_id": targets[i % len(targets)]}
            assert trainer.post(f"/w/{code}/t/card-move", data=data).status_code == 204


def room_with_cards(page: Page, server: ServerProcess, cards: int) -> str:
    code = create_workshop(page, server)
    with trainer_client(page, server) as trainer:
        assert trainer.post(f"/w/{code}/t/card-colours", data=ALL_COLOURS).status_code == 204
    write_cards(server, code, cards)
    page.reload()
    online(page)
    expect(page.locator("#console-wall .card")).to_have_count(cards)
    return code


def stored(server: ServerProcess) -> dict[str, str | None]:
    """Each top card's text and its cluster's heading (None: unsorted), as stored."""
    with sqlite3.connect(server.data_dir / "board.sqlite3") as db:
        rows = db.execute(
            "SELECT cards.text, clusters.heading FROM cards"
            " LEFT JOIN clusters ON clusters.id = cards.cluster_id WHERE cards.stacked_on IS NULL"
        ).fetchall()
    return {text: heading for text, heading in rows}


# Measured in one step in the page; None if the wall was re-rendered under the locator.
RECT = """el => { if (!el.isConnected) return null; const r = el.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height}; }"""


def rect_of(target: Locator) -> dict[str, float]:
    found: list[dict[str, float] | None] = [None]

    def measured() -> bool:
        found[0] = target.evaluate(RECT)
        return found[0] is not None and found[0]["width"] > 0

    until(measured, "a target on screen")
    assert found[0] is not None
    return found[0]


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def inside_viewport(page: Page, found: dict[str, float]) -> bool:
    size = page.viewport_size
    assert size is not None
    return (
        found["x"] >= 0
        and found["y"] >= 0
        and found["x"] + found["width"] <= size["width"] + 1
        and found["y"] + found["height"] <= size["height"] + 1
    )


def selected(page: Page) -> str | None:
    return page.evaluate(
        "() => { const c = document.querySelector('#console-wall .card[aria-pressed=\"true\"]');"
        " return c ? c.querySelector('.card__text').textContent : null; }"
    )


def focused(page: Page) -> str | None:
    return page.evaluate(
        "() => { const c = document.activeElement.closest('.card[data-card]');"
        " return c ? c.querySelector('.card__text').textContent : null; }"
    )


def tray_texts(page: Page) -> list[str]:
    return page.locator(".tray .card:not(.card--leaving) .card__text").all_inner_texts()


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(f"^{re.escape(text)}$")


def cluster_named(page: Page, heading: str) -> Locator:
    return page.locator(
        ".cluster[data-target]", has=page.locator(".cluster__name", has_text=exactly(heading))
    )


def until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds, or fail after the deadline."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def settled(page: Page, server: ServerProcess, expected: dict[str, str | None]) -> None:
    """The server stored the cards where the console put them, and its render shows them there."""
    until(
        lambda: {t: h for t, h in stored(server).items() if t in expected} == expected,
        f"stored: {expected}",
    )
    for text, heading in expected.items():
        where = (
            page.locator(".tray")
            if heading is None
            else page.locator(
                ".cluster[data-target]", has=page.locator(".cluster__name", has_text=heading)
            )
        )
        expect(where.locator(".card__text", has_text=exactly(text))).to_have_count(1)


# -- layout -------------------------------------------------------------------------


def test_with_66_cards_every_cluster_is_a_drop_target_on_screen(
    server: ServerProcess, new_context
) -> None:
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 66)
    clusters_with_cards(
        page,
        server,
        code,
        ["Haltung", "Tempo", "Verlässlichkeit", "Kommunikation", "Kulanz", "Beziehung"],
        40,
    )
    page.reload()
    online(page)
    expect(page.locator(".tray .card")).to_have_count(26)
    expect(page.locator(".cluster[data-target]")).to_have_count(6)

    # The tray stands beside the clusters, not above them …
    tray, clusters = box(page, ".tray"), box(page, ".clusters")
    assert tray["x"] + tray["width"] <= clusters["x"]
    assert abs(tray["y"] - clusters["y"]) < 40
    # … and every cluster, with its number, is on the first screen without scrolling.
    for i, target in enumerate(page.locator(".cluster[data-target]").all(), start=1):
        found = target.bounding_box()
        assert found is not None and inside_viewport(page, found), f"cluster {i}: {found}"
        expect(target.locator(".cluster__key")).to_have_text(str(i))
    assert page.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 1")
    # From 50 cards on the cards are drawn compact.
    expect(page.locator(".sorter")).to_have_class("sorter sorter--compact")
    # Tray and clusters scroll each on their own.
    for pane in (".tray__cards", ".clusters"):
        assert page.locator(pane).evaluate("el => getComputedStyle(el).overflowY") == "auto"


def test_the_compact_mode_is_a_switch_too(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    room_with_cards(page, server, 8)
    sorter = page.locator(".sorter")
    expect(sorter).not_to_have_class("sorter sorter--compact")
    font = "el => parseFloat(getComputedStyle(el).fontSize)"
    normal = page.locator(".tray .card__text").first.evaluate(font)
    page.get_by_role("button", name="Kompakte Karten").click()
    expect(sorter).to_have_class("sorter sorter--compact")
    assert page.locator(".tray .card__text").first.evaluate(font) < normal
    page.reload()  # the choice is remembered on this device
    expect(page.locator(".sorter")).to_have_class("sorter sorter--compact")


def test_screenshots_of_the_console_with_66_cards(server: ServerProcess, new_context) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 66)
    clusters_with_cards(
        page,
        server,
        code,
        ["Haltung", "Tempo", "Verlässlichkeit", "Kommunikation", "Kulanz", "Beziehung"],
        40,
    )
    page.reload()
    online(page)
    page.locator(".tray .card").first.click()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => window.dispatchEvent(new Event('resize'))")
        page.screenshot(path=SCREENSHOTS / f"console-66-cards-{width}x{height}.png")
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), (
            width,
            height,
        )


# -- click a card, then a cluster -----------------------------------------------------


def test_click_a_card_then_a_cluster(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 5)
    clusters_with_cards(page, server, code, ["Haltung", "Tempo"], 0)
    board = new_context(DESKTOP).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    first, second, *_ = tray_texts(page)

    page.locator(".tray .card", has_text=first).click()
    assert selected(page) == first
    expect(page.locator("#card-tools")).to_be_visible()
    page.locator(".cluster[data-target]", has_text="Tempo").locator(".cluster__heading").click()

    settled(page, server, {first: "Tempo"})
    tempo_on_board = board.locator("#board-wall .cluster", has_text="Tempo")
    expect(tempo_on_board.locator(".card__text")).to_have_text([first])
    # The next unsorted card is selected and has the focus, ready for the next click or key.
    assert selected(page) == second
    assert focused(page) == second
    # A click on the empty part of a cluster works as well as on its heading.
    page.locator(".cluster[data-target]", has_text="Haltung").locator(".dropzone").click()
    settled(page, server, {first: "Tempo", second: "Haltung"})


def test_number_keys_n_and_0_sort_the_selected_card(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 6)
    clusters_with_cards(page, server, code, ["Haltung", "Tempo"], 0)
    texts = tray_texts(page)

    page.locator(".tray .card").first.click()
    page.keyboard.press("2")
    assert selected(page) == texts[1] and focused(page) == texts[1]
    page.keyboard.press("1")
    assert selected(page) == texts[2] and focused(page) == texts[2]
    page.keyboard.press("n")  # a new third cluster, named after the card
    assert selected(page) == texts[3] and focused(page) == texts[3]
    expect(page.locator(".cluster[data-target]")).to_have_count(3)
    expect(page.locator(".cluster[data-target]").nth(2).locator(".cluster__key")).to_have_text("3")
    page.keyboard.press("3")
    settled(
        page,
        server,
        {texts[0]: "Tempo", texts[1]: "Haltung", texts[2]: texts[2], texts[3]: texts[2]},
    )
    # 0 sends a card back to the tray; a number with no cluster does nothing.
    page.locator(".cluster[data-target]", has_text="Tempo").locator(".card").click()
    page.keyboard.press("0")
    page.keyboard.press("9")
    settled(page, server, {texts[0]: None, texts[1]: "Haltung"})


def test_arrows_move_through_the_tray_and_tab_leaves_it(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 6)
    clusters_with_cards(page, server, code, ["Haltung"], 0)
    texts = tray_texts(page)
    page.locator(".tray .card").first.focus()
    page.keyboard.press("ArrowRight")
    assert focused(page) == texts[1] and selected(page) == texts[1]
    page.keyboard.press("ArrowLeft")
    assert focused(page) == texts[0] and selected(page) == texts[0]
    # One Tab stop for the whole tray: Tab goes on to the clusters.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.clusters') !== null")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == texts[0]
    # The keys are explained on screen.
    expect(page.locator(".keys")).to_be_visible()
    expect(page.locator(".keys")).to_contain_text("1")


# -- counting: 20 cards into 4 clusters -------------------------------------------------


def mapping(texts: list[str]) -> dict[str, str]:
    """Card i belongs to cluster i % 4, each cluster named after its first card."""
    return {text: texts[i % 4] for i, text in enumerate(texts)}


def test_twenty_cards_into_four_clusters_by_keyboard(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    room_with_cards(page, server, 20)
    texts = tray_texts(page)
    presses = 0

    def press(key: str) -> None:
        nonlocal presses
        presses += 1
        page.keyboard.press(key)

    page.locator("body").focus()
    press("Tab")  # the first stop on the page leads to the cards
    expect(page.locator(":focus")).to_have_text("Zu den Karten")
    press("Enter")
    for i, text in enumerate(texts):
        # The console moves on once the server has the move: wait (with a deadline) as a
        # trainer's eyes do; no key is pressed while waiting.
        page.wait_for_function(
            """text => {
              const c = document.querySelector('#console-wall .card[aria-pressed="true"]');
              const f = document.activeElement.closest('.card[data-card]');
              const of = e => e && e.querySelector('.card__text').textContent;
              return of(c) === text && of(f) === text;
            }""",
            arg=text,
            timeout=DEADLINE * 1000,
        )
        press("n" if i < 4 else str(i % 4 + 1))
        if i < 4:  # the new cluster must be there before its number key means anything
            expect(page.locator(".cluster[data-target]")).to_have_count(i + 1)

    settled(page, server, mapping(texts))
    assert presses == 22


def test_twenty_cards_into_four_clusters_by_clicks(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    room_with_cards(page, server, 20)
    texts = tray_texts(page)
    clicks = 0

    def click(target: Locator) -> None:
        nonlocal clicks
        found = rect_of(target)
        # Each target is on screen as it is: no scrolling, no dragging.
        assert inside_viewport(page, found), found
        page.mouse.click(found["x"] + found["width"] / 2, found["y"] + min(found["height"] / 2, 20))
        clicks += 1

    click(page.locator(".tray .card").first)
    for i, text in enumerate(texts):
        assert selected(page) == text
        if i < 4:
            click(page.locator("[data-new-cluster]"))
            expect(page.locator(".cluster[data-target]")).to_have_count(i + 1)
        else:
            click(cluster_named(page, texts[i % 4]).locator(".cluster__heading"))

    settled(page, server, mapping(texts))
    assert page.evaluate("() => scrollY") == 0
    assert clicks == 21


# -- the panel after stacking and merging ----------------------------------------------


def test_after_stacking_the_panel_shows_the_stack_not_an_empty_card(
    server: ServerProcess, new_context
) -> None:
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 3)
    clusters_with_cards(page, server, code, ["Haltung", "Tempo"], 0)
    first, second, _ = tray_texts(page)
    page.locator(".tray .card", has_text=first).click()
    page.locator("#stack-target").select_option(label=second)
    page.get_by_role("button", name="Stapeln", exact=True).click()
    expect(page.locator(".tray .card", has_text=second).locator(".card__stack")).to_have_text("×2")
    # The panel now shows the card the stack lies under, never an empty card.
    expect(page.locator("#card-tools [data-selected-text]")).to_have_text(second)
    expect(page.locator("#fix-text")).to_have_value(second)
    # Scoped to the card panel: the groups box in the side column has "Gruppen speichern".
    page.locator("#card-tools").get_by_role("button", name="Speichern").click()
    expect(page.locator("#flash")).not_to_contain_text("leer")

    # Merging the selected cluster away closes its panel.
    page.locator(".cluster[data-target]", has_text="Haltung").locator(".cluster__edit").click()
    expect(page.locator("#cluster-tools")).to_be_visible()
    page.locator("#merge-target").select_option(label="2. Tempo")
    page.get_by_role("button", name="Zusammenlegen").click()
    expect(page.locator(".cluster[data-target]")).to_have_count(1)
    expect(page.locator("#cluster-tools")).to_be_hidden()
    expect(page.locator("#card-tools")).to_be_hidden()


# -- links, the QR code, targets and the agenda -------------------------------------------


def test_links_and_the_qr_code_are_buttons(server: ServerProcess, new_context) -> None:
    context = new_context(DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    code = create_workshop(page, server)
    online(page)
    # The trainer link's secret is not on screen until the trainer unfolds it.
    expect(page.locator("#trainer-link")).to_be_hidden()

    with context.expect_page() as opened:
        page.get_by_role("link", name="Wand öffnen").click()
    board = opened.value
    expect(board).to_have_url(f"{server.url}/w/{code}/board")
    board.close()

    page.get_by_role("button", name="Teilnahme-Link kopieren").click()
    expect(page.locator(".console__copied")).to_be_visible()
    expect(page.locator(".console__copied")).to_have_text("Kopiert ✓")
    assert page.evaluate("() => navigator.clipboard.readText()") == f"{server.url}/join/{code}"
    page.get_by_role("button", name="Trainer-Link kopieren").click()
    assert "?token=" in page.evaluate("() => navigator.clipboard.readText()")
    expect(page.locator("#trainer-link")).to_be_hidden()

    page.get_by_role("button", name="QR-Code zeigen").click()
    qr = page.locator("#qr-dialog img")
    expect(qr).to_be_visible()
    assert box(page, "#qr-dialog img")["width"] >= 300
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "console-qr-1366x768.png")
    page.locator("#qr-dialog").get_by_role("button", name="Schließen").click()
    expect(qr).to_be_hidden()

    # The folded trainer link shows that it unfolds.
    marker = page.locator(".console__secret-box summary").evaluate(
        "el => getComputedStyle(el, '::before').content"
    )
    assert marker == '"▸"'
    page.get_by_text("Trainer-Link anzeigen").click()
    expect(page.locator("#trainer-link")).to_be_visible()


def thin_targets(page: Page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
            '.console button, .console a.btn, .console summary'))
        .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
        .filter(el => el.getBoundingClientRect().height < 44)
        .map(el => (el.textContent.trim() || el.getAttribute('aria-label')).slice(0, 40)
             + ' ' + Math.round(el.getBoundingClientRect().height))"""
    )


def test_every_console_button_is_a_44_px_target_on_tablet_and_phone(
    server: ServerProcess, new_context
) -> None:
    page = new_context(TABLET).new_page()
    code = room_with_cards(page, server, 6)
    clusters_with_cards(page, server, code, ["Haltung", "Tempo"], 2)
    page.locator(".tray .card").first.click()  # the card's tools are open too
    expect(page.locator("#card-tools")).to_be_visible()
    assert page.locator(".agenda .btn--icon").count() == 3
    assert thin_targets(page) == []
    phone = new_context(**{**phone_options(), "viewport": PHONE}).new_page()
    phone.goto(page.locator("#trainer-link").input_value())
    online(phone)
    phone.locator(".tray .card").first.tap()
    expect(phone.locator("#card-tools")).to_be_visible()
    assert thin_targets(phone) == []
    SCREENSHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=SCREENSHOTS / "console-phone-card-selected-390.png", full_page=True)
    # On the phone nothing sits fixed over the cards and there is no keyboard help;
    # tray and clusters stand side by side.
    assert phone.locator("#tools").evaluate("el => getComputedStyle(el).position") == "static"
    expect(phone.locator(".keys")).to_be_hidden()
    tray, clusters = box(phone, ".tray"), box(phone, ".clusters")
    assert tray["x"] + tray["width"] <= clusters["x"]


def test_an_agenda_of_eleven_steps_fits_the_screen(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    code = create_workshop(page, server)
    online(page)
    with trainer_client(page, server) as trainer:
        while page.locator(".agenda__step").count() < 11:
            added = trainer.post(f"/w/{code}/t/agenda-add", data={"exercise": "auftragsklaerung"})
            assert added.status_code == 204
            page.reload()
        ids = page.locator(".agenda__step").evaluate_all("els => els.map(e => e.dataset.step)")
        for step_id in ids[11:]:
            removed = trainer.post(f"/w/{code}/t/step-remove", data={"step_id": step_id})
            assert removed.status_code == 204
    page.reload()
    online(page)
    expect(page.locator(".agenda__step")).to_have_count(11)
    agenda = box(page, ".agenda")
    assert agenda["height"] <= DESKTOP["height"] - 40
    rows = page.locator(".agenda__step").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert max(rows) <= 48  # one compact row each
    arrows = (
        page.locator(".agenda__step")
        .first.locator(".btn--icon")
        .evaluate_all("els => els.map(e => e.getBoundingClientRect().top)")
    )
    assert len(set(arrows)) == 1  # ↑ ↓ ✕ side by side, not stacked


def test_a_live_update_keeps_the_panes_scrolled_and_the_focus(
    server: ServerProcess, new_context
) -> None:
    page = new_context(DESKTOP).new_page()
    code = room_with_cards(page, server, 40)
    page.locator(".tray .card").nth(30).click()
    tray = page.locator(".tray__cards")
    tray.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    scrolled = tray.evaluate("el => el.scrollTop")
    assert scrolled > 100
    chosen = selected(page)
    write_cards(server, code, 1)  # a phone sends one more card: the wall is drawn anew
    expect(page.locator("#console-wall .card")).to_have_count(41)
    assert abs(tray.evaluate("el => el.scrollTop") - scrolled) < 2
    assert selected(page) == chosen and focused(page) == chosen


def test_every_disclosure_shows_that_it_opens(server: ServerProcess, new_context) -> None:
    page = new_context(DESKTOP).new_page()
    page.goto(f"{server.url}/")
    marker = "el => getComputedStyle(el, '::before').content"
    assert page.locator(".import summary").evaluate(marker) == '"▸"'
    code = create_workshop(page, server)
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    assert phone.locator(".nickname summary").evaluate(marker) == '"▸"'
    phone.locator(".nickname summary").click()
    assert phone.locator(".nickname summary").evaluate(marker) == '"▾"'
