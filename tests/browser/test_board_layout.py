"""The board at every projector size: everything on screen, card text readable from the back.

One workshop per set of cards (10 or 80, even clusters or one of 30), filled over
HTTP; one board page resized through 1024×768 … 3840×2160. At each size: no sideways
scrolling, every card inside the screen and the wall, the whole join code visible,
the join box at most a fifth of the height, and the card text at least 1/45 of the
screen height (up to 30 cards) or 1/60 (80 cards) — what the back row of a seminar
room needs. And the join display: the slide on an empty first step, and the console's
buttons switching slide, box and strip on the board live.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LAPTOP, SCREENSHOTS, ServerProcess
from tests.browser.test_room import ALL_COLOURS, online

expect.set_options(timeout=15_000)

SIZES = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (3840, 2160)]
IDEAS = [
    "Freundlichkeit am Telefon",
    "Schnelle Antworten",
    "Mitdenken statt abwimmeln",
    "Ehrlich bei Fehlern",
    "Termine halten",
    "Zuhören, bevor man antwortet",
    "Überraschen: mehr als erwartet",
    "Namen merken",
    "Rückruf wie versprochen",
    "Lösung statt Zuständigkeit",
    "Kulanz im Zweifel",
    "Klare Sprache ohne Fachchinesisch",
    "Beschwerden als Geschenk",
    "Persönlicher Ansprechpartner",
    "Nachfassen nach dem Kauf",
    "Wartezeiten offen ansagen",
]
COLOURS = ["yellow", "white", "orange", "green", "blue", "pink"]
HEADINGS = ["Haltung", "Tempo", "Verlässlichkeit", "Kommunikation", "Kulanz", "Beziehung"]
HEADINGS += ["Service nach dem Kauf", "Erreichbarkeit"]

# Cards per cluster; what is left over of ``cards`` stays unsorted.
WALLS = {
    "10-even": (10, [3, 3, 3]),
    "10-skewed": (10, [6, 2, 1]),
    "80-even": (80, [10] * 8),
    "80-skewed": (80, [30, 12, 10, 8, 6, 5, 4, 3]),
}
LONG_QUESTION = (
    "Was macht für Sie echte Kundenbegeisterung aus – am Telefon, im Laden, bei einer"
    " Beschwerde und lange nach dem Kauf?"
)
# The smallest card text, as a share of the screen's height.
LEAST_TEXT = {10: 1 / 45, 80: 1 / 60}

MEASURE = """() => {
  const wall = document.getElementById('board-wall').getBoundingClientRect();
  const inside = (r, o) => r.left >= o.left - 1 && r.right <= o.right + 1
    && r.top >= o.top - 1 && r.bottom <= o.bottom + 1;
  const screen = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  const cards = [...document.querySelectorAll('#board-wall .card')];
  const code = document.querySelector('.board__code');
  const codeBox = code.getBoundingClientRect();
  return {
    scrollWidth: document.documentElement.scrollWidth,
    cards: cards.length,
    outside: cards.filter(c => {
      const r = c.getBoundingClientRect();
      return !inside(r, screen) || !inside(r, wall);
    }).map(c => c.textContent.trim()),
    smallestText: Math.min(...[...document.querySelectorAll('#board-wall .card__text')]
      .map(p => parseFloat(getComputedStyle(p).fontSize))),
    codeInside: inside(codeBox, screen),
    codeClipped: code.scrollWidth > code.clientWidth,
    joinHeight: document.querySelector('.board__join').getBoundingClientRect().height,
  };
}"""


@dataclass
class Wall:
    code: str
    cards: int


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module: the walls are set up once and looked at many times."""
    process = ServerProcess(tmp_path_factory.mktemp("layout") / "data")
    process.start()
    yield process
    process.stop()


def new_workshop(server: ServerProcess) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, headers={"origin": server.url})
    response = client.post("/workshops", data={"title": "Kundenbegeisterung"})
    assert response.status_code == 303, response.text
    return client, response.headers["location"].split("/")[2]


def fill(server: ServerProcess, name: str) -> Wall:
    """A workshop whose wall holds ``WALLS[name]``: phones write, the trainer sorts."""
    total, sizes = WALLS[name]
    trainer, code = new_workshop(server)
    assert trainer.post(f"/w/{code}/t/card-colours", data=ALL_COLOURS).status_code == 204
    phones = [httpx.Client(base_url=server.url, headers={"origin": server.url}) for _ in range(8)]
    for phone in phones:
        assert phone.get(f"/join/{code}").status_code == 303
    for i in range(total):
        text = IDEAS[i % len(IDEAS)] + ("" if i < len(IDEAS) else f" ({i // len(IDEAS) + 1})")
        data = {"text": text, "colour": COLOURS[i % len(COLOURS)], "client_id": f"c{i}"}
        answer = phones[i % len(phones)].post(f"/w/{code}/cards", data=data)
        assert answer.status_code == 200, answer.text
    for heading in HEADINGS[: len(sizes)]:
        done = trainer.post(f"/w/{code}/t/cluster-new", data={"heading": heading})
        assert done.status_code == 204
    console = trainer.get(f"/w/{code}/trainer").text
    ids = re.findall(r'<article class="card[^"]*" data-card="([^"]+)"', console)
    clusters = re.findall(r'<div class="cluster(?: [^"]*)?" data-cluster="([^"]+)"', console)
    assert len(ids) == total and len(clusters) == len(sizes)
    at = 0
    for cluster, size in zip(clusters, sizes, strict=True):
        for card in ids[at : at + size]:
            data = {"card_id": card, "cluster_id": cluster}
            assert trainer.post(f"/w/{code}/t/card-move", data=data).status_code == 204
        at += size
    if total > 30:  # a question over two lines, as trainers write them
        question = {"question": LONG_QUESTION}
        assert trainer.post(f"/w/{code}/t/question", data=question).status_code == 204
    # A running timer: it sits in the header too.
    assert trainer.post(f"/w/{code}/t/timer-start", data={"minutes": "45"}).status_code == 204
    for client in [trainer, *phones]:
        client.close()
    return Wall(code, total)


