"""A leak scan: a whole workshop through the live server, every page and every frame read.

Three phones join (one with a nickname at the door, one who sets it later, one
anonymous), vote on the hidden scale of "Ist der Kunde König?", then write
cards the trainer has hidden; the trainer parks one of them in the Themenspeicher
(shown on the board) and a phone proposes a topic nobody has accepted yet. Every
board socket, every phone socket, every page a board or a phone fetched and every
answer a phone got is kept; then
none of them may hold a hidden card, a scale result before the reveal,
another participant's nickname, id or cookie, or anything of the trainer's.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from board import cards
from board.i18n import MESSAGES
from tests.conftest import LiveServer, create_workshop, other_device
from tests.test_sockets import Device, frames_until, frames_until_pong

DEADLINE = 5.0
SEQ = re.compile(r'id="seq" data-seq="(\d+)"')
SCALE_RESULTS = ("chart--bars", "chart__count")  # templates/_charts.html, the bars macro
RESULTS_HIDDEN = MESSAGES["results_hidden_note"]["de"]


class Recorder:
    """Everything one socket receives, kept from the first frame to the close."""

    def __init__(self, ws: ClientConnection, owner: str | None, role: str, name: str) -> None:
        self.ws, self.owner, self.role, self.name = ws, owner, role, name
        self.frames: list[str] = []
        self._arrived = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                self.frames.append(frame if isinstance(frame, str) else frame.decode())
                self._arrived.set()
        except ConnectionClosed:
            pass

    def mark(self) -> int:
        return len(self.frames)

    async def wait_for(self, needle: str, since: int = 0) -> str:
        async with asyncio.timeout(DEADLINE):
            while True:
                self._arrived.clear()
                for frame in self.frames[since:]:
                    if needle in frame:
                        return frame
                await self._arrived.wait()

    async def settle(self) -> None:
        """Wait for the pong of a ping: the socket has answered all it was sent."""
        since = self.mark()
        await self.ws.send(json.dumps({"type": "ping"}))
        await self.wait_for('id="pong"', since)

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.wait_for(self._task, DEADLINE)


@dataclass
class View:
    """One thing a board or a phone got, and what was hidden when it was made."""

    owner: str | None  # the phone it belongs to; None: the room's board
    role: str  # "board" (the room's view) or "phone" (a participant's own)
    source: str
    text: str
    cards_hidden: bool
    scale_hidden: bool


@dataclass
class Phone:
    name: str
    device: Device
    nickname: str | None = None
    cookie: str = ""
    participant_id: str = ""
    cards: list[str] = field(default_factory=list)


@dataclass
class Run:
    server: LiveServer
    code: str
    trainer: Device
    viewers: list[Device]
    phones: list[Phone]
    recorders: list[Recorder] = field(default_factory=list)
    pages: list[View] = field(default_factory=list)
    cards_hidden: bool = False
    scale_hidden: bool = True
    trainer_cards: list[str] = field(default_factory=list)  # written at the console
    proposals: dict[str, list[str]] = field(default_factory=dict)  # by phone, not accepted

    def page(self, owner: str | None, role: str, response: httpx.Response) -> httpx.Response:
        assert response.status_code < 400, (response.request.url, response.status_code)
        text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        source = f"{response.request.method} {response.request.url.path}"
        self.pages.append(View(owner, role, source, text, self.cards_hidden, self.scale_hidden))
        return response

    async def every_page(self) -> None:
        """What each screen would load right now."""
        for viewer in self.viewers:
            self.page(None, "board", await viewer.http.get(f"/w/{self.code}/board"))
        for phone in self.phones:
            http = phone.device.http
            self.page(phone.name, "phone", await http.get(f"/w/{self.code}"))
            self.page(phone.name, "board", await http.get(f"/w/{self.code}/wall"))
            self.page(phone.name, "phone", await http.get("/join"))
            self.page(phone.name, "phone", await http.get(f"/join/{self.code}"))

    async def seq(self) -> int:
        return (await self.server.service.workshop(self.code)).seq

    async def trainer_does(self, action: str, **form: str) -> None:
        response = await self.trainer.http.post(f"/w/{self.code}/t/{action}", data=form)
        assert response.status_code == 204, (action, response.text)

    def boards(self) -> list[Recorder]:
        return [r for r in self.recorders if r.owner is None and r.role == "board"]

    async def on_every_board(self, needle: str, since: dict[str, int]) -> None:
        for recorder in self.boards():
            await recorder.wait_for(needle, since[recorder.name])

    def marks(self) -> dict[str, int]:
        return {r.name: r.mark() for r in self.recorders}


@pytest.fixture
async def run(live_server: LiveServer) -> AsyncIterator[Run]:
    trainer = Device(live_server)
    viewers = [Device(live_server, "de"), Device(live_server, "en")]
    phones = [
        Phone("A", Device(live_server, "de"), nickname="Amsel-Nick-4711"),
        Phone("B", Device(live_server, "en"), nickname="Biber-Nick-0815"),
        Phone("C", Device(live_server, "de")),
    ]
    code = await create_workshop(trainer.http, "Leck-Suche", ["kunde-koenig"])
    run = Run(live_server, code, trainer, viewers, phones)
    yield run
    for recorder in run.recorders:
        await recorder.close()
    for device in [trainer, *viewers, *(p.device for p in phones)]:
        await device.close()


async def join_the_room(run: Run) -> None:
    workshop = await run.server.service.workshop(run.code)
    tokens = run.server.service.tokens
    for phone in run.phones:
        http = phone.device.http
        if phone.name == "A":  # the nickname typed at the door
            form = {"code": run.code, "nickname": phone.nickname or ""}
            run.page(phone.name, "phone", await http.post("/join", data=form))
        else:
            run.page(phone.name, "phone", await http.get(f"/join/{run.code}"))
        if phone.name == "B":  # the nickname set later on the phone
            form = {"nickname": phone.nickname or ""}
            run.page(phone.name, "phone", await http.post(f"/w/{run.code}/nickname", data=form))
        phone.cookie = http.cookies[f"mb_p_{run.code}"]
        identity = tokens.read_participant(phone.cookie, workshop.id)
        assert identity is not None
        phone.participant_id = identity.participant_id


async def open_every_socket(run: Run) -> None:
    async def record(device: Device, owner: str | None, role: str, name: str) -> None:
        ws = await device.socket(run.code, role)
        run.recorders.append(Recorder(ws, owner, role, name))

    await record(run.trainer, None, "trainer", "console")
    for i, viewer in enumerate(run.viewers):
        await record(viewer, None, "board", f"board-{i}")
    for phone in run.phones:
        await record(phone.device, phone.name, "phone", f"phone-{phone.name}")
        await record(phone.device, phone.name, "board", f"wall-{phone.name}")
    for recorder in run.boards():
        await recorder.wait_for("data-present>3<")


async def the_active_step(run: Run) -> str:
    return (
        await run.server.service.snapshot((await run.server.service.workshop(run.code)).id)
    ).step.id


async def vote_on_the_hidden_scale(run: Run) -> None:
    step_id = await the_active_step(run)
    since = run.marks()
    for phone, value in zip(run.phones, ("0", "0", "4"), strict=True):
        response = await phone.device.http.post(
            f"/w/{run.code}/vote", data={"step_id": step_id, "value": value}
        )
        run.page(phone.name, "phone", response)
    await run.on_every_board("data-count>3<", since)  # the room sees how many, not what


async def write_hidden_cards(run: Run) -> None:
    since = run.marks()
    for phone, count in zip(run.phones, (2, 2, 1), strict=True):
        for i in range(count):
            text = f"Geheimnis-{phone.name}{i}-{phone.participant_id[:4]}"
            form = {"text": text, "colour": "yellow", "client_id": f"{phone.name}{i}"}
            response = await phone.device.http.post(f"/w/{run.code}/cards", data=form)
            assert text in run.page(phone.name, "phone", response).text  # its own list
            phone.cards.append(text)
    # The trainer writes one herself (Zurufabfrage): hidden like every other card.
    zuruf = "Geheimnis-Zuruf-der-Trainerin"
    await run.trainer_does("card-write", text=zuruf, colour="yellow")  # the one colour
    run.trainer_cards.append(zuruf)
    await run.on_every_board("data-count>6<", since)
    snapshot = await run.server.service.snapshot((await run.server.service.workshop(run.code)).id)
    by_text = {card.text: card for card in snapshot.wall.cards}
    # The trainer fixes a wording (the author's phone is told), B edits a card of theirs.
    a_card = by_text[run.phones[0].cards[0]]
    fixed = f"Geheimnis-korrigiert-{run.phones[0].participant_id[:4]}"
    await run.trainer_does("card-text", card_id=a_card.id, text=fixed)
    run.phones[0].cards.append(fixed)
    b_card = by_text[run.phones[1].cards[0]]
    edited = f"Geheimnis-bearbeitet-{run.phones[1].participant_id[:4]}"
    response = await run.phones[1].device.http.post(
        f"/w/{run.code}/cards/{b_card.id}", data={"text": edited, "colour": "yellow"}
    )
    run.page("B", "phone", response)
    run.phones[1].cards.append(edited)
    phone_a = next(r for r in run.recorders if r.name == "phone-A")
    await phone_a.wait_for(fixed, since["phone-A"])  # the author sees the fix at once
    for recorder in run.recorders:  # a reconnecting screen asks for everything again
        if recorder.role != "trainer":
            await recorder.ws.send(json.dumps({"type": "resync"}))
    for recorder in run.recorders:
        await recorder.settle()


async def write_on_the_open_wall(run: Run) -> None:
    """(d) Cards on the open wall: each reaches the boards as a card frame of its own
    (board/live/fragments.py), which the scan reads like every other frame."""
    since = run.marks()
    for phone in run.phones:
        text = f"Offen-{phone.name}-{phone.participant_id[:4]}"
        form = {"text": text, "colour": "yellow", "client_id": f"offen-{phone.name}"}
        response = await phone.device.http.post(f"/w/{run.code}/cards", data=form)
        run.page(phone.name, "phone", response)
        phone.cards.append(text)
        await run.on_every_board(text, since)
    for recorder in run.boards():
        frames = recorder.frames[since[recorder.name] :]
        assert any("data-base=" in frame for frame in frames), "no card frame to scan"


async def park_a_hidden_card_and_propose_a_topic(run: Run) -> None:
    """The board shows the Themenspeicher; a hidden card goes there, and a phone proposes
    a topic: neither may reach the room (nor another phone) before it may."""
    await run.trainer_does("topics-show", shown="on")
    await run.trainer_does("topic-proposals", allowed="on")
    snapshot = await run.server.service.snapshot((await run.server.service.workshop(run.code)).id)
    hidden = next(c for c in snapshot.wall.cards if c.text == run.phones[2].cards[0])
    await run.trainer_does("topic-park-card", card_id=hidden.id)
    phone = run.phones[1]
    text = f"Vorschlag-{phone.name}-{phone.participant_id[:4]}"
    response = await phone.device.http.post(f"/w/{run.code}/topics", data={"title": text})
    assert text in run.page(phone.name, "phone", response).text  # its own, waiting
    run.proposals[phone.name] = [text]
    for recorder in run.recorders:
        await recorder.settle()


async def test_nothing_hidden_or_personal_reaches_a_board_or_another_phone(run: Run) -> None:
    await join_the_room(run)
    await open_every_socket(run)
    await run.every_page()

    # (b) the hidden scale of "Ist der Kunde König?", (c) anonymous votes
    await vote_on_the_hidden_scale(run)
    await run.every_page()
    scale_hidden_until = await run.seq()
    since = run.marks()
    await run.trainer_does("reveal")
    run.scale_hidden = False
    await run.on_every_board("chart--bars", since)  # the scan would see results
    await run.every_page()
    assert any("chart--bars" in v.text for v in run.pages if v.source.endswith("/board"))

    # (a) hidden cards
    await run.trainer_does("step-next")
    await run.trainer_does("hide")
    run.cards_hidden = True
    await write_hidden_cards(run)
    await park_a_hidden_card_and_propose_a_topic(run)
    await run.every_page()
    cards_hidden_until = await run.seq()
    since = run.marks()
    await run.trainer_does("reveal")
    run.cards_hidden = False
    for text in [p.cards[-1] for p in run.phones] + run.trainer_cards:  # the scan sees texts
        await run.on_every_board(text, since)
    await run.every_page()
    await write_on_the_open_wall(run)
    for recorder in run.recorders:
        await recorder.settle()

    views = list(run.pages)
    for recorder in run.recorders:
        if recorder.role == "trainer":
            continue  # the trainer sees everything
        for i, frame in enumerate(recorder.frames):
            found = SEQ.search(frame)
            seq = int(found.group(1)) if found else -1  # no seq: judged as if still hidden
            views.append(
                View(
                    recorder.owner,
                    recorder.role,
                    f"{recorder.name} frame {i}",
                    frame,
                    cards_hidden=found is None or seq <= cards_hidden_until,
                    scale_hidden=found is None or seq <= scale_hidden_until,
                )
            )
    assert sum(1 for v in views if "frame" in v.source) > 50, "the sockets got too little"
    leaks = await leaks_in(run, views)
    assert not leaks, "\n".join(leaks)


async def test_cards_revealed_one_by_one_reach_the_room_one_at_a_time(run: Run) -> None:
    """ "Nächste Karte" twice: boards and phones get the two cards shown, never the others,
    until "Alle aufdecken"."""
    await join_the_room(run)
    await open_every_socket(run)
    await run.trainer_does("step-next")
    await run.trainer_does("hide")
    run.cards_hidden = True
    await write_hidden_cards(run)
    service = run.server.service
    workshop_id = (await service.workshop(run.code)).id
    texts = {card.id: card.text for card in (await service.snapshot(workshop_id)).wall.cards}
    assert len(texts) == 6
    hidden_until = await run.seq()

    shown: list[str] = []
    for _ in range(2):
        since = run.marks()
        await run.trainer_does("reveal-next")
        shown = list((await service.snapshot(workshop_id)).step.config["revealed_cards"])
        await run.on_every_board(texts[shown[-1]], since)  # large on every board
        await run.every_page()
    secrets, off_the_wall = await change_unseen_cards(run, texts, shown)
    for recorder in run.recorders:
        await recorder.settle()
    unseen = [text for card_id, text in texts.items() if card_id not in shown] + secrets
    one_by_one_until = await run.seq()
    frames = [
        (recorder, frame)
        for recorder in run.recorders
        if recorder.role != "trainer"
        for frame in recorder.frames
    ]
    pages = [(view.owner, view.source, view.text) for view in run.pages]

    since = run.marks()
    await run.trainer_does("reveal")  # Alle aufdecken
    for text in unseen:
        if text not in off_the_wall:
            await run.on_every_board(text, since)

    def own(owner: str | None, text: str) -> bool:
        phone = next((p for p in run.phones if p.name == owner), None)
        return phone is not None and text in phone.cards

    leaks = []
    for recorder, frame in frames:
        found = SEQ.search(frame)
        seq = int(found.group(1)) if found else -1
        if seq > one_by_one_until:
            continue
        secrets = unseen if seq > hidden_until else list(texts.values())
        leaks += [
            f"{recorder.name}: {text}"
            for text in secrets
            if text in frame and not own(recorder.owner, text)
        ]
    for owner, source, text in pages:
        leaks += [f"{source} of {owner}: {t}" for t in unseen if t in text and not own(owner, t)]
    assert not leaks, "\n".join(leaks)
    assert all(any(texts[shown[0]] in frame for frame in r.frames) for r in run.boards()), (
        "the first card shown reached every board"
    )


async def change_unseen_cards(
    run: Run, texts: dict[str, str], shown: list[str]
) -> tuple[list[str], list[str]]:
    """While the cards come one by one, a phone writes one more and the trainer corrects,
    moves and stacks cards the room has not seen: no board may get them, nor a card
    frame of them. Returns the new texts, and those no longer on top of the wall."""
    phone = run.phones[0]
    late = f"Geheimnis-spaet-{phone.participant_id[:4]}"
    form = {"text": late, "colour": "yellow", "client_id": "spaet"}
    run.page(phone.name, "phone", await phone.device.http.post(f"/w/{run.code}/cards", data=form))
    phone.cards.append(late)
    unseen = [card_id for card_id in texts if card_id not in shown]
    corrected = "Geheimnis-korrigiert-beim-Aufdecken"
    await run.trainer_does("card-text", card_id=unseen[0], text=corrected)
    for author in run.phones:  # its author's phone is told (their own list)
        if texts[unseen[0]] in author.cards:
            author.cards.append(corrected)
    await run.trainer_does("card-move", card_id=unseen[1], cluster_id="", index="0")
    await run.trainer_does("card-stack", card_id=unseen[2], onto_id=shown[0])
    return [late, corrected], [texts[unseen[0]], texts[unseen[2]]]


async def leaks_in(run: Run, views: list[View]) -> list[str]:
    return [
        f"{view.source} (of {view.owner or 'the room'}): {what}"
        for view in views
        for what, secret in await forbidden_in(run, view)
        if secret in view.text
    ]


async def forbidden_in(run: Run, view: View) -> list[tuple[str, str]]:
    """What ``view`` must not contain, with a name for each."""
    workshop = await run.server.service.workshop(run.code)
    token = run.trainer.http.cookies[f"mb_t_{run.code}"]
    forbidden = [("the trainer token", token), ("the trainer secret", workshop.trainer_secret)]
    if quote(token) != token:
        forbidden.append(("the trainer token in a link", quote(token)))
    for phone in run.phones:
        if phone.name == view.owner:
            continue
        forbidden += [
            (f"{phone.name}'s cookie", phone.cookie),
            (f"{phone.name}'s participant id", phone.participant_id),
        ]
        if phone.nickname:
            forbidden.append((f"{phone.name}'s nickname", phone.nickname))
        if view.role == "phone":
            forbidden += [(f"{phone.name}'s card", text) for text in phone.cards]
        forbidden += [(f"{phone.name}'s proposal", t) for t in run.proposals.get(phone.name, [])]
    if view.role == "phone":  # nobody's own: never in a phone's own part
        forbidden += [("the trainer's card", text) for text in run.trainer_cards]
    if view.role == "board":  # a proposal waits for the trainer, even its author's wall
        forbidden += [("a proposal", t) for texts in run.proposals.values() for t in texts]
    if view.role == "board" and view.cards_hidden:
        forbidden += [
            (f"{phone.name}'s hidden card", text) for phone in run.phones for text in phone.cards
        ]
        forbidden += [("the trainer's hidden card", text) for text in run.trainer_cards]
    if view.scale_hidden:
        forbidden += [("a scale result before the reveal", marker) for marker in SCALE_RESULTS]
    return forbidden


async def test_the_scan_finds_a_planted_leak(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan itself: a trainer token pasted into a card is found in a board frame."""
    # The token is one long word, far more than a card's three lines: let it through.
    monkeypatch.setattr(cards, "check_fits", lambda text: text)
    await join_the_room(run)
    await open_every_socket(run)
    await run.trainer_does("step-next")  # the cards step, not hidden
    token = run.trainer.http.cookies[f"mb_t_{run.code}"]
    assert len(token) <= 120
    since = run.marks()
    response = await run.phones[0].device.http.post(
        f"/w/{run.code}/cards", data={"text": token, "colour": "yellow"}
    )
    assert response.status_code == 200
    frame = await run.boards()[0].wait_for(token, since["board-0"])
    view = View(None, "board", "board-0 planted", frame, cards_hidden=False, scale_hidden=False)
    assert await leaks_in(run, [view]) == ["board-0 planted (of the room): the trainer token"]


