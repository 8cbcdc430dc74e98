"""A whole Metaplan day in real Chromium: a board, the trainer's console and four phones.

The trainer plans the day on the start page with two participant groups ("Führung",
"Mitarbeitende"); each phone picks its group on joining. Erwartungen und Befürchtungen
(the phones and the board show what the colours mean) → a Kartenabfrage collected
hidden and revealed card by card ("Nächste Karte": the board shows it large, then on the
wall) → clusters → one cluster parked in the Themenspeicher → a dots step takes its
options from the Themenspeicher, its result shown by group → the top topics into the
Maßnahmenplan with Mit wem and Status → the closing Feedback (Zielscheibe, Blitzlicht)
→ the Markdown protocol from the console's export link holds all of it.

Everything is clicked and typed as trainer and participants would; nothing is posted
over HTTP. The server's anonymity minimum is set to two, so two people per group (four
phones, not six) are enough for each group's own result. Screenshots land in
tests/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PROJECTOR, SCREENSHOTS, phone_options
from tests.browser.test_reveal import write as write_in_colour
from tests.browser.test_room import online, write_card
from tests.browser.test_topics import CARDS, cluster_the_cards
from tests.conftest import ScaledOut
from tests.serverprocess import ServerProcess

expect.set_options(timeout=15_000)

CONSOLE = {"width": 1366, "height": 768}
GROUPS = {"Führung": 2, "Mitarbeitende": 2}  # people per group: the minimum each
# The day's agenda, ticked on the start page in this order.
AGENDA = ["erwartungen-befuerchtungen", "step:cards", "step:dots", "massnahmenplan", "feedback"]
EXPECTATIONS = ["Konkrete Beispiele", "Zeit für Fragen"]
CONCERNS = ["Zu viel Theorie", "Am Ende ändert sich nichts"]
OWN_TOPIC = "Wartezeiten an der Kasse"
PARKED = "Erreichbarkeit"  # a cluster of CARDS
TAKEN_AWAY = ["Mehr zuhören", "Rückruf am selben Tag", "Zuhören lohnt sich", "Mut zur Lücke"]
CRITERIA = ["Inhalte", "Methoden", "Atmosphäre", "Nutzen für mich"]


@pytest.fixture
def server(tmp_path: Path, scaled_out: ScaledOut) -> Iterator[ServerProcess]:
    """Two people a group suffice for a group's own result (the default asks three). On
    the suite's PostgreSQL run: two processes on PostgreSQL and Redis (scaled_out)."""
    process = ServerProcess(
        tmp_path / "data",
        environment=os.environ | {"BOARD_GROUP_MINIMUM": "2"} | scaled_out.environment,
        arguments=scaled_out.arguments,
    )
    process.start()
    yield process
    process.stop()


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name)


def plan_the_day(console: Page, server: ServerProcess) -> str:
    console.goto(f"{server.url}/")
    console.fill("#title", "Servicetag")
    console.fill("#groups", "\n".join(GROUPS))
    for key in AGENDA:
        console.check(f'input[name=exercise][value="{key}"]')
    expect(console.locator("#plan .plan__item")).to_have_count(len(AGENDA))
    console.get_by_role("button", name="Workshop anlegen").click()
    expect(console).to_have_url(re.compile(r"/w/[A-Z0-9]{6}/trainer$"))
    online(console)
    return console.url.split("/")[4]


def next_step(console: Page, kind: str, *screens: Page) -> None:
    """The trainer taps "Weiter →"; the board and phones follow with the next question."""
    before = [screen.locator("h1").first.inner_text() for screen in screens]
    console.get_by_role("button", name="Weiter →").click()
    expect(console.locator(f'#console-step[data-kind="{kind}"]')).to_be_visible()
    for screen, question in zip(screens, before, strict=True):
        expect(screen.locator("h1").first).not_to_have_text(question)


