"""The Metaplan reveal in the room: the trainer gives the card colours their meanings,
the phones offer them by name, the cards come in hidden, and the trainer reveals them
one at a time (the board shows each large, then it lands on the wall; a number key or
N clusters it at once) and then all at once. And the three-line rule holds on the
board: a card the server accepts never takes a fourth line there.
Screenshots land in tests/screenshots/."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from board.card_lines import MAX_LINES, fits
from tests.browser.conftest import PROJECTOR, SCREENSHOTS, ServerProcess, phone_options
from tests.browser.test_room import ALL_COLOURS, create_workshop, online

expect.set_options(timeout=15_000)

CONSOLE = {"width": 1366, "height": 768}
SMALL_PROJECTOR = {"width": 1024, "height": 768}
EXPECTATIONS = ["Konkrete Beispiele aus dem Alltag", "Zeit für Fragen", "Neue Ideen"]
CONCERNS = ["Zu viel Theorie", "Am Ende ändert sich nichts"]
TOO_LONG = "Wir wünschen uns mehr Zeit für Gespräche mit unseren Kundinnen und Kunden am Telefon"

# Lines a text takes where it is drawn, from its height and line height.
LINES = """el => { const s = getComputedStyle(el);
  return Math.round(el.getBoundingClientRect().height / parseFloat(s.lineHeight)); }"""


def meanings_in_the_console(trainer: Page) -> None:
    """The trainer opens "Kartenfarben und ihre Bedeutung" and gives two colours a meaning."""
    trainer.locator(".colours-setting summary").click()
    trainer.fill("#meaning-yellow", "Erwartung")
    trainer.locator("input[name=colour_orange]").check()
    trainer.fill("#meaning-orange", "Befürchtung")
    trainer.get_by_role("button", name="Farben übernehmen").click()
    expect(trainer.locator(".colours-setting summary")).to_contain_text("Befürchtung")


def write(phone: Page, text: str, meaning: str) -> None:
    phone.fill("#card-text", text)
    phone.locator(".colour", has_text=meaning).click()
    phone.get_by_role("button", name="Senden").click()
    expect(phone.locator("#my-cards .card__text", has_text=text)).to_have_count(1)


def test_colours_with_meanings_then_one_card_at_a_time(server: ServerProcess, new_context) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(exist_ok=True)
    trainer = new_context(CONSOLE).new_page()
    code = create_workshop(trainer, server, "Auftakt")
    online(trainer)
    meanings_in_the_console(trainer)
    trainer.get_by_role("button", name="Verdeckt sammeln").click()

    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    expect(board.locator(".legend")).to_contain_text("Erwartung")
    expect(board.locator(".legend")).to_contain_text("Befürchtung")

    phones = []
    for _ in range(2):
        phone = new_context(**phone_options()).new_page()
        phone.goto(f"{server.url}/join/{code}")
        online(phone)
        phones.append(phone)
    anna, ben = phones
    expect(anna.locator(".colour")).to_have_text(["Erwartung", "Befürchtung"])
    # Too long for three lines: the phone says so while typing, and keeps the text.
    anna.fill("#card-text", TOO_LONG)
    expect(anna.locator("#card-lines")).to_contain_text("Zu lang für drei Zeilen")
    anna.screenshot(path=SCREENSHOTS / "reveal-phone-too-long-390x844.png")
    anna.get_by_role("button", name="Senden").click()
    expect(anna.locator("#card-text")).to_have_value(TOO_LONG)
    anna.fill("#card-text", "")
    expect(anna.locator("#card-lines")).to_have_text("")
    anna.screenshot(path=SCREENSHOTS / "reveal-phone-colours-390x844.png")

    for i, text in enumerate(EXPECTATIONS):
        write(phones[i % 2], text, "Erwartung")
    for i, text in enumerate(CONCERNS):
        write(phones[i % 2], text, "Befürchtung")
    everything = EXPECTATIONS + CONCERNS
    expect(board.locator(".hidden-counter__n")).to_have_text(str(len(everything)))
    expect(board.locator(".card")).to_have_count(0)

    # "Nächste Karte": one card, large in the middle of the board.
    trainer.get_by_role("button", name="Nächste Karte").click()
    stage = board.locator(".reveal-stage__card")
    expect(stage).to_have_count(1)
    first = stage.inner_text().strip()
    assert first in everything
    expect(board.locator("#board-wall .card")).to_have_count(1)  # no other card yet
    expect(board.locator(".reveal-left")).to_contain_text(f"Noch {len(everything) - 1} Karten")
    stage.evaluate("e => Promise.all(e.getAnimations().map(a => a.finished))")  # grown
    box = stage.bounding_box()
    assert box is not None and box["width"] > PROJECTOR["width"] / 2  # large …
    middle = box["x"] + box["width"] / 2
    assert abs(middle - PROJECTOR["width"] / 2) < 40  # … and in the middle
    text_size = stage.locator(".card__text").evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert text_size >= PROJECTOR["height"] / 16  # readable from the back row
    board.screenshot(path=SCREENSHOTS / "reveal-board-large-card-1920x1080.png")
    board.set_viewport_size(SMALL_PROJECTOR)
    board.screenshot(path=SCREENSHOTS / "reveal-board-large-card-1024x768.png")
    board.set_viewport_size(PROJECTOR)

    # The console has it selected: N starts a cluster with it, and it lands there.
    selected = trainer.locator("#console-wall .card[aria-pressed=true] .card__text")
    expect(selected).to_have_text(first)
    trainer.keyboard.press("n")
    expect(board.locator(".reveal-stage__card")).to_have_count(0)
    expect(board.locator("#board-wall .cluster .card__text", has_text=first)).to_have_count(1)
    phone_wall = ben.context.new_page()
    phone_wall.goto(f"{server.url}/w/{code}/wall")
    online(phone_wall)

    # The next card: large; then the next puts it on the wall (unsorted).
    trainer.get_by_role("button", name="Nächste Karte").click()
    expect(board.locator(".reveal-stage__card")).not_to_have_text(first)
    second = board.locator(".reveal-stage__card").inner_text().strip()
    trainer.get_by_role("button", name="Nächste Karte").click()
    expect(board.locator(".reveal-stage__card")).not_to_have_text(second)
    expect(
        board.locator("#board-wall .cluster--unsorted .card__text", has_text=second)
    ).to_have_count(1)
    expect(board.locator("#board-wall .card")).to_have_count(3)
    board.screenshot(path=SCREENSHOTS / "reveal-board-third-card-1920x1080.png")
    trainer.screenshot(path=SCREENSHOTS / "reveal-console-1366x768.png")
    unseen = [t for t in everything if t not in (first, second)]
    shown_third = board.locator(".reveal-stage__card").inner_text().strip()
    for text in unseen:
        if text != shown_third:
            assert text not in board.content()
            assert text not in phone_wall.content()

    # "Alle aufdecken": everything on the wall, nothing large any more.
    trainer.get_by_role("button", name="Alle aufdecken").click()
    expect(board.locator("#board-wall .card")).to_have_count(len(everything))
    expect(board.locator(".reveal-stage")).to_have_count(0)
    expect(phone_wall.locator("#board-wall .card")).to_have_count(len(everything))
    board.screenshot(path=SCREENSHOTS / "reveal-board-all-1920x1080.png")


def longest_cards(words: list[str], count: int) -> list[str]:
    """Cards as long as the rule allows: words added while the text still fits."""
    texts = []
    for start in range(count):
        text = ""
        for i in range(60):
            word = words[(start + i) % len(words)]
            longer = f"{text} {word}".strip()
            if not fits(longer):
                break
            text = longer
        texts.append(text)
    return texts


WORDS = ["Kundenorientierung", "am", "Telefon", "WMW", "Überraschung", "mit", "Mut", "Qualität"]
WORDS += ["Mitarbeitende", "ändern", "wir", "MM", "gemeinsam", "Zuverlässigkeit", "Öl", "Wow"]


def test_a_card_the_rule_accepts_takes_at_most_three_lines_on_the_board(
    server: ServerProcess, new_context
) -> None:  # type: ignore[no-untyped-def]
    trainer = new_context(CONSOLE).new_page()
    code = create_workshop(trainer, server)
    texts = longest_cards(WORDS, 14)
    cookies = {c["name"]: c["value"] for c in trainer.context.cookies()}
    headers = {"origin": server.url}
    with (
        httpx.Client(base_url=server.url, headers=headers, cookies=cookies) as console,
        httpx.Client(base_url=server.url, headers=headers) as phone,
    ):
        assert console.post(f"/w/{code}/t/card-colours", data=ALL_COLOURS).status_code == 204
        assert phone.get(f"/join/{code}").status_code == 303
        for text in texts:
            sent = phone.post(f"/w/{code}/cards", data={"text": text, "colour": "yellow"})
            assert sent.status_code == 200, (text, sent.text)
        longer = phone.post(f"/w/{code}/cards", data={"text": texts[0] + " Mut und mehr"})
        assert longer.status_code == 422 and "Zeilen" in longer.text  # the server's word
        for heading in ("Haltung", "Tempo"):
            assert (
                console.post(f"/w/{code}/t/cluster-new", data={"heading": heading}).status_code
                == 204
            )
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    for size in (PROJECTOR, SMALL_PROJECTOR):
        board.set_viewport_size(size)
        board.wait_for_function(
            "() => document.getElementById('board-wall').dataset.fitted"
            " === innerWidth + 'x' + innerHeight"
        )
        lines = board.locator("#board-wall .card__text").evaluate_all(f"els => els.map({LINES})")
        assert len(lines) == len(texts)
        assert max(lines) <= MAX_LINES, dict(zip(texts, lines, strict=True))
        board.screenshot(
            path=SCREENSHOTS / f"reveal-three-lines-{size['width']}x{size['height']}.png"
        )