@pytest.mark.parametrize("kind", ["mood", "actions"])
async def test_hiding_a_mood_or_action_plan_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, kind: str
) -> None:
    """Their boards have no hidden view, so the console cannot hide them (Step.hideable):
    the trainer is told so, and nobody is shown a "hidden" that hides nothing."""
    exercise = {"mood": "unsere-wanderung", "actions": "massnahmenplan"}[kind]
    code = await create_workshop(client, "Verdeckt", [exercise])
    async with other_device(client) as phone:
        assert (await phone.get(f"/join/{code}")).status_code == 303
        step_id = re.search(r'data-step="([^"]+)"', (await phone.get(f"/w/{code}")).text)
        assert step_id is not None
        secret = f"Geheim-{kind}-4711"
        form = {"step_id": step_id.group(1), "value": "3", "word": secret, "what": secret}
        sent = await phone.post(f"/w/{code}/{'vote' if kind == 'mood' else 'actions'}", data=form)
        assert sent.status_code == 200, sent.text
        assert secret in (await client.get(f"/w/{code}/board")).text  # shown while not hidden
        hidden = await client.post(f"/w/{code}/t/hide")
        told = (await phone.get(f"/w/{code}")).text
    board = (await client.get(f"/w/{code}/board")).text
    assert hidden.status_code == 409, hidden.text
    assert RESULTS_HIDDEN not in told
    assert secret in board


