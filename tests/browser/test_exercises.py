"""The half-day agenda in real Chromium: the trainer moves on, phones follow, results build up live.

Screenshots of every kind at phone and projector size land in tests/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LAPTOP, PROJECTOR, SCREENSHOTS, ServerProcess, phone_options
from tests.browser.test_room import online

expect.set_options(timeout=15_000)


def create(page: Page, server: ServerProcess, *exercises: str) -> str:
    page.goto(f"{server.url}/")
    page.fill("#title", "Kundenbegeisterung")
    for key in exercises:
        page.check(f'input[name=exercise][value="{key}"]')
    page.get_by_role("button", name="Workshop anlegen").click()
    expect(page).to_have_url(re.compile(r"/w/[A-Z0-9]{6}/trainer$"))
    online(page)
    return page.url.split("/")[4]


def shoot(name: str, board: Page, phone: Page) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    board.screenshot(path=SCREENSHOTS / f"kind-{name}-board-1920.png")
    phone.screenshot(path=SCREENSHOTS / f"kind-{name}-phone-390.png", full_page=True)


def next_step(trainer: Page, kind: str, *phones: Page) -> None:
    trainer.get_by_role("button", name="Weiter →").click()
    for page in (trainer, *phones):
        expect(page.locator(f'[data-kind="{kind}"]').first).to_be_visible()


def tap(phone: Page, pad_index: int, fx: float, fy: float) -> None:
    """Tap a grid field at a fraction of its width/height (0,0 = top left)."""
    pad = phone.locator(".grid-pad").nth(pad_index)
    box = pad.bounding_box()
    assert box is not None
    phone.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)


def test_the_agenda_runs_and_phones_follow(server: ServerProcess, new_context) -> None:
    trainer = new_context(LAPTOP).new_page()
    code = create(
        trainer,
        server,
        "kunde-koenig",
        "ok-corral",
        "8ps-beziehungsmarketing",
        "unsere-wanderung",
        "massnahmenplan",
    )
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    phones = []
    for _ in range(2):
        phone = new_context(**phone_options()).new_page()
        phone.goto(f"{server.url}/join/{code}")
        online(phone)
        phones.append(phone)
    anna, ben = phones

    # Ein-Punkt-Abfrage, hidden until revealed.
    expect(anna.locator("#phone-step")).to_have_attribute("data-kind", "scale")
    anna.get_by_role("button", name="trifft voll zu").click()
    ben.get_by_role("button", name="teils, teils").click()
    ben.get_by_role("button", name="trifft eher zu").click()  # moving the dot
    expect(ben.get_by_role("button", name="trifft eher zu")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(board.locator(".hidden-counter__n")).to_have_text("2")
    expect(board.locator(".chart--bars")).to_have_count(0)
    trainer.get_by_role("button", name="Aufdecken").click()
    expect(board.locator("[data-n]")).to_have_text("2")
    expect(board.locator(".chart__count")).to_have_text(["1", "1", "0", "0", "0"])
    # The distribution first: median and mean only once the trainer asks for them.
    expect(board.locator("[data-figures]")).to_have_count(0)
    expect(trainer.locator("[data-figures]")).to_contain_text("Median 1,5")  # the console: always
    shoot("scale", board, ben)
    trainer.get_by_role("button", name="Median und Mittelwert zeigen").click()
    expect(board.locator("[data-figures]")).to_contain_text("Median 1,5 · Mittelwert 1,5")
    trainer.get_by_role("button", name="Median und Mittelwert ausblenden").click()
    expect(board.locator("[data-figures]")).to_have_count(0)

    # The next three steps of "Ist der Kunde König?", then the OK-Corral.
    next_step(trainer, "cards", anna, ben)
    for kind in ("scale", "cards", "grid"):
        next_step(trainer, kind, anna, ben)
    tap(anna, 0, 0.8, 0.2)  # ich bin ok, du bist ok: top right
    expect(anna.locator(".grid-input").nth(0).locator(".grid__dot--mine")).to_have_count(1)
    tap(anna, 1, 0.2, 0.2)  # mit der Führungskraft: ich bin nicht ok, du bist ok
    expect(anna.locator(".grid-input").nth(1).locator(".grid__dot--mine")).to_have_count(1)
    tap(ben, 0, 0.8, 0.85)  # ich bin ok, du bist nicht ok: bottom right
    expect(ben.locator(".grid__dot--mine")).to_have_count(1)
    trainer.get_by_role("button", name="Aufdecken").click()
    first = board.locator(".grid-result").nth(0)
    expect(first.locator("[data-quadrant=top_right]")).to_have_text("1")
    expect(first.locator("[data-quadrant=bottom_right]")).to_have_text("1")
    expect(first.locator(".grid__dot")).to_have_count(2)  # every dot, not an average
    second = board.locator(".grid-result").nth(1)
    expect(second.locator("[data-quadrant=top_left]")).to_have_text("1")
    shoot("grid", board, anna)

    # "Was bringt mich nach oben rechts?", then the 8 Ps: the goal first, then the
    # instruments, each explained on the phone.
    next_step(trainer, "cards", anna, ben)
    next_step(trainer, "cards", anna, ben)
    expect(anna.locator("#phone-step")).to_contain_text("2 bis 5 Jahren")
    next_step(trainer, "dots", anna, ben)
    places = anna.locator(".dot-option", has_text="Plätze des Kontakts")
    expect(places.locator(".dot-option__explain")).to_contain_text("Werbung, Angebote")
    expect(anna.locator(".dot-option__explain")).to_have_count(8)
    anna.screenshot(path=SCREENSHOTS / "eight-ps-phone-390x844.png")
    preise = anna.locator(".dot-option", has_text="Preise")
    preise.get_by_role("button", name=re.compile("Punkt setzen")).click()
    expect(anna.locator(".dots-left")).to_contain_text("Noch 2 von 3")
    preise.get_by_role("button", name=re.compile("Punkt setzen")).click()
    expect(preise.get_by_role("button", name=re.compile("Punkt setzen"))).to_be_disabled()
    ben.locator(".dot-option", has_text="Prozesse").get_by_role(
        "button", name=re.compile("Punkt setzen")
    ).click()
    expect(board.locator("tr[data-option='2'] [data-dots]")).to_have_text("2")
    expect(board.locator(".ranking__option").first).to_have_text(
        "Preise, Rabatte und dazugehörige Strategien"
    )
    shoot("dots", board, anna)

    # Our Wanderung: the weather first, then stations, the next stage, support.
    next_step(trainer, "mood", anna, ben)
    anna.locator(".mood", has_text="Sonnenschein").click()
    anna.fill("#mood-word", "sonnig")
    anna.get_by_role("button", name="Senden").click()
    ben.locator(".mood", has_text="Sturm").click()
    ben.get_by_role("button", name="Senden").click()
    expect(board.locator(".mood-bars__count")).to_have_text(["1", "0", "0", "0", "1"])
    expect(board.locator(".words__word")).to_have_text(["sonnig"])
    shoot("mood", board, anna)

    # Maßnahmenplan.
    for kind in ("cards", "cards", "cards", "actions"):
        next_step(trainer, kind, anna, ben)
    anna.fill("#action-what", "Rückrufe innerhalb von 24 Stunden")
    anna.fill("#action-who", "Team Service")
    anna.fill("#action-with", "Vertrieb")
    anna.fill("#action-due", "Ende März")
    anna.locator(".mine").get_by_role("button", name="Vorschlagen").click()
    row = board.locator(".actions-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(
        ["Rückrufe innerhalb von 24 Stunden", "Team Service", "Vertrieb", "Ende März", "offen"]
    )
    shoot("actions", board, anna)
    trainer.screenshot(path=SCREENSHOTS / "kind-actions-console-1280.png", full_page=True)

    # Back to the first step by the agenda: everybody goes along.
    trainer.locator(".agenda__go").first.click()
    for page in (anna, ben):
        expect(page.locator("#phone-step")).to_have_attribute("data-kind", "scale")
    expect(board.locator("[data-n]")).to_have_text("2")


def test_speedmeet_with_five_phones_walks_through_its_rounds(
    server: ServerProcess, new_context
) -> None:
    trainer = new_context(LAPTOP).new_page()
    code = create(trainer, server, "speedmeet")
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    names = ["Anna", "Ben", "Cem", "Dora", "Emil"]
    phones = []
    for name in names:
        context = new_context(**phone_options())
        # Record vibration calls: the phones buzz at each change.
        context.add_init_script(
            "window.__buzz = 0; navigator.vibrate = () => { window.__buzz++; return true; };"
        )
        phone = context.new_page()
        phone.goto(f"{server.url}/join/{code}")
        online(phone)
        phone.fill("#pairs-nickname", name)
        phone.get_by_role("button", name="Ich bin dabei").click()
        expect(phone.locator(".meet__status")).to_contain_text(name)
        phones.append(phone)
    expect(board.locator(".pairs__people [data-n]")).to_have_text("5")
    # Before the start, board and console say how long it takes: 5 rounds of 4 minutes
    # (odd: one break each) and 4 change-overs of 30 seconds.
    duration = "Dauer für 5 Personen: insgesamt 22 Minuten (5 × 4 Min. Gespräch"
    expect(board.locator(".pairs__duration")).to_contain_text(duration)
    expect(trainer.locator(".pairs__duration")).to_contain_text(duration)

    trainer.fill("#round-minutes", "0.1")  # 6 seconds a round
    trainer.fill("#changeover", "1")
    # Saved before the start: both are requests of their own, and a busy machine may
    # otherwise plan the rounds with the old length.
    with trainer.expect_response(lambda response: "/t/pairs-timing" in response.url) as saved:
        trainer.locator("form:has(#round-minutes)").get_by_role("button", name="Speichern").click()
    assert saved.value.status == 204
    expect(trainer.locator("#round-minutes")).to_have_value("0.1")
    expect(board.locator(".pairs__duration")).to_contain_text(
        "insgesamt 1 Minute (5 × 0,1 Min. Gespräch, dazwischen je 1 s Wechsel)"
    )
    trainer.locator("[data-action=pairs-start]").click()
    expect(board.locator(".pairs__duration")).to_have_count(0)

    met: list[frozenset[str]] = []
    breaks: list[str] = []
    for number in range(1, 6):
        status = board.locator(".pairs__status")
        expect(status).to_contain_text(f"Runde {number} von 5", timeout=20_000)
        tables = board.locator(".tables__table b").all_text_contents()
        pairs = [frozenset(tables[i : i + 2]) for i in range(0, len(tables), 2)]
        assert len(pairs) == 2
        met += pairs
        out = board.locator(".pairs__break").text_content() or ""
        breaks += [n for n in names if n in out]
        anna_table = next((i for i, p in enumerate(pairs, 1) if "Anna" in p), None)
        if anna_table is None:
            expect(phones[0].locator(".meet__partner")).to_have_text(
                "In dieser Runde haben Sie Pause."
            )
        else:
            partner = next(iter(pairs[anna_table - 1] - {"Anna"}))
            expect(phones[0].locator(".meet__partner")).to_have_text(
                f"Treffen Sie {partner} an Tisch {anna_table}"
            )
    expect(board.locator(".pairs__status")).to_contain_text(
        "Alle 5 Runden sind vorbei", timeout=20_000
    )
    assert len(met) == 10 and len(set(met)) == 10  # everyone met everyone exactly once
    assert sorted(breaks) == sorted(names)  # one break each
    assert all(phone.evaluate("() => window.__buzz") >= 4 for phone in phones)
    shoot("pairs", board, phones[0])


def test_the_timer_counts_down_on_board_and_phones(server: ServerProcess, new_context) -> None:
    trainer = new_context(LAPTOP).new_page()
    code = create(trainer, server, "unsere-wanderung")
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    trainer.fill("#timer-minutes", "0.05")  # 3 seconds
    trainer.get_by_role("button", name="Starten").click()
    for page in (board, phone):
        expect(page.locator("#timer .countdown")).to_have_text(re.compile(r"0:0[1-3]"))
    for page in (board, phone):
        expect(page.locator("#timer .countdown")).to_have_text("Die Zeit ist um!")
    trainer.get_by_role("button", name="Stoppen").click()
    expect(board.locator("#timer")).to_have_class(re.compile("timer--off"))


# The page counts the answers it is asked to send and the requests it really sends.
COUNT_REQUESTS = """
window.answers = {asked: 0, sent: 0};
document.addEventListener('htmx:confirm', function () { window.answers.asked += 1; });
document.addEventListener('htmx:beforeRequest', function () { window.answers.sent += 1; });
"""


def hold_first_answer(phone: Page, url: str) -> Callable[[], None]:
    """The first answer is held back on its way to the server: until the second one has
    been answered if both are on the way (so the first arrives last), else until
    ``release()``."""
    held: list[Route] = []
    seen: list[str] = []

    def release() -> None:
        while held:
            route = held.pop()
            route.fulfill(response=route.fetch())

    def handle(route: Route) -> None:
        seen.append(route.request.url)
        if len(seen) == 1:
            held.append(route)
            return
        route.fulfill(response=route.fetch())
        release()

    phone.route(url, handle)
    return release


def tap_twice_quickly(
    phone: Page, url: str, first: Callable[[], None], second: Callable[[], None]
) -> None:
    """Two taps, the first answer held back (see hold_first_answer)."""
    phone.evaluate(COUNT_REQUESTS)
    release = hold_first_answer(phone, url)
    first()
    second()
    phone.wait_for_function("window.answers.asked >= 2")
    if phone.evaluate("window.answers.sent") < 2:  # the second waits for the first's reply
        release()


def test_two_quick_taps_on_the_scale_leave_the_second_one_chosen(
    server: ServerProcess, new_context
) -> None:
    trainer = new_context(LAPTOP).new_page()
    code = create(trainer, server, "kunde-koenig")
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    expect(phone.locator("#phone-step")).to_have_attribute("data-kind", "scale")

    tap_twice_quickly(
        phone,
        f"{server.url}/w/{code}/vote",
        phone.get_by_role("button", name="teils, teils").click,
        phone.get_by_role("button", name="trifft eher zu").click,
    )
    expect(phone.get_by_role("button", name="trifft eher zu")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(phone.get_by_role("button", name="teils, teils")).to_have_attribute(
        "aria-pressed", "false"
    )
    phone.reload()  # and the server kept the second one
    online(phone)
    expect(phone.get_by_role("button", name="trifft eher zu")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_two_quick_taps_on_two_grids_keep_both_dots(server: ServerProcess, new_context) -> None:
    trainer = new_context(LAPTOP).new_page()
    code = create(trainer, server, "ok-corral")
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    expect(phone.locator("#phone-step")).to_have_attribute("data-kind", "grid")
    tap_twice_quickly(  # grid.js posts these itself
        phone,
        f"{server.url}/w/{code}/vote",
        lambda: tap(phone, 0, 0.8, 0.2),
        lambda: tap(phone, 1, 0.2, 0.2),
    )
    for pad in (0, 1):
        expect(phone.locator(".grid-input").nth(pad).locator(".grid__dot--mine")).to_have_count(1)
