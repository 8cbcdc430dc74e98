"""The live sockets against a real server: frames, catch-up, roles, bad messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from board.i18n import MESSAGES
from board.ratelimit import JoinGuard, RateLimit
from tests.conftest import LiveServer, create_workshop, join
from tests.test_web import Tarpit

DEADLINE = 5.0


class Device:
    """A browser-like device: its own cookies, HTTP and sockets with our Origin."""

    def __init__(self, server: LiveServer, lang: str = "de") -> None:
        self.server = server
        self.http = httpx.AsyncClient(
            base_url=server.url, headers={"accept-language": lang, "origin": server.url}
        )

    async def socket(self, code: str, role: str, seq: int | None = None) -> ClientConnection:
        query = f"role={role}" + (f"&seq={seq}" if seq is not None else "")
        cookies = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        return await connect(
            f"{self.server.ws_url}/w/{code}/ws?{query}",
            origin=self.server.url,  # type: ignore[arg-type]
            additional_headers={
                "cookie": cookies,
                "accept-language": self.http.headers["accept-language"],
            },
            compression=None,
        )

    async def close(self) -> None:
        await self.http.aclose()


async def frame_with(ws: ClientConnection, needle: str) -> str:
    """The first frame that contains ``needle`` (fails after the deadline)."""
    async with asyncio.timeout(DEADLINE):
        while True:
            frame = await ws.recv()
            assert isinstance(frame, str)
            if needle in frame:
                return frame


async def frames_until(ws: ClientConnection, needle: str) -> list[str]:
    """Every frame up to and including the first that contains ``needle``."""
    frames: list[str] = []
    async with asyncio.timeout(DEADLINE):
        while not frames or needle not in frames[-1]:
            frame = await ws.recv()
            assert isinstance(frame, str)
            frames.append(frame)
    return frames


async def frames_until_pong(ws: ClientConnection) -> list[str]:
    """Everything the server sent before answering a ping: what was sent by then (a render
    still in flight can come later, so look for a frame you expect with frames_until)."""
    await ws.send(json.dumps({"type": "ping"}))
    frames = []
    async with asyncio.timeout(DEADLINE):
        while True:
            frame = await ws.recv()
            assert isinstance(frame, str)
            if 'id="pong"' in frame:
                return frames
            frames.append(frame)


@pytest.fixture
async def trainer(live_server: LiveServer) -> AsyncIterator[Device]:
    device = Device(live_server)
    yield device
    await device.close()


@pytest.fixture
async def code(trainer: Device) -> str:
    return await create_workshop(trainer.http)


@pytest.fixture
async def phone(live_server: LiveServer, code: str) -> AsyncIterator[Device]:
    device = Device(live_server)
    await join(device.http, code)
    yield device
    await device.close()


async def send_card(phone: Device, code: str, text: str, client_id: str = "") -> None:
    response = await phone.http.post(
        f"/w/{code}/cards", data={"text": text, "colour": "yellow", "client_id": client_id}
    )
    assert response.status_code == 200, response.text


async def test_a_card_lands_on_every_board_as_the_same_bytes(live_server, code, phone):
    viewer = Device(live_server)
    first = await viewer.socket(code, "board")
    second = await viewer.socket(code, "board")
    await frame_with(first, 'id="board-wall"')
    await frame_with(second, 'id="board-wall"')
    await send_card(phone, code, "Freundlichkeit am Telefon")
    one = await frame_with(first, "Freundlichkeit am Telefon")
    two = await frame_with(second, "Freundlichkeit am Telefon")
    assert one == two
    assert 'hx-swap-oob="true"' in one and 'id="seq"' in one
    await first.close()
    await second.close()
    await viewer.close()


async def test_a_new_socket_starts_with_a_full_render(live_server, code, phone):
    await send_card(phone, code, "Schon da")
    board = await Device(live_server).socket(code, "board")
    frame = await frame_with(board, 'id="board-wall"')
    assert "Schon da" in frame and 'id="board-step"' in frame and 'id="presence"' in frame
    await board.close()


async def test_a_socket_that_saw_the_latest_seq_gets_no_full_render(live_server, code, trainer):
    workshop = await live_server.service.workshop(code)
    board = await Device(live_server).socket(code, "board", seq=workshop.seq)
    assert await frames_until_pong(board) == []
    await board.close()


async def test_a_socket_that_missed_changes_catches_up(live_server, code, phone):
    await send_card(phone, code, "Verpasst")
    board = await Device(live_server).socket(code, "board", seq=0)
    frame = await frame_with(board, 'id="board-wall"')
    assert "Verpasst" in frame
    await board.close()


async def test_hidden_cards_reach_the_trainer_but_never_a_board_or_phone(
    live_server, code, trainer, phone
):
    assert (await trainer.http.post(f"/w/{code}/t/hide")).status_code == 204
    board = await Device(live_server).socket(code, "board")
    console = await trainer.socket(code, "trainer")
    phone_socket = await phone.socket(code, "phone")
    await send_card(phone, code, "Streng geheim")
    await frame_with(console, "Streng geheim")
    # The board is told the count (its frame may come after the console's): then
    # nothing it got, before or after, holds the text.
    board_frames = await frames_until(board, "data-count>1<")
    board_frames += await frames_until_pong(board)
    phone_frames = await frames_until_pong(phone_socket)
    assert all("Streng geheim" not in f for f in board_frames)
    # The author's own list is the only phone frame with the text.
    others = [f for f in phone_frames if 'id="my-cards"' not in f]
    assert all("Streng geheim" not in f for f in others)
    assert (await trainer.http.post(f"/w/{code}/t/reveal")).status_code == 204
    await frame_with(board, "Streng geheim")
    for ws in (board, console, phone_socket):
        await ws.close()


async def test_boards_and_consoles_see_clustering_in_the_same_order(
    live_server, code, trainer, phone
):
    await send_card(phone, code, "Lächeln", "1")
    await send_card(phone, code, "Rückruf", "2")
    boards = [await Device(live_server).socket(code, "board") for _ in range(2)]
    for board in boards:
        await frame_with(board, "Rückruf")
    for heading in ("Haltung", "Tempo", "Verlässlichkeit"):
        response = await trainer.http.post(f"/w/{code}/t/cluster-new", data={"heading": heading})
        assert response.status_code == 204
    seen = [await frame_with(board, "Verlässlichkeit") for board in boards]
    assert seen[0] == seen[1]
    assert seen[0].index("Haltung") < seen[0].index("Tempo") < seen[0].index("Verlässlichkeit")
    for board in boards:
        await board.close()


async def test_presence_counts_connected_phones(live_server, code, phone):
    board = await Device(live_server).socket(code, "board")
    await frame_with(board, "data-present>0<")
    phone_socket = await phone.socket(code, "phone")
    await frame_with(board, "data-present>1<")
    await phone_socket.close()
    await frame_with(board, "data-present>0<")
    await board.close()


async def test_phones_get_their_own_card_list_when_the_trainer_fixes_a_card(
    live_server, code, trainer, phone
):
    await send_card(phone, code, "Kundn", "1")
    socket = await phone.socket(code, "phone")
    await frame_with(socket, 'id="my-cards"')
    workshop = await live_server.service.workshop(code)
    card = (await live_server.service.snapshot(workshop.id)).wall.cards[0]
    response = await trainer.http.post(
        f"/w/{code}/t/card-text", data={"card_id": card.id, "text": "Kunden"}
    )
    assert response.status_code == 204
    frame = await frame_with(socket, "Kunden<")
    assert "bearbeitet" in frame
    await socket.close()


async def test_malformed_messages_get_an_error_frame_and_the_socket_stays(live_server, code):
    board = await Device(live_server).socket(code, "board")
    for bad in ("not json", "[1,2]", json.dumps({"type": "reveal"}), json.dumps({"no": 1})):
        await board.send(bad)
        frame = await frame_with(board, 'id="flash"')
        assert "Unverständliche Nachricht." in frame
    assert await frames_until_pong(board) == []
    await board.close()


async def test_error_frames_follow_the_language(live_server, code):
    board = await Device(live_server, lang="en").socket(code, "board")
    await board.send("???")
    assert "Malformed message." in await frame_with(board, 'id="flash"')
    await board.close()


async def test_an_oversized_message_closes_the_socket(live_server, code):
    board = await Device(live_server).socket(code, "board")
    await board.send("x" * 10_000)
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(DEADLINE):
            while True:
                await board.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_resync_sends_a_full_render(live_server, code, phone):
    await send_card(phone, code, "Nochmal alles")
    board = await Device(live_server).socket(code, "board")
    await frame_with(board, "Nochmal alles")
    await board.send(json.dumps({"type": "resync"}))
    assert "Nochmal alles" in await frame_with(board, 'id="board-wall"')
    await board.close()


@pytest.mark.parametrize("role", ["trainer", "phone", "nonsense"])
async def test_sockets_refuse_roles_the_cookies_do_not_grant(live_server, code, role):
    stranger = Device(live_server)
    ws = await stranger.socket(code, role)
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(DEADLINE):
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    await stranger.close()


async def test_a_new_trainer_link_closes_the_consoles_of_the_old_one(
    live_server, code, trainer, phone
):
    """A lost tablet still shows the console: a new link closes it, and it stays closed."""
    tablet = Device(live_server, lang="en")
    tablet.http.cookies.update(trainer.http.cookies)
    old_console = await tablet.socket(code, "trainer")
    await frame_with(old_console, 'id="console-wall"')
    board = await Device(live_server).socket(code, "board")
    await frame_with(board, 'id="board-wall"')

    renewed = await trainer.http.post(f"/w/{code}/t/trainer-link")
    assert renewed.status_code == 204

    # It says why, in its language, then closes (policy: the page does not reconnect).
    await frame_with(old_console, "A new trainer link was issued")
    with pytest.raises(ConnectionClosed) as closed:
        await frame_with(old_console, "no other frame: the socket closes")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    reconnected = await tablet.socket(code, "trainer")
    with pytest.raises(ConnectionClosed) as refused:
        await frame_with(reconnected, "no frame: refused")
    assert refused.value.rcvd is not None and refused.value.rcvd.code == 1008
    # The trainer's own device (its new cookie) and the board carry on.
    console = await trainer.socket(code, "trainer")
    await frame_with(console, 'id="console-wall"')
    await send_card(phone, code, "Weiter geht's")
    await frame_with(board, "Weiter geht")
    for ws in (old_console, reconnected, console, board):
        await ws.close()
    await tablet.close()


async def test_deleting_the_workshop_ends_every_open_screen_at_once(
    live_server, code, trainer, phone
):
    """The trainer deletes the workshop: board, phone and console say so, each in its
    language, and their sockets close for good (policy: the pages do not reconnect)."""
    board = await Device(live_server, lang="en").socket(code, "board")
    await frame_with(board, 'id="board-wall"')
    phone_ws = await phone.socket(code, "phone")
    await frame_with(phone_ws, 'id="mine"')
    console = await trainer.socket(code, "trainer")
    await frame_with(console, 'id="console-wall"')

    deleted = await trainer.http.post(f"/w/{code}/delete", data={"confirm": code})
    assert deleted.status_code == 303

    for ws, says in (
        (board, "This workshop has ended."),
        (phone_ws, "Dieser Workshop ist beendet."),
        (console, "Dieser Workshop ist beendet."),
    ):
        await frame_with(ws, says)
        assert await closed_with(ws) == 1008
        await ws.close()


async def test_a_phone_cookie_does_not_open_a_trainer_socket(live_server, code, phone):
    ws = await phone.socket(code, "trainer")
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(DEADLINE):
            await ws.recv()


async def test_a_socket_for_an_unknown_workshop_is_refused(live_server):
    ws = await Device(live_server).socket("AAAAAA", "board")
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(DEADLINE):
            await ws.recv()


async def test_handshakes_from_a_foreign_origin_are_refused(live_server, code):
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        ws = await connect(
            f"{live_server.ws_url}/w/{code}/ws?role=board",
            origin="https://evil.example",  # type: ignore[arg-type]
        )
        async with asyncio.timeout(DEADLINE):
            await ws.recv()


async def frames_of_switch(ws: ClientConnection) -> list[str]:
    """The frames a phone gets for one step switch: the step, then its own section."""
    frames = [await frame_with(ws, 'id="phone-step"')]
    if 'id="mine"' not in frames[0]:
        frames.append(await frame_with(ws, 'id="mine"'))
    return frames


async def test_on_a_step_switch_each_phone_gets_one_frame_with_the_step_and_its_section(
    live_server, trainer
):
    code = await create_workshop(trainer.http, "Agenda", ["kunde-koenig"])
    voter, other = Device(live_server), Device(live_server)
    for device in (voter, other):
        await join(device.http, code)
    scale = (await live_server.service.snapshot((await live_server.service.workshop(code)).id)).step
    assert scale.kind == "scale"
    voted = await voter.http.post(f"/w/{code}/vote", data={"step_id": scale.id, "value": "2"})
    assert voted.status_code == 200
    sockets = [await device.socket(code, "phone") for device in (voter, other)]
    for ws in sockets:
        await frame_with(ws, 'id="mine"')

    assert (await trainer.http.post(f"/w/{code}/t/step-next")).status_code == 204
    away = [await frames_of_switch(ws) for ws in sockets]
    for frames in away:  # one frame: the new step and the phone's own section in it
        assert len(frames) == 1 and 'id="mine"' in frames[0]
        assert frames[0].count('id="seq"') == 1
    assert away[0][0] == away[1][0]  # neither has anything in the new step: one render

    assert (await trainer.http.post(f"/w/{code}/t/step-prev")).status_code == 204
    back = [(await frames_of_switch(ws))[-1] for ws in sockets]
    assert back[0].count("choice--chosen") == 1  # the voter sees their dot again
    assert "choice--chosen" not in back[1]  # and nobody else sees it as theirs
    for ws in sockets:
        await ws.close()
    for device in (voter, other):
        await device.close()


async def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(DEADLINE):
            while True:
                await ws.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_a_wrong_code_on_the_socket_counts_as_a_guess_and_is_slowed(live_server, code):
    tarpit = Tarpit()
    live_server.service.join_guard = JoinGuard(free=3, clock=tarpit.clock, sleep=tarpit.sleep)
    guesser = Device(live_server)
    for _ in range(4):  # three free, the fourth starts the back-off
        assert await closed_with(await guesser.socket("AAAAAA", "board")) == 1008
    assert tarpit.held == []
    assert live_server.service.join_guard.wait_seconds("127.0.0.1") == 1

    assert await closed_with(await guesser.socket("BBBBBB", "board")) == 1008
    assert tarpit.held == [2]  # held before it was closed

    board = await guesser.socket(code, "board")  # the right code: at once
    await frame_with(board, 'id="board-wall"')
    assert tarpit.held == [2]
    await board.close()
    await guesser.close()


async def test_resyncs_are_limited_per_address_and_a_refused_one_keeps_its_socket(
    live_server, code
):
    live_server.service.resync_limit = RateLimit(per_minute=2)
    seq = (await live_server.service.workshop(code)).seq
    viewer = Device(live_server)
    first, second = [await viewer.socket(code, "board", seq=seq) for _ in range(2)]
    for ws in (first, second):  # the address's two resyncs
        await ws.send(json.dumps({"type": "resync"}))
        await frame_with(ws, 'id="board-wall"')

    await first.send(json.dumps({"type": "resync"}))  # a third from the same address

    refused = await frame_with(first, 'id="flash"')
    assert "Langsamer bitte" in refused and 'id="board-wall"' not in refused
    assert await frames_until_pong(first) == []  # still up, and no render came after all
    for ws in (first, second):
        await ws.close()
    await viewer.close()


async def test_the_first_cluster_turns_every_phone_s_cards_read_only_at_once(
    live_server, code, trainer, phone
):
    """On an open wall the lock starts with clustering: no phone action, yet every phone's
    own list and the console's setting change; undoing the cluster gives the cards back."""
    await send_card(phone, code, "Freundlichkeit am Telefon")
    own = await phone.socket(code, "phone")
    console = await trainer.socket(code, "trainer")
    await frame_with(own, "Freundlichkeit am Telefon")
    await frame_with(console, 'id="console-step"')
    locked = MESSAGES["cards_locked_sorting"]["de"]

    made = await trainer.http.post(f"/w/{code}/t/cluster-new", data={"heading": "Haltung"})
    assert made.status_code == 204
    assert "/delete" not in await frame_with(own, locked)
    assert MESSAGES["lock_edits_now"]["de"] in await frame_with(console, 'id="console-step"')

    assert (await trainer.http.post(f"/w/{code}/t/undo")).status_code == 204
    again = await frame_with(own, 'id="my-cards"')
    assert locked not in again and "/delete" in again
    await own.close()
    await console.close()