# -- participant groups ------------------------------------------------------------------
PART = re.compile(r'data-part="([^"]+)"[^>]*>.*?data-n>(\d+)<', re.S)


def split_heads(html: str) -> dict[str, int]:
    """The columns of a split scale (templates/kinds/scale/split.html): part → n."""
    return {part: int(n) for part, n in PART.findall(html)}


async def test_no_board_frame_lets_a_small_group_be_read_off_and_no_phone_another_s_group(
    live_server: LiveServer,
) -> None:
    """Seven phones in two groups answer one by one while the board shows the split; at
    no moment does a group of fewer than three show, nor can total minus the shown groups
    be the answers of one or two people; no phone ever gets anyone else's group."""
    trainer = Device(live_server)
    form = {"title": "Kunde König", "exercise": "step:scale", "groups": "bis 30\nüber 30"}
    made = await trainer.http.post("/workshops", data=form)
    code = made.headers["location"].split("/")[2]
    workshop = await live_server.service.workshop(code)
    ids = {group.name: group.id for group in workshop.groups}
    step_id = workshop.active_step_id
    assert (
        await trainer.http.post(f"/w/{code}/t/group-split", data={"split": "on"})
    ).status_code == 204
    board = await Device(live_server).socket(code, "board")
    frames: list[str] = []
    phones: list[tuple[Device, str]] = []
    seen_by_phone: dict[int, list[str]] = {}
    # The older two answer between the young: the rest is 1, then 2, then never again read off.
    order = ["bis 30", "über 30", "bis 30", "über 30", "bis 30", "bis 30", "bis 30"]
    for i, group in enumerate(order):
        phone = Device(live_server)
        await phone.http.get(f"/join/{code}")
        ws = await phone.socket(code, "phone")
        chosen = await phone.http.post(f"/w/{code}/group", data={"group_id": ids[group]})
        voted = await phone.http.post(
            f"/w/{code}/vote", data={"step_id": step_id, "value": "0" if group == "bis 30" else "4"}
        )
        assert voted.status_code == 200
        seen_by_phone[i] = [chosen.text, voted.text, (await phone.http.get(f"/w/{code}")).text]
        seen_by_phone[i] += await frames_until_pong(ws)
        await ws.close()
        phones.append((phone, group))
        frames += await frames_until(board, f"data-n>{i + 1}<")
    frames += await frames_until_pong(board)
    shown_any = False
    for frame in frames:
        heads = split_heads(frame)
        if not heads:
            continue
        groups = {part: n for part, n in heads.items() if part != "total"}
        shown_any |= bool(groups)
        assert all(n >= 3 for n in groups.values()), heads
        rest = heads["total"] - sum(groups.values())  # what subtraction would reveal
        assert not groups or rest == 0 or rest >= 3, heads
    assert not shown_any  # five young and two older: only ever the total
    final = split_heads((await trainer.http.get(f"/w/{code}/board")).text)
    assert final == {"total": 7}
    # Each phone saw its own choice marked, never another's.
    for i, (_, group) in enumerate(phones):
        for seen in seen_by_phone[i]:
            marked = re.findall(r'aria-pressed="true" data-group="([^"]*)"', seen)
            assert set(marked) <= {ids[group]}, (i, marked)
    await board.close()
    for phone, _ in phones:
        await phone.close()
    await trainer.close()


