"""Small-group work in real Chromium, from splitting the room to the protocol.

Twelve phones join "Was ist Kundenbegeisterung?" (hidden cards, then dots on the
clusters). The trainer forms three groups in the console and runs the card step in them,
each group with its own question. Every phone writes a card its group will see only
after the reveal; one member per group takes the group console on their phone, reveals
the group's cards and clusters them. The projector shows the three walls side by side
(counters while hidden, then the cards), each group presents full-screen, the walls merge
into the plenary as clusters labelled with the group, the room dot-votes on the merged
clusters, and the Markdown protocol holds the groups and the plenary.

Screenshots of the projector (1024×768, 1280×720, 1920×1080) and of a group console on a
phone (390×844 and landscape) land in tests/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEADLINE, SCREENSHOTS, phone_options
from tests.browser.test_room import write_card
from tests.serverprocess import ServerProcess

expect.set_options(timeout=DEADLINE * 1000)
CONSOLE = {"width": 1366, "height": 768}
PROJECTORS = [(1024, 768), (1280, 720), (1920, 1080)]
QUESTIONS = ["Erreichbarkeit", "Beschwerden", "Wartezeiten"]
# What each group writes (four people a group) and how its group console clusters it.
CARDS = {
    "Erreichbarkeit": [
        "Rückruf am selben Tag",
        "Hotline ab 7 Uhr",
        "Chat auf der Website",
        "Rückruf zusagen",
    ],
    "Beschwerden": [
        "Zuhören statt rechtfertigen",
        "Kulanz ohne Formular",
        "Fehler zugeben",
        "Entschuldigung sofort",
    ],
    "Wartezeiten": [
        "Termin online buchen",
        "Wartezeit ansagen",
        "Kaffee im Wartebereich",
        "Zweite Kasse öffnen",
    ],
}
HEADINGS = {  # the first two cards of a group go under its cluster; the rest stay unsorted
    "Erreichbarkeit": "Rückrufe",
    "Beschwerden": "Haltung",
    "Wartezeiten": "Planbarkeit",
}


@dataclass
class Room:
    server: ServerProcess
    code: str
    trainer: httpx.Client


@pytest.fixture
def room(server: ServerProcess) -> Iterator[Room]:
    trainer = httpx.Client(base_url=server.url, headers={"origin": server.url})
    created = trainer.post(
        "/workshops", data={"title": "Kundenbegeisterung", "exercise": "kundenbegeisterung"}
    )
    assert created.status_code == 303, created.text
    code = re.search(r"/w/([A-Z0-9]{6})/", created.headers["location"]).group(1)  # type: ignore[union-attr]
    yield Room(server, code, trainer)
    trainer.close()


def with_trainer_cookies(room: Room, context) -> None:  # type: ignore[no-untyped-def]
    context.add_cookies(
        [
            {"name": c.name, "value": c.value or "", "url": room.server.url}
            for c in room.trainer.cookies.jar
        ]
    )


def online(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-connection", "open")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width  # type: ignore[index]


def smallest_text(page: Page, selector: str) -> float:
    sizes = page.locator(selector).evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes, selector
    return float(min(sizes))


def test_three_groups_write_cluster_present_merge_and_vote(room: Room, new_context) -> None:  # type: ignore[no-untyped-def]
    phones = []
    for _ in range(12):
        phone = new_context(**phone_options()).new_page()
        phone.goto(f"{room.server.url}/join/{room.code}")
        online(phone)
        phones.append(phone)
    console_context = new_context(CONSOLE)
    with_trainer_cookies(room, console_context)
    console = console_context.new_page()
    console.on("dialog", lambda dialog: dialog.accept())  # the merge asks first
    console.goto(f"{room.server.url}/w/{room.code}/trainer")
    online(console)
    board = new_context({"width": 1280, "height": 720}).new_page()
    board.goto(f"{room.server.url}/w/{room.code}/board")
    online(board)

    # Three groups at random, then the card step in them, each with its own question.
    console.locator("#team-form summary").click()
    console.locator("#teams-by").select_option("count")
    console.locator("#teams-number").fill("3")
    console.get_by_label("zufällig").check()
    console.locator("#team-form").get_by_role("button", name="Kleingruppen bilden").click()
    expect(console.locator("#console-teams .teams > .team")).to_have_count(3)
    console.locator("[data-action=teams-run]").click()
    walls = console.locator(".team-overview .team-wall")
    expect(walls).to_have_count(3)
    for i, question in enumerate(QUESTIONS):
        form = walls.nth(i).locator(".team-wall__question-form")
        form.locator("input[name=question]").fill(question)
        form.get_by_role("button").click()
        expect(board.locator(".team-wall").nth(i)).to_contain_text(question)

    # Every phone shows its group's question and writes a card of it, hidden.
    by_question: dict[str, list[Page]] = {q: [] for q in QUESTIONS}
    for phone in phones:
        line = phone.locator("#team-question b")
        expect(line).to_have_text(re.compile("^(" + "|".join(QUESTIONS) + ")$"))
        by_question[line.inner_text()].append(phone)
    assert sorted(len(members) for members in by_question.values()) == [4, 4, 4]
    for question, members in by_question.items():
        for phone, text in zip(members, CARDS[question], strict=True):
            write_card(phone, text)
    phone = by_question[QUESTIONS[0]][1]
    shoot(phone, "team-phone-390x844.png")
    no_sideways_scroll(phone)
    phone.set_viewport_size({"width": 844, "height": 390})
    shoot(phone, "team-phone-844x390.png")
    no_sideways_scroll(phone)
    phone.set_viewport_size({"width": 390, "height": 844})
    for i in range(3):
        expect(board.locator(".team-wall").nth(i).locator("[data-count]")).to_have_text("4")
    for texts in CARDS.values():
        for text in texts:
            expect(board.get_by_text(text)).to_have_count(0)
    for width, height in PROJECTORS:
        board.set_viewport_size({"width": width, "height": height})
        expect(board.locator("#board-wall")).to_have_attribute("data-fitted", f"{width}x{height}")
        shoot(board, f"team-walls-hidden-{width}x{height}.png")
        no_sideways_scroll(board)

    # One member per group takes the group console, reveals and clusters the group's cards.
    for question, members in by_question.items():
        holder = members[0]
        holder.locator("[data-action=team-console-take]").click()
        holder.locator("[data-action=team-console-open]").click()
        expect(holder.locator("#team-step")).to_contain_text(question)
        online(holder)
        expect(holder.locator(".tray .card")).to_have_count(0)  # hidden until revealed
        holder.locator("[data-action=team-reveal]").click()
        expect(holder.locator(".tray .card")).to_have_count(4)
        # Another group's card never shows here.
        for other, texts in CARDS.items():
            if other != question:
                expect(holder.get_by_text(texts[0])).to_have_count(0)
        heading = HEADINGS[question]
        holder.fill("#new-heading", heading)
        holder.locator(".tools__new").get_by_role("button", name="Anlegen").click()
        target = holder.locator(".cluster[data-target]", has_text=heading)
        expect(target).to_have_count(1)
        for text in CARDS[question][:2]:
            card = holder.locator(".tray .card", has_text=text)
            if card.get_attribute("aria-pressed") != "true":
                card.click()
            expect(card).to_have_attribute("aria-pressed", "true")
            target.locator(".cluster__heading").click()
            expect(target.locator(".card", has_text=text)).to_have_count(1)
        wall = board.locator(".team-wall", has_text=question)
        expect(wall.locator(".team-wall__heading", has_text=heading)).to_have_count(1)
        expect(wall.locator(".mini-card")).to_have_count(4)
    expect(walls.nth(2).locator(".team-wall__summary")).to_contain_text(HEADINGS[QUESTIONS[2]])
    shoot(console, "team-overview-1366x768.png")
    no_sideways_scroll(console)
    first_holder = by_question[QUESTIONS[0]][0]
    shoot(first_holder, "team-console-phone-390x844.png")
    no_sideways_scroll(first_holder)
    first_holder.set_viewport_size({"width": 844, "height": 390})
    shoot(first_holder, "team-console-phone-844x390.png")
    no_sideways_scroll(first_holder)
    for width, height in PROJECTORS:
        board.set_viewport_size({"width": width, "height": height})
        expect(board.locator("#board-wall")).to_have_attribute("data-fitted", f"{width}x{height}")
        shoot(board, f"team-walls-{width}x{height}.png")
        no_sideways_scroll(board)
        # Twelve cards on three walls stay readable from the back of the room.
        assert smallest_text(board, ".mini-card") >= height / 60, (width, height)

    # Each group presents: the board shows its wall full-screen, then all again.
    for i, question in enumerate(QUESTIONS):
        walls.nth(i).locator("[data-action=team-show]").click()
        expect(board.locator("#board-step h1")).to_contain_text(f"Gruppe {i + 1}")
        expect(board.locator("#board-step h1")).to_contain_text(question)
        expect(board.locator(".team-wall")).to_have_count(0)
        expect(
            board.locator("#board-wall .cluster__heading", has_text=HEADINGS[question])
        ).to_have_count(1)
        if i == 0:
            shoot(board, "team-presenting-1920x1080.png")
    console.locator("[data-action=team-show-all]").click()
    expect(board.locator(".team-wall")).to_have_count(3)

    # The merge: one plenary wall, each group's clusters labelled with the group.
    console.locator("[data-action=teams-merge]").click()
    expect(board.locator(".team-wall")).to_have_count(0)
    for i, question in enumerate(QUESTIONS):
        labelled = board.locator(
            "#board-wall .cluster__heading", has_text=f"Gruppe {i + 1}: {HEADINGS[question]}"
        )
        expect(labelled).to_have_count(1)
    expect(board.locator("#board-wall .card")).to_have_count(12)
    expect(first_holder.locator("#team-step")).to_contain_text("beendet")

    # The room dot-votes on the merged clusters.
    console.get_by_role("button", name="Weiter →").click()
    expect(console.locator('#console-step[data-kind="dots"]')).to_be_visible()
    chosen = f"Gruppe 2: {HEADINGS[QUESTIONS[1]]}"
    for phone in phones[:6]:
        phone.goto(f"{room.server.url}/w/{room.code}")
        online(phone)
        phone.get_by_role("button", name=f"Punkt setzen: {chosen}").click()
        expect(
            phone.locator(".dot-option", has_text=chosen).locator(".dots--mine i")
        ).to_have_count(1)
    expect(board.locator("#board-wall")).to_contain_text(chosen)

    # The protocol: every group's wall under its name, and the plenary.
    exported = console.context.request.get(f"{room.server.url}/w/{room.code}/protocol.md")
    assert exported.ok, exported.status
    protocol = exported.text()
    assert "Ergebnis im Plenum" in protocol
    for i, question in enumerate(QUESTIONS):
        # The group's wall under its name, as the group left it ...
        own = protocol.split(f"Gruppenwand: Gruppe {i + 1}", 1)[1].split("Gruppenwand:", 1)[0]
        assert question in own and HEADINGS[question] in own
        for text in CARDS[question]:
            assert text in own
        # ... and the plenary's cluster it became.
        assert f"Gruppe {i + 1}: {HEADINGS[question]}" in protocol.split("Ergebnis im Plenum")[1]


def test_a_scale_in_three_groups_on_the_projector(room: Room, new_context) -> None:  # type: ignore[no-untyped-def]
    """A scale run in groups: each group's result beside the others' once revealed, a
    counter before; phones over HTTP (the browser is the projector here)."""
    created = room.trainer.post("/workshops", data={"title": "Stimmung", "exercise": "step:scale"})
    code = re.search(r"/w/([A-Z0-9]{6})/", created.headers["location"]).group(1)  # type: ignore[union-attr]
    phones = []
    for _ in range(9):
        phone = httpx.Client(base_url=room.server.url, headers={"origin": room.server.url})
        assert phone.get(f"/join/{code}", follow_redirects=True).status_code == 200
        phones.append(phone)
    act = lambda name, **form: room.trainer.post(f"/w/{code}/t/{name}", data=form)  # noqa: E731
    assert act("teams-form", by="count", number="3", how="random").status_code == 204
    assert act("hide").status_code == 204
    assert act("teams-run").status_code == 204
    board = new_context({"width": 1024, "height": 768}).new_page()
    board.goto(f"{room.server.url}/w/{code}/board")
    online(board)
    for value, phone in enumerate(phones):
        page = phone.get(f"/w/{code}").text
        step_id = re.search(r'data-step="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        voted = phone.post(f"/w/{code}/vote", data={"step_id": step_id, "value": str(value % 5)})
        assert voted.status_code == 200, voted.text
    expect(board.locator(".team-wall [data-count]")).to_have_text(["3", "3", "3"])
    console = room.trainer.get(f"/w/{code}/trainer").text
    teams_ = re.findall(r'data-team="([^"]+)"', console)
    for team in dict.fromkeys(teams_):
        assert act("team-reveal", team_id=team).status_code == 204
    expect(board.locator(".team-wall [data-n]")).to_have_text(["3", "3", "3"])
    expect(board.locator("#board-wall")).to_have_attribute("data-fitted", "1024x768")
    shoot(board, "team-scale-1024x768.png")
    no_sideways_scroll(board)
    board.set_viewport_size({"width": 1920, "height": 1080})
    expect(board.locator("#board-wall")).to_have_attribute("data-fitted", "1920x1080")
    shoot(board, "team-scale-1920x1080.png")
    no_sideways_scroll(board)
    for phone in phones:
        phone.close()
