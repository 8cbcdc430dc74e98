"""Results on the projector, read from the back row, and the timer's last minute.

Twelve phones vote in every kind of exercise (OK-Corral, Themenspeicher, scale, mood,
SpeedMeet, Maßnahmenplan); one board is resized through the projector sizes. The
assertions are the figures a trainer would check with a tape measure: how much of the
screen a result uses, how large its labels are, that no dot hides a count and no
quadrant name leaves its quadrant. Screenshots land in tests/screenshots/.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import BOXES, DEADLINE, NO_SIDEWAYS_SCROLL, SCREENSHOTS, phone_options
from tests.serverprocess import ServerProcess

expect.set_options(timeout=DEADLINE * 1000)

EXERCISES = [
    "ok-corral",
    "8ps-beziehungsmarketing",
    "kunde-koenig",
    "unsere-wanderung",
    "speedmeet",
    "massnahmenplan",
]
PROJECTORS = [(1024, 768), (1280, 720), (1920, 1080)]
PHONES = [(390, 844), (844, 390)]
PHONE_COUNT = 12
WORDS = ["Gut", "Anstrengend", "Spannend", "Holprig", "Auf Kurs", "Neblig"]
ACTIONS = [
    ("Rückrufe binnen 24 Stunden", "Team Service", "Ende Mai"),
    ("Beschwerdeleitfaden überarbeiten", "Kim", "Juni"),
    ("Kundenbefragung nach dem Kauf", "Marketing", "Q3"),
    ("Schulung Telefonfreundlichkeit für alle neuen Kolleg*innen", "Personal", "September"),
]


@dataclass
class Room:
    server: ServerProcess
    code: str
    trainer: httpx.Client
    steps: dict[str, str]  # kind -> id of its first step

    def go(self, kind: str) -> None:
        response = self.act("step-go", step_id=self.steps[kind])
        assert response.status_code == 204, response.text

    def act(self, action: str, **fields: str) -> httpx.Response:
        return self.trainer.post(f"/w/{self.code}/t/{action}", data=fields)


def first_steps(data_dir: Path) -> dict[str, str]:
    with sqlite3.connect(data_dir / "board.sqlite3") as db:
        rows = db.execute("SELECT kind, id FROM steps ORDER BY position DESC").fetchall()
    return dict(rows)  # the first of each kind wins: rows come last to first


def vote_everywhere(room: Room, phones: list[httpx.Client]) -> None:
    """Every phone answers every exercise; hidden results are revealed."""
    rng = random.Random(11)
    code, steps = room.code, room.steps

    def post(phone: httpx.Client, path: str, **fields: object) -> httpx.Response:
        return phone.post(f"/w/{code}/{path}", data={"step_id": steps[kind], **fields})

    kind = "grid"
    room.go(kind)
    # The corners first: a dot where a count used to stand.
    corners = [(1, 1), (-1, 1), (-1, -1), (1, -1), (0.97, 0.95), (-0.9, -0.98)]
    for i, phone in enumerate(phones):
        for situation in range(3):
            x, y = corners[i] if i < len(corners) else (rng.uniform(-1, 1), rng.uniform(-1, 1))
            assert post(phone, "vote", situation=situation, x=x, y=y).status_code == 200
    room.act("reveal")
    kind = "dots"
    room.go(kind)
    for phone in phones:
        for _ in range(3):
            post(phone, "vote", option=str(rng.choice([0, 1, 2, 4, 6, 6, 7])), delta=1)
    room.act("reveal")
    kind = "scale"
    room.go(kind)
    for phone in phones:
        assert post(phone, "vote", value=rng.choice([0, 1, 1, 2, 3])).status_code == 200
    room.act("reveal")
    kind = "mood"
    room.go(kind)
    for i, phone in enumerate(phones):
        word = WORDS[i % len(WORDS)] if i % 2 else ""
        assert post(phone, "vote", value=rng.choice([0, 1, 1, 2, 3]), word=word).status_code == 200
    room.act("reveal")
    kind = "actions"
    room.go(kind)
    for phone, (what, who, due) in zip(phones, ACTIONS, strict=False):
        assert post(phone, "actions", what=what, who=who, due=due).status_code == 200
    kind = "pairs"
    room.go(kind)
    for i, phone in enumerate(phones[:9]):
        assert post(phone, "pairs/join", nickname=f"Person {i + 1}").status_code == 200
    assert room.act("pairs-start").status_code == 204


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    data_dir = tmp_path_factory.mktemp("results") / "data"
    server = ServerProcess(data_dir)
    server.start()
    headers = {"origin": server.url}
    trainer = httpx.Client(base_url=server.url, headers=headers)
    form = {"title": "Servicetag", "exercise": EXERCISES}
    created = trainer.post("/workshops", data=form)
    assert created.status_code == 303, created.text
    code = re.search(r"/w/([A-Z0-9]{6})/", created.headers["location"]).group(1)  # type: ignore[union-attr]
    room = Room(server, code, trainer, first_steps(data_dir))
    phones = [httpx.Client(base_url=server.url, headers=headers) for _ in range(PHONE_COUNT)]
    for phone in phones:
        assert phone.get(f"/join/{code}").status_code == 303
    vote_everywhere(room, phones)
    for phone in phones:
        phone.close()
    yield room
    trainer.close()
    server.stop()


@pytest.fixture(scope="module")
def board(browser: Browser, room: Room) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="de-DE")
    context.set_default_timeout(DEADLINE * 1000)
    page = context.new_page()
    page.goto(f"{room.server.url}/w/{room.code}/board")
    expect(page.locator("html")).to_have_attribute("data-connection", "open")
    yield page
    context.close()


def show(board: Page, room: Room, kind: str, size: tuple[int, int]) -> None:
    room.go(kind)
    board.set_viewport_size({"width": size[0], "height": size[1]})
    expect(board.locator(f"#board-wall.wall--{kind}")).to_have_count(1)
    # fit.js settles on resize; wait until the wall no longer overflows.
    fits = (
        "() => { const w = document.getElementById('board-wall');"
        " return w.scrollHeight <= w.clientHeight + 2; }"
    )
    try:
        board.wait_for_function(fits)
    except PlaywrightError:
        figures = board.evaluate(
            "() => { const w = document.getElementById('board-wall');"
            " return [w.scrollHeight, w.clientHeight, w.dataset.fit]; }"
        )
        snap(board, f"overflow-{kind}-{size[0]}x{size[1]}.png")
        raise AssertionError(f"{kind} at {size} overflows the wall: {figures}") from None


def boxes(board: Page, selector: str) -> list[list[float]]:
    return board.locator(selector).evaluate_all(BOXES)  # type: ignore[no-any-return]


def font_px(board: Page, selector: str) -> float:
    size = board.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    return float(size)


def inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def union(rects: list[list[float]]) -> list[float]:
    return [
        min(r[0] for r in rects),
        min(r[1] for r in rects),
        max(r[2] for r in rects),
        max(r[3] for r in rects),
    ]


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


# Per kind: the result's main element, and its main labels (read from the back row).
MAIN = {
    "scale": (".chart--bars", ".bar-rows__label"),
    "dots": (".ranking", ".ranking__option"),
    "mood": (".result--mood", ".bar-rows__label"),  # bars, and the words beside them
    "actions": (".actions-table", ".actions-table td"),
    "pairs": (".tables", ".tables__table b"),
}


@pytest.mark.parametrize("size", PROJECTORS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_result_fills_the_wall_and_reads_from_the_back_row(
    board: Page, room: Room, size: tuple[int, int]
) -> None:
    width, height = size
    for kind, (main, label) in MAIN.items():
        show(board, room, kind, size)
        snap(board, f"results-{kind}-{width}x{height}.png")
        [box] = boxes(board, main)
        assert box[2] - box[0] >= 0.8 * width, (kind, box)
        assert box[3] <= height, (kind, box)  # nothing below the screen's edge
        assert board.evaluate(NO_SIDEWAYS_SCROLL), kind
        assert font_px(board, label) >= height / 45, (kind, font_px(board, label))
    # The bars use the height too, not only a strip at the top.
    show(board, room, "scale", size)
    [wall] = boxes(board, "#board-wall")
    [bars] = boxes(board, ".chart--bars")
    assert bars[3] - bars[1] >= 0.6 * (wall[3] - wall[1])


@pytest.mark.parametrize("size", [*PROJECTORS, (3840, 2160)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_ok_corral_grids_are_large_with_names_and_counts_in_their_quadrants(
    board: Page, room: Room, size: tuple[int, int]
) -> None:
    width, height = size
    show(board, room, "grid", size)
    snap(board, f"results-grid-{width}x{height}.png")
    assert board.evaluate(NO_SIDEWAYS_SCROLL)
    [wall] = boxes(board, "#board-wall")
    fields = board.locator(".grid-result .okfield")
    expect(fields).to_have_count(3)
    squares = boxes(board, ".grid-result .okfield__dots")
    cells = boxes(board, ".grid-result__fit")
    for square, field, cell in zip(squares, boxes(board, ".okfield"), cells, strict=True):
        assert field[3] <= wall[3] + 1  # the whole field on screen, no scrolling
        # As large as the wall allows: the field fills its share's width or its height.
        wide = (field[2] - field[0]) / (cell[2] - cell[0])
        high = (field[3] - field[1]) / (cell[3] - cell[1])
        used = max(wide, high)
        assert used >= 0.97, (field, cell)
        if width >= 1920:  # where the header leaves the wall most of the screen
            assert square[2] - square[0] >= 0.3 * height, square
    # A row of fields starts on one line, whatever its titles' lengths.
    assert max(s[1] for s in squares) - min(s[1] for s in squares) < 1.5, squares
    assert font_px(board, ".okfield__axis") >= height / 45
    for i in range(3):
        field = fields.nth(i)
        dots = field.locator(".grid__dot").evaluate_all(BOXES)
        assert len(dots) == PHONE_COUNT  # every dot, not an average
        for corner in ("top_left", "top_right", "bottom_left", "bottom_right"):
            quadrant = union(field.locator(f"[data-corner={corner}]").evaluate_all(BOXES))
            [name] = field.locator(f".okfield__band--{corner} .okfield__name").evaluate_all(BOXES)
            assert inside(name, quadrant), (corner, name, quadrant)
            [count] = field.locator(f"[data-quadrant={corner}]").evaluate_all(BOXES)
            assert inside(count, quadrant), (corner, count, quadrant)
            assert not [d for d in dots if overlap(d, count)], corner


def test_titles_of_different_length_keep_the_fields_in_line(board: Page, room: Room) -> None:
    show(board, room, "grid", (1024, 768))
    titles = boxes(board, ".grid-result__title")
    lines = board.locator(".grid-result__title").evaluate_all(
        "els => els.map(e => e.getClientRects().length &&"
        " Math.round(e.scrollHeight / parseFloat(getComputedStyle(e).lineHeight)))"
    )
    squares = boxes(board, ".grid-result .okfield__dots")
    # The scene this test is about: one title wraps, another does not …
    assert max(lines) >= 2 and min(lines) == 1, lines
    # … and the fields still start on one line (titles share their row's height).
    assert max(s[1] for s in squares) - min(s[1] for s in squares) < 1.5, (titles, squares)


@pytest.mark.parametrize("size", PHONES, ids=lambda s: f"phone-{s[0]}x{s[1]}")
def test_phones_show_the_results_without_sideways_scrolling(
    browser: Browser, room: Room, size: tuple[int, int]
) -> None:
    options = phone_options() | {"viewport": {"width": size[0], "height": size[1]}}
    context = browser.new_context(locale="de-DE", **options)  # type: ignore[arg-type]
    context.set_default_timeout(DEADLINE * 1000)
    phone = context.new_page()
    try:
        phone.goto(f"{room.server.url}/join/{room.code}")
        for kind in ("grid", *MAIN):
            room.go(kind)
            phone.goto(f"{room.server.url}/w/{room.code}/wall")
            expect(phone.locator(f"#board-wall.wall--{kind}")).to_have_count(1)
            SCREENSHOTS.mkdir(exist_ok=True)
            phone.screenshot(
                path=str(SCREENSHOTS / f"results-{kind}-phone-{size[0]}x{size[1]}.png"),
                full_page=True,
            )
            assert phone.evaluate(NO_SIDEWAYS_SCROLL), kind
    finally:
        context.close()


def test_the_last_minute_shows_large_then_gongs_and_the_next_step_clears_it(
    board: Page, room: Room
) -> None:
    show(board, room, "scale", (1280, 720))
    assert room.act("timer-start", minutes="1").status_code == 204  # all of it the last minute
    timer = board.locator("#timer")
    expect(timer).to_have_attribute("data-phase", "final")
    snap(board, "timer-final-1280x720.png")
    assert font_px(board, "#timer") >= 0.2 * 720  # digits a fifth of the screen high
    [qr] = boxes(board, ".board__qr")
    [big] = boxes(board, "#timer")
    assert not overlap(big, qr)  # the join code stays readable
    # Browsers play sound only after a gesture: the board offers one, and any click will do.
    sound_on = board.locator(".timer__sound")
    expect(sound_on).to_be_visible()
    sound_on.click()
    expect(board.locator("body")).to_have_attribute("data-sound", "on")
    expect(sound_on).to_be_hidden()
    assert room.act("timer-start", minutes="0.05").status_code == 204  # three seconds
    expect(timer).to_have_attribute("data-phase", "up")
    expect(timer.locator(".countdown")).to_have_text("Die Zeit ist um!")
    expect(board.locator("body")).to_have_attribute("data-gong-rang", "played")
    snap(board, "timer-up-1280x720.png")
    room.go("dots")
    expect(board.locator("#board-wall.wall--dots")).to_have_count(1)
    expect(timer).to_have_class(re.compile(r"\btimer--off\b"))
    expect(board.locator("#timer .countdown")).to_have_count(0)
    expect(board.get_by_text("Die Zeit ist um!")).to_have_count(0)
