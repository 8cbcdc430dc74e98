"""Blitzlicht in real Chromium: three phones say what they take away, the board shows it.

The trainer reveals, taps "Nächste" through the statements one at a time, shows them
all together, then the word cloud. The figures a trainer would check from the back row:
no sideways scrolling, the statement at least 1/45 of the screen height, every word of
the cloud on the wall and none on another. Screenshots land in tests/screenshots/.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from board.kinds.flash import MAX_STATEMENT_LENGTH
from tests.browser.conftest import BOXES, DEADLINE, NO_SIDEWAYS_SCROLL, SCREENSHOTS, phone_options
from tests.serverprocess import ServerProcess

expect.set_options(timeout=DEADLINE * 1000)

SAID = [
    "Mehr zuhören, weniger reden",
    "Zuhören und gezielt nachfragen",
    "Beim Zuhören Geduld haben – auch am Telefon, wenn es hektisch wird",
]
PROJECTORS = [(1024, 768), (1920, 1080)]


@dataclass
class Room:
    server: ServerProcess
    code: str
    console: Page
    phones: list[Page]


def online(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-connection", "open")


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


@pytest.fixture(scope="module")
def room(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    server = ServerProcess(tmp_path_factory.mktemp("flash") / "data")
    server.start()
    contexts: list[BrowserContext] = []

    def context(**options: object) -> BrowserContext:
        made = browser.new_context(locale="de-DE", **options)  # type: ignore[arg-type]
        made.set_default_timeout(DEADLINE * 1000)
        contexts.append(made)
        return made

    console = context(viewport={"width": 1366, "height": 768}).new_page()
    created = console.request.post(
        f"{server.url}/workshops",
        form={"title": "Servicetag – Abschluss", "exercise": "step:flash"},
        headers={"origin": server.url},
        max_redirects=0,
    )
    assert created.status == 303, created.text()
    console.goto(server.url + created.headers["location"])
    code = console.url.split("/")[4]
    online(console)
    phones = []
    for _ in SAID:
        phone = context(**phone_options()).new_page()
        phone.goto(f"{server.url}/join/{code}")
        online(phone)
        phones.append(phone)
    yield Room(server, code, console, phones)
    for made in contexts:
        made.close()
    server.stop()


def board_at(browser: Browser, room: Room, size: tuple[int, int]) -> Page:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, locale="de-DE")
    page.set_default_timeout(DEADLINE * 1000)
    page.goto(f"{room.server.url}/w/{room.code}/board")
    online(page)
    return page


def fitted(board: Page) -> None:
    """fit.js has settled: the wall no longer overflows."""
    board.wait_for_function(
        "() => { const w = document.getElementById('board-wall');"
        " return w.scrollHeight <= w.clientHeight + 2 && w.scrollWidth <= w.clientWidth + 2; }"
    )


def test_three_phones_answer_and_one_changes_its_mind(room: Room) -> None:
    for i, (phone, text) in enumerate(zip(room.phones, SAID, strict=True)):
        expect(phone.locator(".phone__step")).to_contain_text("gesammelt")  # hidden: collected
        field = phone.locator("#blitz-text")
        expect(field).to_have_attribute("maxlength", str(MAX_STATEMENT_LENGTH))
        field.fill("")
        field.press_sequentially("Zuhören" if i == 0 else text)
        counter = phone.locator("#blitz-counter")
        expect(counter).to_have_text(
            f"{len('Zuhören' if i == 0 else text)} / {MAX_STATEMENT_LENGTH}"
        )
        phone.get_by_role("button", name="Senden").click()
        expect(phone.locator(".blitz-mine__text")).to_have_text("Zuhören" if i == 0 else text)
    # The first phone thinks again: its answer is replaced, not added.
    first = room.phones[0]
    first.locator("#blitz-text").fill(SAID[0])
    first.get_by_role("button", name="Senden").click()
    expect(first.locator(".blitz-mine__text")).to_have_text(SAID[0])
    expect(room.console.locator(".blitz-list__item")).to_have_count(3)
    snap(first, "flash-phone-390x844.png")
    first.set_viewport_size({"width": 844, "height": 390})
    assert first.evaluate(NO_SIDEWAYS_SCROLL)
    send = first.get_by_role("button", name="Senden")
    box = send.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 390 * 2  # within two screens' scroll
    snap(first, "flash-phone-844x390.png")
    first.set_viewport_size({"width": 390, "height": 844})
    for phone in room.phones:
        assert phone.evaluate(NO_SIDEWAYS_SCROLL)


@pytest.mark.parametrize("size", PROJECTORS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_board_shows_one_after_another_all_together_and_the_cloud(
    browser: Browser, room: Room, size: tuple[int, int]
) -> None:
    width, height = size
    console = room.console
    board = board_at(browser, room, size)
    try:
        if console.locator("[data-action=reveal]").count():  # the first size: still hidden
            expect(board.locator(".hidden-counter__n")).to_have_text("3")
            assert not any(text in board.locator("#board-wall").inner_text() for text in SAID)
            snap(board, f"flash-board-hidden-{width}x{height}.png")
            console.locator("[data-action=reveal]").click()
        console.locator(".blitz-controls [data-view=one]").click()
        expect(console.locator(".blitz-controls [data-view=one]")).to_have_attribute(
            "aria-pressed", "true"
        )
        position = console.locator(".blitz-controls__position")
        shown = int(position.inner_text().split()[0])
        while shown > 1:  # back to the first (the other size's run left it at the last)
            console.locator(".blitz-controls [data-action=flash-prev]").click()
            shown -= 1
            expect(position).to_have_text(f"{shown} von 3")

        # One after another: the trainer taps "Nächste"; each statement once, large.
        seen = []
        for n in range(1, 4):
            expect(board.locator(".blitz__position")).to_have_text(f"{n} von 3")
            fitted(board)
            statement = board.locator(".blitz__statement")
            seen.append(statement.inner_text())
            size_px = statement.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
            assert size_px >= height / 45, (n, size_px)
            assert board.evaluate(NO_SIDEWAYS_SCROLL)
            [box] = statement.evaluate_all(BOXES)
            assert box[2] <= width and box[3] <= height, box
            if n == 3:  # the longest one, too
                snap(board, f"flash-board-one-{width}x{height}.png")
            if n < 3:
                console.get_by_role("button", name="Nächste").click()
        assert sorted(seen) == sorted(SAID)
        expect(console.get_by_role("button", name="Nächste")).to_be_disabled()

        # All together.
        console.locator(".blitz-controls [data-view=all]").click()
        expect(board.locator(".blitz__item")).to_have_count(3)
        fitted(board)
        assert sorted(board.locator(".blitz__item").all_inner_texts()) == sorted(SAID)
        for size_px in board.locator(".blitz__item").evaluate_all(
            "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
        ):
            assert size_px >= height / 45
        assert board.evaluate(NO_SIDEWAYS_SCROLL)
        snap(board, f"flash-board-all-{width}x{height}.png")

        # The words that recur, largest.
        console.locator(".blitz-controls [data-view=cloud]").click()
        words = board.locator(".cloud__word")
        expect(words.first).to_be_visible()
        fitted(board)
        texts = words.evaluate_all("els => els.map(e => e.textContent)")
        assert "Zuhören" in texts and "und" not in texts
        boxes = words.evaluate_all(BOXES)
        [wall] = board.locator("#board-wall").evaluate_all(BOXES)
        for text, box in zip(texts, boxes, strict=True):
            assert wall[0] - 0.5 <= box[0] and box[2] <= wall[2] + 0.5, (text, box, wall)
            assert wall[1] - 0.5 <= box[1] and box[3] <= wall[3] + 0.5, (text, box, wall)
        for (a, ra), (b, rb) in itertools.combinations(zip(texts, boxes, strict=True), 2):
            apart = ra[2] <= rb[0] or rb[2] <= ra[0] or ra[3] <= rb[1] or rb[3] <= ra[1]
            assert apart, (a, ra, b, rb)
        sizes = dict(
            zip(
                texts,
                words.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"),
                strict=True,
            )
        )
        assert sizes["Zuhören"] > max(v for k, v in sizes.items() if k != "Zuhören")
        assert min(sizes.values()) >= height / 45
        assert board.evaluate(NO_SIDEWAYS_SCROLL)
        snap(board, f"flash-board-cloud-{width}x{height}.png")
    finally:
        board.close()


def test_the_console_lists_the_statements_with_the_switch_and_the_cloud(room: Room) -> None:
    console = room.console
    console.set_viewport_size({"width": 1366, "height": 768})
    expect(console.locator(".blitz-list__item")).to_have_count(3)
    assert sorted(console.locator(".blitz-list__item").all_inner_texts()) == sorted(SAID)
    expect(console.locator(".blitz-console__cloud .cloud__word").first).to_be_visible()
    for view in ("one", "all", "cloud"):
        button = console.locator(f".blitz-controls [data-view={view}]")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44
    assert console.evaluate(NO_SIDEWAYS_SCROLL)
    # No empty box of the Zurufabfrage (a step without cards has none) under the controls.
    expect(console.locator("#write-card")).to_be_hidden()
    console.locator(".blitz-controls").scroll_into_view_if_needed()
    snap(console, "flash-console-1366x768.png")