# -- how the board shows the way in ---------------------------------------------


async def test_the_join_slide_shows_by_itself_until_the_first_card(live_server, code, phone):
    board = await Device(live_server).socket(code, "board")
    assert 'data-join="slide"' in await frame_with(board, 'id="board-join-mode"')
    await send_card(phone, code, "Die erste Karte")
    frame = await frame_with(board, "Die erste Karte")
    assert 'data-join="box"' in frame
    await board.close()


async def test_the_trainers_choice_reaches_every_board_and_console(live_server, code, trainer):
    board = await Device(live_server).socket(code, "board")
    console = await trainer.socket(code, "trainer")
    await frame_with(board, 'data-join="slide"')
    await frame_with(console, 'id="console-join"')
    for display in ("strip", "box", "slide"):
        response = await trainer.http.post(f"/w/{code}/t/join-display", data={"display": display})
        assert response.status_code == 204, response.text
        assert f'data-join="{display}"' in await frame_with(board, 'id="board-join-mode"')
        shown = await frame_with(console, 'id="console-join"')
        assert f'value="{display}" aria-pressed="true"' in shown
        assert shown.count('aria-pressed="true"') == 1
    # A chosen display stays, even when the first card arrives.
    phone = Device(live_server)
    await join(phone.http, code)
    await send_card(phone, code, "Trotzdem die Folie")
    assert "board-join-mode" not in await frame_with(board, "Trotzdem die Folie")
    viewer = Device(live_server)
    page = await viewer.http.get(f"/w/{code}/board")
    assert 'data-join="slide"' in page.text
    for device in (phone, viewer):
        await device.close()
    await board.close()
    await console.close()


async def test_only_the_trainer_changes_the_join_display(live_server, code, phone):
    response = await phone.http.post(f"/w/{code}/t/join-display", data={"display": "strip"})
    assert response.status_code == 403
    workshop = await live_server.service.workshop(code)
    assert workshop.join_display is None


async def test_a_later_step_shows_the_box(live_server, code, trainer):
    await trainer.http.post(f"/w/{code}/t/agenda-add", data={"exercise": "ok-corral"})
    board = await Device(live_server).socket(code, "board")
    await frame_with(board, 'data-join="slide"')
    assert (await trainer.http.post(f"/w/{code}/t/step-next")).status_code == 204
    assert 'data-join="box"' in await frame_with(board, 'id="board-join-mode"')
    await board.close()
