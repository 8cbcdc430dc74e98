"""Screenshots at phone and projector size, with checks that the layout holds.

The PNGs land in tests/screenshots/ for a person to look at; the assertions
check what can be checked by machine: a full wall of 64 cards stays on one
projector screen, and nothing on the phone is wider than the phone.
"""

from __future__ import annotations

import random

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LAPTOP,
    PHONE,
    PROJECTOR,
    SCREENSHOTS,
    ServerProcess,
    phone_options,
)
from tests.browser.test_room import ALL_COLOURS, create_workshop, online

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


def fill_wall(
    server: ServerProcess, code: str, trainer_cookies: dict[str, str], cards: int
) -> None:
    """Sixteen phones write ``cards`` cards; the trainer sorts most into six clusters."""
    rng = random.Random(7)
    headers = {"origin": server.url}
    with httpx.Client(base_url=server.url, headers=headers, cookies=trainer_cookies) as trainer:
        assert trainer.post(f"/w/{code}/t/card-colours", data=ALL_COLOURS).status_code == 204
        phones = []
        for _ in range(16):
            phone = httpx.Client(base_url=server.url, headers=headers)
            assert phone.get(f"/join/{code}").status_code == 303
            phones.append(phone)
        for i in range(cards):
            text = f"{IDEAS[i % len(IDEAS)]}" + (
                "" if i < len(IDEAS) else f" ({i // len(IDEAS) + 1})"
            )
            data = {"text": text, "colour": rng.choice(COLOURS), "client_id": f"c{i}"}
            assert phones[i % 16].post(f"/w/{code}/cards", data=data).status_code == 200
        for heading in HEADINGS:
            assert (
                trainer.post(f"/w/{code}/t/cluster-new", data={"heading": heading}).status_code
                == 204
            )
        for phone in phones:
            phone.close()


def sort_cards(
    page: Page, server: ServerProcess, code: str, trainer_cookies: dict[str, str]
) -> None:
    cards = page.locator("#console-wall .card").evaluate_all("els => els.map(e => e.dataset.card)")
    clusters = page.locator("#console-wall .cluster[data-cluster]").evaluate_all(
        "els => els.map(e => e.dataset.cluster).filter(Boolean)"
    )
    with httpx.Client(
        base_url=server.url, headers={"origin": server.url}, cookies=trainer_cookies
    ) as t:
        for i, card in enumerate(cards[:-6]):
            data = {"card_id": card, "cluster_id": clusters[i % len(clusters)]}
            assert t.post(f"/w/{code}/t/card-move", data=data).status_code == 204


def trainer_cookies(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies() if c["name"].startswith("mb_t_")}


def fits_on_screen(page: Page, selector: str) -> bool:
    return bool(page.locator(selector).evaluate("el => el.scrollHeight <= el.clientHeight + 2"))


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_screens_at_phone_and_projector_size(server: ServerProcess, new_context) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    trainer = new_context(LAPTOP).new_page()
    code = create_workshop(trainer, server)
    cookies = trainer_cookies(trainer)
    board = new_context(PROJECTOR).new_page()
    board.goto(f"{server.url}/w/{code}/board")
    online(board)
    board.screenshot(path=SCREENSHOTS / "board-empty-1920.png")

    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join")
    phone.screenshot(path=SCREENSHOTS / "phone-join-390.png")
    assert no_horizontal_scroll(phone)
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    phone.fill("#card-text", "Zuhören, bevor man antwortet")
    phone.get_by_role("button", name="Senden").click()
    phone.fill("#card-text", "Eine Idee pro Karte – der Zähler zählt mit")
    expect(phone.locator("#my-cards .my-card")).to_have_count(1)
    phone.screenshot(path=SCREENSHOTS / "phone-cards-390.png", full_page=True)
    assert no_horizontal_scroll(phone)
    # Thumb-sized targets: every button and colour is at least 40 px high.
    heights = phone.locator("button:visible, .colour").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 40

    fill_wall(server, code, cookies, 63)
    trainer.reload()
    expect(trainer.locator("#console-wall .card")).to_have_count(64)
    sort_cards(trainer, server, code, cookies)
    expect(board.locator("#board-wall .cluster__heading")).to_have_count(len(HEADINGS))
    expect(board.locator("#board-wall .card")).to_have_count(64)
    board.screenshot(path=SCREENSHOTS / "board-64-cards-1920.png")
    assert fits_on_screen(board, "#board-wall"), "64 cards must stay on one projector screen"
    text_size = board.locator("#board-wall .card__text").first.evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert text_size >= 12

    trainer.locator("#console-wall .card").first.click()
    trainer.screenshot(path=SCREENSHOTS / "console-1280.png", full_page=True)
    trainer.set_viewport_size(PHONE)
    trainer.screenshot(path=SCREENSHOTS / "console-phone-390.png", full_page=True)
    assert no_horizontal_scroll(trainer)

    phone.goto(f"{server.url}/w/{code}/wall")
    expect(phone.locator("#board-wall .card")).to_have_count(64)
    phone.screenshot(path=SCREENSHOTS / "phone-wall-390.png")
    assert no_horizontal_scroll(phone)