@pytest.mark.scaled_out
def test_a_metaplan_day_from_expectations_to_the_protocol(
    server: ServerProcess, new_context
) -> None:  # type: ignore[no-untyped-def]
    console = new_context(CONSOLE).new_page()
    code = plan_the_day(console, server)
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)

    # Four phones join; each picks its group.
    phones: dict[str, list[Page]] = {group: [] for group in GROUPS}
    for group, people in GROUPS.items():
        for _ in range(people):
            phone = new_context(**phone_options()).new_page()
            phone.goto(f"{server.url}/join/{code}")
            online(phone)
            ask = phone.locator("#my-group.my-group--ask")
            ask.get_by_role("button", name=group, exact=True).click()
            expect(phone.locator("#my-group summary")).to_contain_text(group)
            phones[group].append(phone)
    everyone = [phone for group in phones.values() for phone in group]
    first = everyone[0]

    # Erwartungen und Befürchtungen: the phones offer the colours by their meaning, the
    # board shows the legend; collected hidden, then revealed all at once.
    expect(first.locator(".colour")).to_have_text(["Erwartung", "Befürchtung"])
    expect(board.locator(".legend")).to_contain_text("Erwartung")
    expect(board.locator(".legend")).to_contain_text("Befürchtung")
    for phone, text in zip(everyone, EXPECTATIONS + CONCERNS, strict=True):
        write_in_colour(phone, text, "Erwartung" if text in EXPECTATIONS else "Befürchtung")
    expect(board.locator(".hidden-counter__n")).to_have_text("4")
    snap(first, "day-phone-erwartungen-390x844.png")
    console.get_by_role("button", name="Alle aufdecken").click()
    expect(board.locator("#board-wall .card")).to_have_count(4)

    # The Kartenabfrage: collected hidden, revealed one card at a time.
    next_step(console, "cards", board, first)
    console.get_by_role("button", name="Verdeckt sammeln").click()
    texts = [text for group in CARDS.values() for text in group]
    for phone, text in zip(everyone, texts, strict=False):
        write_card(phone, text)
    expect(board.locator(".hidden-counter__n")).to_have_text(str(len(texts)))
    console.get_by_role("button", name="Nächste Karte").click()
    stage = board.locator(".reveal-stage__card")
    expect(stage).to_have_count(1)
    shown = stage.inner_text().strip()
    assert shown in texts
    expect(board.locator("#board-wall .card")).to_have_count(1)  # the others still hidden
    snap(board, "day-board-next-card-1920x1080.png")
    console.get_by_role("button", name="Nächste Karte").click()
    expect(stage).not_to_have_text(shown)
    expect(board.locator("#board-wall .card__text", has_text=shown)).to_have_count(1)
    console.get_by_role("button", name="Alle aufdecken").click()
    expect(board.locator("#board-wall .card")).to_have_count(len(texts))
    expect(board.locator(".reveal-stage")).to_have_count(0)

    # Clusters, one of them parked in the Themenspeicher, and a topic of the trainer's.
    cluster_the_cards(console)
    expect(board.locator("#board-wall .cluster", has_text=PARKED)).to_have_count(1)
    console.locator(".cluster[data-target]", has_text=PARKED).locator(".cluster__edit").click()
    console.locator("[data-action=park-cluster]").click()
    topics = console.locator("#console-topics")
    expect(topics.locator(".topic input[name=title]")).to_have_value(PARKED)
    console.fill("#topic-new", OWN_TOPIC)
    console.get_by_role("button", name="Aufnehmen").click()
    expect(topics.locator(".topic input[name=title]")).to_have_count(2)

    # The dots step takes the Themenspeicher as its options; the result by group.
    next_step(console, "dots", board, first)
    console.locator("[data-action=dots-from-topics]").click()
    # One dot each (two topics: the budget is one): the Führung both for the parked
    # cluster, the Mitarbeitenden one each.
    choices = [PARKED, PARKED, PARKED, OWN_TOPIC]
    for phone, choice in zip(everyone, choices, strict=True):
        # The Themenspeicher's topics, not the clusters the step offered before.
        expect(phone.locator(".dot-option__label")).to_have_text([PARKED, OWN_TOPIC])
        phone.get_by_role("button", name=f"Punkt setzen: {choice}").click()
        mine = phone.locator(".dot-option", has_text=choice).locator(".dots--mine i")
        expect(mine).to_have_count(1)
    expect(board.locator(".ranking__option").first).to_have_text(PARKED)
    console.locator('[data-action="split-on"]').click()
    split = board.locator(".ranking--split")
    expect(split).to_be_visible()
    heads = split.locator("thead th").all_inner_texts()
    assert any("Führung" in h for h in heads) and any("Mitarbeitende" in h for h in heads), heads
    row = split.locator("tr", has_text=PARKED)
    # Everyone, Führung, Mitarbeitende: each column from the clicks above.
    expect(row.locator(".ranking__dots")).to_have_text(["3", "2", "1"])
    expect(split.locator("tr", has_text=OWN_TOPIC).locator(".ranking__dots")).to_have_text(
        ["1", "0", "1"]
    )
    expect(board.locator("[data-folded]")).to_have_count(0)  # both groups large enough
    snap(board, "day-board-dots-by-group-1920x1080.png")

    # The top topics into the Maßnahmenplan; the trainer fills in Mit wem and Status.
    console.locator("[data-action=dots-top-actions]").click()
    expect(topics).to_contain_text("im Maßnahmenplan")
    next_step(console, "actions", board)
    row = console.locator(
        "[data-action-item]", has=console.locator("textarea[name=what]", has_text=PARKED)
    )
    expect(row).to_have_count(1)
    row.locator("input[name=who]").fill("Frau Albers")
    row.locator("input[name=with_whom]").fill("Vertrieb")
    row.locator("select[name=status]").select_option(label="in Arbeit")
    row.get_by_role("button", name="Speichern").click()
    board_row = board.locator("[data-action-item]", has_text=PARKED)
    expect(board_row).to_contain_text("Vertrieb")
    expect(board_row.locator(".status")).to_have_text("in Arbeit")
    expect(board.locator("[data-action-item]")).to_have_count(2)

    # Feedback: the Zielscheibe, hidden until every phone has set its dots.
    next_step(console, "target", board, first)
    for i, phone in enumerate(everyone):
        expect(phone.locator(".target-row__name")).to_have_count(len(CRITERIA))
        for criterion in range(len(CRITERIA)):
            ring = (i + criterion) % 3
            choice = phone.locator(".target-row").nth(criterion).locator(".ring-choice").nth(ring)
            choice.click()
            expect(
                phone.locator(".target-row").nth(criterion).locator(".ring-choice").nth(ring)
            ).to_have_attribute("aria-pressed", "true")
    snap(first, "day-phone-target-390x844.png")
    expect(board.locator("#board-wall [data-count]")).to_have_text("4")
    expect(board.locator(".target__dot")).to_have_count(0)
    console.locator("[data-action=reveal]").click()
    expect(board.locator("#board-wall .target__dot")).to_have_count(4 * len(CRITERIA))
    for name in CRITERIA:
        expect(board.locator("#board-wall .target__label", has_text=name)).to_have_count(1)
    snap(board, "day-board-target-1920x1080.png")

    # The Blitzlicht: what each takes away, then all together on the board.
    next_step(console, "flash", board, first)
    for phone, text in zip(everyone, TAKEN_AWAY, strict=True):
        phone.fill("#blitz-text", text)
        phone.get_by_role("button", name="Senden").click()
        expect(phone.locator(".blitz-mine__text")).to_have_text(text)
    expect(board.locator(".hidden-counter__n")).to_have_text("4")
    console.locator("[data-action=reveal]").click()
    console.locator(".blitz-controls [data-view=all]").click()
    expect(board.locator(".blitz__item")).to_have_count(len(TAKEN_AWAY))
    assert sorted(board.locator(".blitz__item").all_inner_texts()) == sorted(TAKEN_AWAY)
    snap(board, "day-board-flash-1920x1080.png")

    # The protocol, from the console's export link.
    with console.expect_download() as download:
        console.locator(".exports a[data-format=md]").click()
    protocol = Path(download.value.path()).read_text(encoding="utf-8")
    assert_the_protocol_tells_the_day(protocol)


def section(protocol: str, heading: str) -> str:
    """The text under the first heading that contains ``heading``, up to the next one."""
    found = re.search(
        rf"^#+ [^\n]*{re.escape(heading)}[^\n]*\n(.*?)(?=^#+ |\Z)", protocol, re.M | re.S
    )
    assert found is not None, (heading, protocol)
    return found.group(1)


def assert_the_protocol_tells_the_day(protocol: str) -> None:
    for text in EXPECTATIONS + CONCERNS + [t for g in CARDS.values() for t in g]:
        assert text in protocol, text
    storage = section(protocol, "Themenspeicher")
    assert PARKED in storage and OWN_TOPIC in storage
    plan_row = next(
        line
        for line in protocol.splitlines()
        if line.startswith("|") and PARKED in line and "Vertrieb" in line
    )
    assert "Frau Albers" in plan_row and "in Arbeit" in plan_row, plan_row
    for name in CRITERIA:
        assert any(line.startswith(f"| {name} |") for line in protocol.splitlines()), name
    for text in TAKEN_AWAY:
        assert f"- {text}" in protocol, text