def fitted(page: Page) -> None:
    """Wait until fit.js has laid out the wall for the page's present size."""
    page.wait_for_function(
        "() => document.getElementById('board-wall').dataset.fitted"
        " === innerWidth + 'x' + innerHeight"
    )


@pytest.mark.parametrize("name", sorted(WALLS))
def test_the_wall_fits_every_projector(room: ServerProcess, browser: Browser, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    wall = fill(room, name)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{room.url}/w/{wall.code}/board")
    online(page)
    expect(page.locator("#board-wall .card")).to_have_count(wall.cards)
    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        fitted(page)
        page.screenshot(path=SCREENSHOTS / f"board-{name}-{width}x{height}.png")
        seen = page.evaluate(MEASURE)
        at = f"{name} at {width}×{height}"
        least = height * LEAST_TEXT[wall.cards]
        if seen["scrollWidth"] > width:
            problems.append(f"{at}: scrolls sideways ({seen['scrollWidth']} px wide)")
        if seen["outside"]:
            problems.append(f"{at}: cards cut off: {seen['outside'][:3]}")
        if not seen["codeInside"] or seen["codeClipped"]:
            problems.append(f"{at}: the join code is cut off")
        if seen["joinHeight"] > height / 5 + 1:
            problems.append(f"{at}: join box {seen['joinHeight']:.0f} px high")
        if seen["smallestText"] < least:
            problems.append(f"{at}: card text {seen['smallestText']:.1f} px < {least:.1f} px")
    context.close()
    assert not problems, "\n".join(problems)


def test_the_join_slide_on_an_empty_first_step_and_from_the_console(
    room: ServerProcess, browser: Browser
) -> None:
    trainer_http, code = new_workshop(room)
    board_context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="de-DE")
    board = board_context.new_page()
    board.goto(f"{room.url}/w/{code}/board")
    online(board)
    join = board.locator(".board__join")
    mode = board.locator("#board-join-mode")

    # Nobody has written yet on the first step: the slide fills the screen by itself.
    expect(mode).to_have_attribute("data-join", "slide")
    box = join.bounding_box()
    assert box and box["width"] >= 1920 - 1 and box["height"] >= 1080 - 1
    qr = board.locator(".board__qr").bounding_box()
    assert qr and qr["height"] >= 1080 * 0.6, "the QR code must be huge on the slide"
    code_box = board.locator(".board__code").bounding_box()
    assert code_box and code_box["x"] + code_box["width"] <= 1920
    board.screenshot(path=SCREENSHOTS / "board-join-slide-1920x1080.png")
    board.set_viewport_size({"width": 1024, "height": 768})
    board.screenshot(path=SCREENSHOTS / "board-join-slide-1024x768.png")
    code_box = board.locator(".board__code").bounding_box()
    assert code_box and code_box["x"] + code_box["width"] <= 1024
    assert board.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    board.set_viewport_size({"width": 1920, "height": 1080})

    # The first card ends it.
    phone = httpx.Client(base_url=room.url, headers={"origin": room.url})
    assert phone.get(f"/join/{code}").status_code == 303
    sent = phone.post(f"/w/{code}/cards", data={"text": "Da", "colour": "yellow"})
    assert sent.status_code == 200
    expect(mode).to_have_attribute("data-join", "box")
    box = join.bounding_box()
    assert box and box["height"] <= 1080 / 5 + 1

    # The console shows and hides it, and the strip.
    console_context = browser.new_context(viewport=LAPTOP, locale="de-DE")
    console_context.add_cookies(
        [
            {"name": c.name, "value": c.value or "", "url": room.url}
            for c in trainer_http.cookies.jar
        ]
    )
    console = console_context.new_page()
    console.goto(f"{room.url}/w/{code}/trainer")
    online(console)
    slide = console.get_by_role("button", name="Beitrittsfolie zeigen")
    in_header = console.get_by_role("button", name="QR-Code im Kopf")
    strip = console.get_by_role("button", name="Nur Code in der Ecke")
    expect(in_header).to_have_attribute("aria-pressed", "true")
    console.screenshot(path=SCREENSHOTS / "console-join-1280.png")

    slide.click()
    expect(mode).to_have_attribute("data-join", "slide")
    expect(slide).to_have_attribute("aria-pressed", "true")
    expect(in_header).to_have_attribute("aria-pressed", "false")
    expect(board.locator(".board__qr")).to_be_visible()

    strip.click()
    expect(mode).to_have_attribute("data-join", "strip")
    expect(strip).to_have_attribute("aria-pressed", "true")
    expect(board.locator(".board__qr")).to_be_hidden()
    expect(board.locator(".board__code")).to_have_text(f"{code[:3]}-{code[3:]}")
    box = join.bounding_box()
    assert box and box["height"] <= 1080 / 12
    board.screenshot(path=SCREENSHOTS / "board-join-strip-1920x1080.png")

    in_header.click()
    expect(mode).to_have_attribute("data-join", "box")
    expect(board.locator(".board__qr")).to_be_visible()
    console_context.close()
    board_context.close()
    phone.close()
    trainer_http.close()