def send_button_on_screen(phone: Page) -> dict[str, float]:
    """Where the card form's Send button is, at the top of the page, without scrolling."""
    phone.evaluate("window.scrollTo(0, 0)")
    box = phone.get_by_role("button", name="Senden").bounding_box()
    assert box is not None
    return box


def test_the_phone_s_send_button_stays_on_screen_upright_and_in_landscape(
    server: ServerProcess, new_context
) -> None:
    """A long card question (Auftragsklärung's first, to the client: two sentences) at
    390×844 and turned to 844×390: the Send button is inside the screen, not below it."""
    SCREENSHOTS.mkdir(exist_ok=True)
    trainer = new_context(LAPTOP).new_page()
    trainer.goto(f"{server.url}/")
    trainer.fill("#title", "Auftragsklärung bei Müller & Söhne")
    trainer.check('input[name=exercise][value="auftragsklaerung"]')
    trainer.get_by_role("button", name="Workshop anlegen").click()
    code = trainer.url.split("/")[4]
    for name, size in (("390x844", PHONE), ("844x390", {"width": 844, "height": 390})):
        phone = new_context(**(phone_options() | {"viewport": size})).new_page()
        phone.goto(f"{server.url}/join/{code}")
        online(phone)
        phone.fill("#card-text", "Ein klares Ziel für das erste Quartal")
        box = send_button_on_screen(phone)
        phone.screenshot(path=SCREENSHOTS / f"phone-card-form-{name}.png")
        assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (name, box)
        assert box["height"] >= 44  # still a thumb's target
        assert no_horizontal_scroll(phone)


def test_my_proposals_show_one_mark_each_and_what_is_a_multi_line_field(
    server: ServerProcess, new_context
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    trainer = new_context(LAPTOP).new_page()
    trainer.goto(f"{server.url}/")
    trainer.fill("#title", "Maßnahmen")
    trainer.check('input[name=exercise][value="massnahmenplan"]')
    trainer.get_by_role("button", name="Workshop anlegen").click()
    code = trainer.url.split("/")[4]
    phone = new_context(**phone_options()).new_page()
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    assert phone.locator("#action-what").evaluate("e => e.tagName") == "TEXTAREA"
    phone.fill("#action-what", "Rückrufe innerhalb von 24 Stunden, auch freitags")
    phone.get_by_role("button", name="Vorschlagen").click()
    item = phone.locator(".my-actions li")
    expect(item).to_have_count(1)
    # The ✓ is the only mark: the list draws no bullet of its own.
    assert item.evaluate("e => getComputedStyle(e).listStyleType") == "none"
    assert item.inner_text().count("✓") == 1
    # "Sie sind: anonym" shows that it opens (a summary laid out as flex has no marker).
    marker = "e => getComputedStyle(e, '::before').content"
    assert phone.locator(".nickname summary").evaluate(marker) == '"▸"'
    phone.screenshot(path=SCREENSHOTS / "phone-my-proposals-390.png", full_page=True)
    online(trainer)
    what = trainer.locator(".action-add [name=what]")
    assert what.evaluate("e => e.tagName") == "TEXTAREA"