# -- Kleingruppen -----------------------------------------------------------------------
TEAM_PEOPLE = ("Xaverine", "Quirinus", "Zenobia", "Wendelin", "Yolanthe", "Vitusine")
DATA_TEAM = re.compile(r'data-team="([^"]+)"')


async def test_no_phone_gets_another_group_s_people_and_no_board_anyone_s(
    live_server: LiveServer,
) -> None:
    """Six phones with nicknames are split into three groups at random; the trainer renames
    one, gives one a group console, moves a person, a seventh arrives late; then the room
    chooses its groups itself. No phone ever receives another person's nickname or id, nor
    (while the trainer assigns) any group but its own; no board anybody's."""
    trainer = Device(live_server)
    made = await trainer.http.post("/workshops", data={"title": "Gruppenarbeit"})
    code = made.headers["location"].split("/")[2]
    workshop = await live_server.service.workshop(code)
    board_device = Device(live_server)
    board = Recorder(await board_device.socket(code, "board"), None, "board", "board")
    devices, recorders, texts = [], [], {}
    for name in (*TEAM_PEOPLE, "Ulrikea"):
        phone = Device(live_server)
        await phone.http.get(f"/join/{code}")
        renamed = await phone.http.post(f"/w/{code}/nickname", data={"nickname": name})
        assert renamed.status_code == 200
        devices.append(phone)
        texts[name] = [renamed.text]
        if name in TEAM_PEOPLE:  # the seventh joins after the groups are formed
            recorders.append(Recorder(await phone.socket(code, "phone"), name, "phone", name))
    late = devices.pop()
    await late.http.aclose()
    devices.append(late := Device(live_server))

    async def act(action: str, **fields: str) -> None:
        done = await trainer.http.post(f"/w/{code}/t/{action}", data=fields)
        assert done.status_code == 204, (action, done.text)

    await act("teams-form", by="count", number="3", how="random")
    snap = await live_server.service.snapshot(workshop.id)
    first, second, third = snap.teams
    ids = {p.nickname: p.id for p in snap.roster}
    await act("team-rename", team_id=first.id, name="Erreichbarkeit")
    holder = next(m.participant_id for m in snap.members if m.team_id == first.id)
    await act("team-console", team_id=first.id, participant_id=holder)
    mover = next(m.participant_id for m in snap.members if m.team_id == second.id)
    await act("team-move", participant_id=mover, team_id=third.id)
    await late.http.get(f"/join/{code}")
    texts["Ulrikea"] = [
        (await late.http.post(f"/w/{code}/nickname", data={"nickname": "Ulrikea"})).text
    ]
    recorders.append(Recorder(await late.socket(code, "phone"), "Ulrikea", "phone", "Ulrikea"))
    snap = await live_server.service.snapshot(workshop.id)
    ids = {p.nickname: p.id for p in snap.roster}
    own_team = {p.nickname: snap.team_of_person(p.id) for p in snap.roster}
    for recorder, device in zip(recorders, devices, strict=True):
        team = own_team[recorder.name]
        assert team is not None
        page = (await device.http.get(f"/w/{code}")).text
        assert f'class="my-team team team--{team.colour}" data-team="{team.id}"' in page
        texts[recorder.name].append(page)
        await recorder.wait_for(f'data-team="{team.id}"')
        await recorder.settle()
        # While the trainer assigns: no group but its own (then) reaches a phone.
        seen = "".join(texts[recorder.name] + recorder.frames)
        was_in = {second.id} if ids[recorder.name] == mover else set()
        assert set(DATA_TEAM.findall(seen)) == {team.id} | was_in, recorder.name
        assert "Erreichbarkeit" not in seen or team.id == first.id, recorder.name
    # The room chooses: each phone is offered every group, with its free places only.
    await act("teams-form", by="count", number="3", how="choice")
    snap = await live_server.service.snapshot(workshop.id)
    for recorder, device in list(zip(recorders, devices, strict=True))[:3]:
        chosen = await device.http.post(f"/w/{code}/team", data={"team_id": snap.teams[0].id})
        assert chosen.status_code == 200, chosen.text
        texts[recorder.name] += [chosen.text, (await device.http.get(f"/w/{code}")).text]
    for recorder in recorders:
        await recorder.wait_for(MESSAGES["team_full_short"]["de"])
        await recorder.settle()
    await board.settle()
    board_seen = "".join(board.frames) + (await board_device.http.get(f"/w/{code}/board")).text
    for name, participant_id in ids.items():
        assert name not in board_seen and participant_id not in board_seen, name
    for recorder in recorders:
        seen = "".join(texts[recorder.name] + recorder.frames)
        for name, participant_id in ids.items():
            if name != recorder.name:
                assert name not in seen, (recorder.name, "got the nickname of", name)
                assert participant_id not in seen, (recorder.name, "got the id of", name)
    for recorder in (*recorders, board):
        await recorder.close()
    for device in (*devices, board_device, trainer):
        await device.close()


