"""Frames and HTTP answers that overtake each other on a phone, in real Chromium.

The phone's socket is routed through Playwright so the test decides when a frame
arrives: the frame of the trainer's change is held back while the phone sends a
card, and let through after the card's HTTP answer. The phone must keep showing
its card (an older section never replaces a newer one).
"""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.conftest import ServerProcess, phone_options
from tests.browser.test_room import create_workshop, online

expect.set_options(timeout=15_000)


class HeldSocket:
    """The phone's socket, with the server's frames held back while ``holding``."""

    def __init__(self) -> None:
        self.holding = False
        self.held: list[str | bytes] = []
        self.page_side: WebSocketRoute | None = None

    def route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.page_side = ws

        def from_server(message: str | bytes) -> None:
            if self.holding:
                self.held.append(message)
            else:
                ws.send(message)

        server.on_message(from_server)

    def release(self) -> int:
        assert self.page_side is not None
        self.holding = False
        frames, self.held = self.held, []
        for frame in frames:
            self.page_side.send(frame)
        return len(frames)


def frames_applied(page: Page) -> int:
    return int(page.evaluate("window.__framesApplied || 0"))


def wait_until(page: Page, condition, what: str, seconds: float = 15) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)  # lets Playwright dispatch the socket's messages


def room_with_a_phone(
    server: ServerProcess, new_context, socket: HeldSocket | None = None
) -> tuple[str, dict[str, str], Page]:  # type: ignore[no-untyped-def]
    """A trainer's new workshop (its code and the trainer's cookies) and a phone in it,
    online, counting the frames it applied (its socket routed through ``socket``)."""
    trainer = new_context().new_page()
    code = create_workshop(trainer, server)
    cookies = {c["name"]: c["value"] for c in trainer.context.cookies()}
    phone = new_context(**phone_options()).new_page()
    phone.add_init_script(
        "document.addEventListener('htmx:wsAfterMessage', () => {"
        " window.__framesApplied = (window.__framesApplied || 0) + 1; });"
    )
    if socket is not None:
        phone.route_web_socket("**/ws?*", socket.route)
    phone.goto(f"{server.url}/join/{code}")
    online(phone)
    return code, cookies, phone


def trainer_does(server: ServerProcess, code: str, cookies: dict[str, str], action: str) -> None:
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        client.cookies.update(cookies)
        assert client.post(f"/w/{code}/t/{action}").status_code == 204


def test_a_frame_older_than_the_cards_answer_does_not_take_the_card_away(
    server: ServerProcess, new_context
) -> None:  # type: ignore[no-untyped-def]
    socket = HeldSocket()
    code, cookies, phone = room_with_a_phone(server, new_context, socket)

    # The trainer collects hidden; the frame telling the phone so is held on its way.
    socket.holding = True
    trainer_does(server, code, cookies, "hide")
    wait_until(
        phone,
        lambda: any('id="mine"' in str(frame) for frame in socket.held),
        "the phone's own section of the trainer's change",
    )

    # The card is sent and answered over HTTP while that frame is still held.
    phone.fill("#card-text", "Rückruf binnen 24 Stunden")
    phone.get_by_role("button", name="Senden").click()
    mine = phone.locator("#my-cards .card__text", has_text="Rückruf binnen 24 Stunden")
    expect(mine).to_have_count(1)

    # Now the older frame arrives: the step's news is shown, the card stays.
    before = frames_applied(phone)
    released = socket.release()
    wait_until(phone, lambda: frames_applied(phone) >= before + released, "the held frames")
    expect(phone.locator("#mine")).to_be_attached()
    assert mine.count() == 1, "a frame older than the answer took the card off the phone"


def test_an_answer_older_than_a_frame_does_not_bring_back_an_open_step(
    server: ServerProcess, new_context
) -> None:  # type: ignore[no-untyped-def]
    code, cookies, phone = room_with_a_phone(server, new_context)
    for text in ("Erreichbarkeit", "Freundlichkeit"):
        phone.fill("#card-text", text)
        phone.get_by_role("button", name="Senden").click()
        expect(phone.locator("#my-cards .card__text", has_text=text)).to_have_count(1)

    # The answer to deleting a card is held on its way back.
    held = []
    phone.route("**/cards/*/delete", lambda route: held.append(route))
    phone.locator(".my-card", has_text="Erreichbarkeit").get_by_role(
        "button", name="Löschen"
    ).click()
    wait_until(phone, lambda: bool(held), "the delete request")
    answer = held[0].fetch()  # the card is deleted now; its answer shows the step open

    # The trainer closes the step; its frame reaches the phone first.
    before = frames_applied(phone)
    trainer_does(server, code, cookies, "close")
    wait_until(phone, lambda: frames_applied(phone) > before, "the frame of the close")
    expect(phone.locator("#my-cards .my-card__tools")).to_have_count(0)

    # Then the older answer: the step stays closed on the phone, the card stays deleted
    # (htmx swaps it into the #mine it targeted, which the frame has replaced).
    held[0].fulfill(response=answer)
    phone.wait_for_load_state("networkidle")
    expect(phone.locator("#my-cards .card__text")).to_have_text(["Freundlichkeit"])
    assert phone.locator("#my-cards .my-card__tools").count() == 0, (
        "an answer older than the frame showed the closed step's cards as editable"
    )


def test_typing_a_card_goes_on_while_a_frame_redraws_the_step(
    server: ServerProcess, new_context
) -> None:  # type: ignore[no-untyped-def]
    """The trainer collects hidden while a participant types: the phone's keyboard stays,
    and so do the letters and the cursor (a redrawn text field would close the keyboard)."""
    code, cookies, phone = room_with_a_phone(server, new_context)
    phone.locator("#card-text").click()
    phone.keyboard.type("Schnel")

    before = frames_applied(phone)
    trainer_does(server, code, cookies, "hide")
    wait_until(phone, lambda: frames_applied(phone) > before, "the frame of the change")
    expect(phone.locator(".phone__step .note")).to_be_visible()  # the step was redrawn

    phone.keyboard.type("le Antwort")
    assert phone.evaluate("document.activeElement.id") == "card-text"
    expect(phone.locator("#card-text")).to_have_value("Schnelle Antwort")