async def test_no_phone_gets_another_team_s_wall_and_no_board_a_hidden_team_s_card(
    live_server: LiveServer,
) -> None:
    """A hidden step run in three teams: every phone writes a card only it knows. Until
    the merge no phone, and no group console, receives a card of another team; the board
    counts a team's cards until that team reveals them; the group console gets its
    team's cards only once revealed; nobody's id or nickname reaches the room."""
    trainer = Device(live_server)
    made = await trainer.http.post("/workshops", data={"title": "Gruppenwände"})
    code = made.headers["location"].split("/")[2]
    workshop = await live_server.service.workshop(code)
    board_device = Device(live_server)
    board = Recorder(await board_device.socket(code, "board"), None, "board", "board")
    devices, recorders, pages = [], [], {}
    for name in TEAM_PEOPLE:
        phone = Device(live_server)
        await phone.http.get(f"/join/{code}")
        renamed = await phone.http.post(f"/w/{code}/nickname", data={"nickname": name})
        assert renamed.status_code == 200
        devices.append(phone)
        pages[name] = [renamed.text]
        recorders.append(Recorder(await phone.socket(code, "phone"), name, "phone", name))

    async def act(action: str, **fields: str) -> None:
        done = await trainer.http.post(f"/w/{code}/t/{action}", data=fields)
        assert done.status_code == 204, (action, done.text)

    await act("teams-form", by="count", number="3", how="random")
    await act("hide")
    await act("teams-run")
    snap = await live_server.service.snapshot(workshop.id)
    team_of = {p.nickname: snap.team_of_person(p.id) for p in snap.roster}
    secret = {name: f"Geheimnis Nummer {n}" for n, name in enumerate(TEAM_PEOPLE)}
    for name, device in zip(TEAM_PEOPLE, devices, strict=True):
        sent = await device.http.post(
            f"/w/{code}/cards", data={"text": secret[name], "colour": "yellow"}
        )
        assert sent.status_code == 200, sent.text
        pages[name].append(sent.text)
    first = snap.teams[0]
    holder_name = next(n for n, t in team_of.items() if t is not None and t.id == first.id)
    holder = devices[TEAM_PEOPLE.index(holder_name)]
    assert (await holder.http.post(f"/w/{code}/team-console")).status_code == 200
    console = Recorder(
        await holder.socket(code, f"team&team={first.id}&as=member"), None, "team", "console"
    )
    await console.settle()
    hidden_on_console = "".join(console.frames)
    revealed = await holder.http.post(f"/w/{code}/g/{first.id}/reveal")
    assert revealed.status_code == 204, revealed.text
    for recorder, device in zip(recorders, devices, strict=True):
        pages[recorder.name].append((await device.http.get(f"/w/{code}/wall")).text)
        pages[recorder.name].append((await device.http.get(f"/w/{code}")).text)
    mine_in_first = [n for n, t in team_of.items() if t is not None and t.id == first.id]
    await board.wait_for(secret[mine_in_first[-1]])
    await console.wait_for(secret[mine_in_first[-1]])
    for recorder in (*recorders, board, console):
        await recorder.settle()
    for name in TEAM_PEOPLE:  # nothing of the first team on the console before its reveal
        assert secret[name] not in hidden_on_console, name
    board_seen = "".join(board.frames) + (await board_device.http.get(f"/w/{code}/board")).text
    console_seen = "".join(console.frames)
    for name, team in team_of.items():
        assert team is not None
        in_first = team.id == first.id
        assert (secret[name] in board_seen) == in_first, ("board", name)
        assert (secret[name] in console_seen) == in_first, ("group console", name)
    for person in snap.roster:
        assert person.id not in board_seen and person.nickname not in board_seen
        assert person.id not in console_seen or person.nickname == holder_name
    for recorder in recorders:
        own = team_of[recorder.name]
        assert own is not None
        seen = "".join(pages[recorder.name] + recorder.frames)
        for name, team in team_of.items():
            assert team is not None
            if team.id != own.id:
                assert secret[name] not in seen, (recorder.name, "got a card of", name)
    for recorder in (*recorders, board, console):
        await recorder.close()
    for device in (*devices, board_device, trainer):
        await device.close()
