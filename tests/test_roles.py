"""Nobody acts beyond their role, no other site acts for them, and the cookies say so.

Every trainer route and the trainer's socket are tried with a participant's
cookie, another workshop's trainer cookie, tampered and forged tokens and no
cookie at all; every state change is tried from a foreign site with the
victim's genuine cookies. Each is refused and the workshop stays as it was;
then the genuine trainer, from our own pages, does the same thing and it
works, so the refusals were about who asked, not about what.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from board.i18n import MESSAGES
from board.service import Service
from board.settings import Settings
from board.store import repository
from board.tokens import Tokens
from board.web.routes import create_app
from board.web.trainer import action_names
from tests.conftest import LiveServer, create_workshop, join, other_device
from tests.test_sockets import Device

DEADLINE = 5.0
EVIL = "https://evil.example"
TRAINER_ONLY = MESSAGES["trainer_only"]["de"]
FOREIGN_ORIGIN = MESSAGES["foreign_origin"]["de"]
EXERCISES = [
    "step:cards",
    "kundenbegeisterung",
    "speedmeet",
    "massnahmenplan",
    "kunde-koenig",
    "step:target",
    "step:flash",
]
# The agenda these make: 0 cards, 1 cards (hidden), 2 dots, 3 pairs, 4 actions,
# 5 scale (hidden), 6 cards, 7 scale, 8 cards, 9 target, 10 Blitzlicht (hidden).


# A form field: one value, or several (the ticked boxes of a suggestion).
Field = str | list[str]


@dataclass
class Room:
    """A workshop mid-way: cards, clusters, a SpeedMeet, an action plan, three phones."""

    code: str
    service: Service
    trainer: httpx.AsyncClient
    phone: httpx.AsyncClient
    phones: list[httpx.AsyncClient]
    ids: dict[str, str]
    other_trainer_cookie: str

    @property
    def trainer_cookie(self) -> str:
        return self.trainer.cookies[f"mb_t_{self.code}"]

    def fill(self, form: dict[str, Field]) -> dict[str, Field]:
        return {
            key: [v.format(**self.ids) for v in value]
            if isinstance(value, list)
            else value.format(**self.ids)
            for key, value in form.items()
        }

    async def go(self, step: int) -> None:
        response = await self.trainer.post(
            f"/w/{self.code}/t/step-go", data={"step_id": self.ids[f"step{step}"]}
        )
        assert response.status_code == 204, response.text

    async def fingerprint(self) -> tuple[Any, ...]:
        """All a workshop is: its row (with the sequence every change bumps) and its record."""
        workshop = await self.service.workshop(self.code)
        record = await self.service.export(workshop, names=True)
        record.pop("exported_at")
        counts = self.service.db.read_now(
            lambda c: (
                c.execute("SELECT count(*) FROM workshops").fetchone()[0],
                c.execute("SELECT count(*) FROM participants").fetchone()[0],
            )
        )
        return workshop, record, counts


@pytest.fixture
async def room(client: httpx.AsyncClient, service: Service) -> AsyncIterator[Room]:
    code = await create_workshop(client, "Rollen", EXERCISES)
    phones = [other_device(client) for _ in range(3)]
    for phone in phones:
        await join(phone, code)
    other_trainer = other_device(client)
    other_code = await create_workshop(other_trainer, "Ein anderer Workshop")
    workshop = await service.workshop(code)
    snap = await service.snapshot(workshop.id)
    ids = {f"step{s.position}": s.id for s in snap.steps} | {"code": code}
    everyone = service.db.read_now(lambda c: repository.participants(c, workshop.id))
    ids["participant"] = everyone[0].id
    room = Room(
        code=code,
        service=service,
        trainer=client,
        phone=phones[0],
        phones=phones,
        ids=ids,
        other_trainer_cookie=other_trainer.cookies[f"mb_t_{other_code}"],
    )
    for i, text in enumerate(("Eins", "Zwei", "Drei")):
        sent = await room.phone.post(
            f"/w/{code}/cards", data={"text": text, "colour": "yellow", "client_id": str(i)}
        )
        assert sent.status_code == 200
    for heading in ("Haltung", "Tempo"):
        new = await client.post(f"/w/{code}/t/cluster-new", data={"heading": heading})
        assert new.status_code == 204
    # Phones may still edit their sorted cards here (the cross-site edits below).
    unlocked = await client.post(f"/w/{code}/t/edit-lock", data={})
    assert unlocked.status_code == 204
    await room.go(3)
    for phone, name in zip(phones[:2], ("Kim", "Sam"), strict=True):
        joined = await phone.post(
            f"/w/{code}/pairs/join", data={"step_id": ids["step3"], "nickname": name}
        )
        assert joined.status_code == 200, joined.text
    await room.go(4)
    item = await client.post(f"/w/{code}/t/action-add", data={"what": "Leitfaden"})
    assert item.status_code == 204
    ids["item"] = (await service.snapshot(workshop.id)).actions[0].id
    await room.go(10)
    for phone, said in zip(phones, ("Zuhören", "Nachfragen", "Geduld"), strict=True):
        answered = await phone.post(
            f"/w/{code}/vote", data={"step_id": ids["step10"], "text": said}
        )
        assert answered.status_code == 200, answered.text
    # The Themenspeicher: two topics of the trainer's, one proposal waiting from a phone.
    for title in ("Erreichbarkeit", "Rückrufe"):
        added = await client.post(f"/w/{code}/t/topic-add", data={"title": title})
        assert added.status_code == 204
    assert (await client.post(f"/w/{code}/t/topic-proposals", data={"allowed": "on"})).is_success
    proposed = await room.phone.post(f"/w/{code}/topics", data={"title": "Vorschlag"})
    assert proposed.status_code == 200, proposed.text
    assert (await client.post(f"/w/{code}/t/topic-proposals", data={"allowed": "off"})).is_success
    by_title = {t.title: t.id for t in (await service.snapshot(workshop.id)).topics}
    ids |= {"t1": by_title["Erreichbarkeit"], "t2": by_title["Rückrufe"]}
    ids["proposal"] = by_title["Vorschlag"]
    # Kleingruppen the phones choose themselves: two, nobody in one yet.
    formed = await client.post(
        f"/w/{code}/t/teams-form", data={"by": "count", "number": "2", "how": "choice"}
    )
    assert formed.status_code == 204, formed.text
    ids |= {f"team{t.position + 1}": t.id for t in (await service.snapshot(workshop.id)).teams}
    await room.go(0)
    snap = await service.snapshot(workshop.id)
    by_text = {card.text: card.id for card in snap.wall.cards}
    ids |= {"c1": by_text["Eins"], "c2": by_text["Zwei"], "c3": by_text["Drei"]}
    ids |= {f"k{i + 1}": c.id for i, c in enumerate(snap.wall.ordered_clusters())}
    yield room
    for phone in [*phones, other_trainer]:
        await phone.aclose()


# Each trainer action with the step it needs, what the genuine trainer does first (or a
# phone, for "phone:<route>"), and a form that changes the workshop when the genuine
# trainer sends it.
Prep = list[tuple[str, dict[str, Field]]]
SCENARIOS: dict[str, tuple[int, Prep, dict[str, Field]]] = {
    "question": (0, [], {"question": "Gehackt?"}),
    "open": (0, [("close", {})], {}),
    "close": (0, [], {}),
    "hide": (0, [], {}),
    "unhide": (1, [], {}),
    "reveal": (1, [], {}),
    "step-go": (0, [], {"step_id": "{step4}"}),
    "step-next": (0, [], {}),
    "step-prev": (1, [], {}),
    "step-move": (0, [], {"step_id": "{step0}", "index": "3"}),
    "step-remove": (0, [], {"step_id": "{step2}"}),
    "agenda-add": (0, [], {"exercise": "ok-corral"}),
    "timer-start": (0, [], {"minutes": "5"}),
    "timer-stop": (0, [("timer-start", {"minutes": "5"})], {}),
    "timer-gong": (0, [], {}),  # the box unticked: the gong goes off
    "join-display": (0, [], {"display": "strip"}),
    "groups": (0, [], {"groups": "Führung\nMitarbeitende"}),
    "group-split": (7, [("groups", {"groups": "bis 30\nüber 30"})], {"split": "on"}),
    "participant-group": (
        0,
        [("groups", {"groups": "bis 30\nüber 30"})],
        {"participant_id": "{participant}", "group_id": "g2"},
    ),
    "card-text": (0, [], {"card_id": "{c1}", "text": "Gehackt"}),
    "card-stack": (0, [], {"card_id": "{c2}", "onto_id": "{c1}"}),
    "card-unstack": (
        0,
        [("card-stack", {"card_id": "{c2}", "onto_id": "{c1}"})],
        {"card_id": "{c2}"},
    ),
    "card-move": (0, [], {"card_id": "{c1}", "cluster_id": "{k1}", "index": "0"}),
    "card-delete": (0, [], {"card_id": "{c1}"}),
    "card-write": (0, [], {"text": "Gehackt", "colour": "yellow", "cluster_id": "{k1}"}),
    "edit-lock": (0, [], {"lock": "on"}),
    "card-colours": (0, [], {"colour_yellow": "on", "meaning_yellow": "Gehackt"}),
    "reveal-next": (1, [], {}),
    "undo": (0, [("card-move", {"card_id": "{c1}", "cluster_id": "{k1}", "index": "0"})], {}),
    "cluster-new": (0, [], {"heading": "Gehackt"}),
    "cluster-rename": (0, [], {"cluster_id": "{k1}", "heading": "Gehackt"}),
    "cluster-move": (0, [], {"cluster_id": "{k2}", "index": "0"}),
    "cluster-merge": (0, [], {"cluster_id": "{k2}", "into_id": "{k1}"}),
    "cluster-dissolve": (0, [], {"cluster_id": "{k1}"}),
    "similar-stack": (0, [], {"card_id": ["{c1}", "{c2}"]}),
    "similar-cluster": (0, [], {"heading": "Gehackt", "card_id": ["{c1}", "{c3}"]}),
    "dots-budget": (2, [], {"budget": "7"}),
    "target-criteria": (9, [], {"criteria": "Gehackt\nAuch gehackt", "lang": "de"}),
    "scale-figures": (5, [], {"show": "1"}),
    "pairs-timing": (3, [], {"round_minutes": "3", "changeover_seconds": "20"}),
    "pairs-circle-size": (3, [], {"circle_size": "5"}),
    "flash-view": (10, [], {"view": "all"}),
    "flash-next": (10, [], {}),
    "flash-prev": (10, [("flash-next", {})], {}),
    "pairs-start": (3, [], {}),
    "pairs-reset": (3, [("pairs-start", {})], {}),
    "action-add": (4, [], {"what": "Gehackt"}),
    "action-edit": (4, [], {"item_id": "{item}", "what": "Gehackt"}),
    "action-delete": (4, [], {"item_id": "{item}"}),
    "action-status": (4, [], {"item_id": "{item}", "status": "done"}),
    "dots-from-topics": (2, [], {}),
    "dots-keep-ranking": (2, [("dots-from-topics", {})], {}),
    "dots-top-actions": (
        2,
        [
            ("dots-from-topics", {}),
            ("phone:vote", {"step_id": "{step2}", "option": "{t2}", "delta": "1"}),
        ],
        {"n": "3"},
    ),
    "topic-add": (0, [], {"title": "Gehackt"}),
    "topic-rename": (0, [], {"topic_id": "{t1}", "title": "Gehackt"}),
    "topic-remove": (0, [], {"topic_id": "{t1}"}),
    "topic-move": (0, [], {"topic_id": "{t2}", "index": "0"}),
    "topic-accept": (0, [], {"topic_id": "{proposal}"}),
    "topic-reject": (0, [], {"topic_id": "{proposal}"}),
    "topic-park-card": (0, [], {"card_id": "{c1}"}),
    "topic-park-cluster": (0, [], {"cluster_id": "{k1}"}),
    "topic-proposals": (0, [], {"allowed": "on"}),
    "topics-show": (0, [], {"shown": "on"}),
    "teams-form": (0, [], {"by": "count", "number": "1", "how": "random"}),
    "team-move": (0, [], {"participant_id": "{participant}", "team_id": "{team1}"}),
    "team-rename": (0, [], {"team_id": "{team1}", "name": "Gehackt"}),
    "team-console": (
        0,
        [("team-move", {"participant_id": "{participant}", "team_id": "{team1}"})],
        {"team_id": "{team1}", "participant_id": "{participant}"},
    ),
    "teams-dissolve": (0, [], {}),
    # A hidden, empty card step run in the two teams.
    "teams-run": (1, [], {}),
    "team-question": (1, [("teams-run", {})], {"team_id": "{team1}", "question": "Gehackt?"}),
    "team-reveal": (1, [("teams-run", {})], {"team_id": "{team1}"}),
    "team-show": (
        1,
        [("teams-run", {}), ("team-reveal", {"team_id": "{team1}"})],
        {"team_id": "{team1}"},
    ),
    "teams-merge": (1, [("teams-run", {})], {"mode": "as_clusters"}),
    "trainer-link": (0, [], {}),
}


def test_every_trainer_action_has_a_scenario() -> None:
    assert set(SCENARIOS) == action_names()


async def prepare(room: Room, action: str) -> dict[str, Field]:
    step, prep, form = SCENARIOS[action]
    await room.go(step)
    for name, prep_form in prep:
        if name.startswith("phone:"):
            sent = await room.phone.post(
                f"/w/{room.code}/{name.removeprefix('phone:')}", data=room.fill(prep_form)
            )
            assert sent.status_code == 200, (name, sent.text)
            continue
        done = await room.trainer.post(f"/w/{room.code}/t/{name}", data=room.fill(prep_form))
        assert done.status_code == 204, (name, done.text)
    return room.fill(form)


def tampered(token: str) -> str:
    """One character of the signature changed (not the last: its low bits are padding)."""
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def rewritten(token: str, other: str) -> str:
    """Another workshop's payload under this token's signature."""
    return f"{other.rpartition('.')[0]}.{token.rpartition('.')[2]}"


# Who tries: a name and (cookies, query) for a request to the room's trainer routes.
Intruder = Callable[[Room], tuple[dict[str, str], dict[str, str]]]
INTRUDERS: dict[str, Intruder] = {
    "a participant's cookie": lambda r: ({f"mb_p_{r.code}": r.phone.cookies[f"mb_p_{r.code}"]}, {}),
    "a participant's token as trainer cookie": lambda r: (
        {f"mb_t_{r.code}": r.phone.cookies[f"mb_p_{r.code}"]},
        {},
    ),
    "another workshop's trainer cookie": lambda r: ({f"mb_t_{r.code}": r.other_trainer_cookie}, {}),
    "another workshop's trainer token in the link": lambda r: (
        {},
        {"token": r.other_trainer_cookie},
    ),
    "a tampered trainer cookie": lambda r: ({f"mb_t_{r.code}": tampered(r.trainer_cookie)}, {}),
    "a tampered trainer token in the link": lambda r: ({}, {"token": tampered(r.trainer_cookie)}),
    "a trainer cookie with another payload": lambda r: (
        {f"mb_t_{r.code}": rewritten(r.trainer_cookie, r.other_trainer_cookie)},
        {},
    ),
    "a token forged with another key": lambda r: ({f"mb_t_{r.code}": forged(r)}, {}),
    "no cookie": lambda r: ({}, {}),
}


def forged(room: Room) -> str:
    """Everything right but the signing key (ours is test-secret-key, see conftest)."""
    workshop = room.service.db.read_now(
        lambda c: c.execute(
            "SELECT id, trainer_secret FROM workshops WHERE code = ?", (room.code,)
        ).fetchone()
    )
    return Tokens("a-key-the-attacker-made-up").trainer(workshop[0], workshop[1])


def assert_refused_as_trainer_only(response: httpx.Response) -> None:
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert TRAINER_ONLY in response.text


@pytest.mark.parametrize("action", sorted(action_names()))
async def test_trainer_actions_are_refused_to_anyone_but_the_trainer(
    room: Room, action: str
) -> None:
    form = await prepare(room, action)
    before = await room.fingerprint()
    for name, intruder in INTRUDERS.items():
        cookies, query = intruder(room)
        async with other_device(room.trainer, cookies) as who:
            response = await who.post(f"/w/{room.code}/t/{action}", params=query, data=form)
        assert_refused_as_trainer_only(response)
        assert await room.fingerprint() == before, f"{name} changed the workshop"
    response = await room.trainer.post(f"/w/{room.code}/t/{action}", data=form)
    assert response.status_code == 204, response.text
    assert await room.fingerprint() != before, "the genuine trainer's form changed nothing"


TRAINER_PAGES = ["trainer", "delete"] + [
    f"protocol.{fmt}" for fmt in ("json", "csv", "md", "html", "pdf")
]


@pytest.mark.parametrize("page", TRAINER_PAGES)
async def test_trainer_pages_are_refused_to_anyone_but_the_trainer(room: Room, page: str) -> None:
    before = await room.fingerprint()
    for intruder in INTRUDERS.values():
        cookies, query = intruder(room)
        async with other_device(room.trainer, cookies) as who:
            response = await who.get(f"/w/{room.code}/{page}", params=query)
            assert_refused_as_trainer_only(response)
            assert "Eins" not in response.text and "Leitfaden" not in response.text
            assert "set-cookie" not in response.headers
    assert await room.fingerprint() == before
    if page != "protocol.pdf":  # rendering the PDF is slow and tested in test_protocol
        genuine = await room.trainer.get(f"/w/{room.code}/{page}")
        assert genuine.status_code == 200
        assert ("Eins" in genuine.text) is (page != "delete")


async def test_deleting_the_workshop_is_refused_to_anyone_but_the_trainer(room: Room) -> None:
    before = await room.fingerprint()
    for intruder in INTRUDERS.values():
        cookies, query = intruder(room)
        async with other_device(room.trainer, cookies) as who:
            response = await who.post(
                f"/w/{room.code}/delete", params=query, data={"confirm": room.code}
            )
        assert_refused_as_trainer_only(response)
    assert await room.fingerprint() == before
    genuine = await room.trainer.post(f"/w/{room.code}/delete", data={"confirm": room.code})
    assert genuine.status_code == 303
    assert (await room.trainer.get(f"/w/{room.code}/board")).status_code == 404


# -- the trainer's socket -------------------------------------------------------------
@dataclass
class LiveRoom:
    server: LiveServer
    trainer: Device
    phone: Device
    code: str

    def astuple(self) -> tuple[LiveServer, Device, Device, str]:
        return self.server, self.trainer, self.phone, self.code


@pytest.fixture
async def live_room(live_server: LiveServer) -> AsyncIterator[LiveRoom]:
    trainer, phone = Device(live_server), Device(live_server)
    code = await create_workshop(trainer.http)
    await join(phone.http, code)
    yield LiveRoom(live_server, trainer, phone, code)
    await trainer.close()
    await phone.close()


async def close_code(url: str, origin: str, cookie: str = "") -> int:
    ws = await connect(
        url,
        origin=origin,  # type: ignore[arg-type]
        additional_headers={"cookie": cookie} if cookie else {},
        compression=None,
    )
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(DEADLINE):
            while True:
                await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_the_trainer_socket_is_refused_to_anyone_but_the_trainer(
    live_room: LiveRoom,
) -> None:
    server, trainer, phone, code = live_room.astuple()
    workshop = await server.service.workshop(code)
    other = Device(server)
    other_code = await create_workshop(other.http, "Anderer")
    genuine = trainer.http.cookies[f"mb_t_{code}"]
    foreign = other.http.cookies[f"mb_t_{other_code}"]
    participant = phone.http.cookies[f"mb_p_{code}"]
    forged_token = Tokens("a-key-the-attacker-made-up").trainer(
        workshop.id, workshop.trainer_secret
    )
    base = f"{server.ws_url}/w/{code}/ws?role=trainer"
    attempts = {
        "a participant's cookie": (base, f"mb_p_{code}={participant}"),
        "a participant's token as trainer cookie": (base, f"mb_t_{code}={participant}"),
        "another workshop's trainer cookie": (base, f"mb_t_{code}={foreign}"),
        "another workshop's token in the link": (f"{base}&token={foreign}", ""),
        "a tampered trainer cookie": (base, f"mb_t_{code}={tampered(genuine)}"),
        "a tampered token in the link": (f"{base}&token={tampered(genuine)}", ""),
        "a token forged with another key": (base, f"mb_t_{code}={forged_token}"),
        "no cookie": (base, ""),
    }
    for name, (url, cookie) in attempts.items():
        assert await close_code(url, server.url, cookie) == 1008, name
    assert await server.service.workshop(code) == workshop
    console = await trainer.socket(code, "trainer")
    async with asyncio.timeout(DEADLINE):
        assert 'id="console-wall"' in await console.recv()
    await console.close()
    await other.close()


# -- cross-site -------------------------------------------------------------------------
FOREIGN = {
    "another site": {"origin": EVIL},
    "a sandboxed frame": {"origin": "null"},
    "a look-alike host": {"origin": "http://testserver.evil.example"},
    "another port": {"origin": "http://testserver:8080"},
    "a cross-site fetch without Origin": {"sec-fetch-site": "cross-site"},
}
# The smallest protocol of the schema's shape: one empty Kartenabfrage.
PROTOCOL_FILE = b'{"format": "moderation-board/1", "exported_at": "2026-01-01T01:00:00Z", "workshop": {"title": "Import", "code": "AAAAAA", "created_at": "2026-01-01T00:00:00Z", "active_step": 0, "names_included": false}, "participants": [], "steps": [{"kind": "cards", "question": "", "state": "open", "hidden": false, "revealed": false, "config": {}, "clusters": [], "cards": [], "votes": [], "actions": [], "people": []}]}'  # noqa: E501


@dataclass(frozen=True)
class Change:
    # "trainer", "phone" (joined, in the SpeedMeet), "newcomer" (joined, not in it) or
    # "stranger" (not joined)
    who: str
    path: str
    form: dict[str, str]
    step: int = 0


# Every state-changing route a browser could be tricked into, with the victim's cookies.
CHANGES: dict[str, Change] = {
    "create a workshop": Change("trainer", "/workshops", {"title": "Untergeschoben"}),
    "import a workshop": Change("trainer", "/workshops/import", {}),
    "join a workshop": Change("stranger", "/join", {"code": "{code}"}),
    "write a card": Change("phone", "/w/{code}/cards", {"text": "Fremd", "colour": "yellow"}),
    "edit a card": Change("phone", "/w/{code}/cards/{c1}", {"text": "Fremd", "colour": "yellow"}),
    "delete a card": Change("phone", "/w/{code}/cards/{c1}/delete", {}),
    "set a nickname": Change("phone", "/w/{code}/nickname", {"nickname": "Fremd"}),
    "vote": Change("phone", "/w/{code}/vote", {"step_id": "{step5}", "value": "0"}, 5),
    "propose an action": Change(
        "phone", "/w/{code}/actions", {"step_id": "{step4}", "what": "Fremd"}, 4
    ),
    "join the SpeedMeet": Change(
        "newcomer", "/w/{code}/pairs/join", {"step_id": "{step3}", "nickname": "Fremd"}, 3
    ),
    "leave the SpeedMeet": Change("phone", "/w/{code}/pairs/leave", {"step_id": "{step3}"}, 3),
    "choose a Kleingruppe": Change("phone", "/w/{code}/team", {"team_id": "{team1}"}),
    "delete the workshop": Change("trainer", "/w/{code}/delete", {"confirm": "{code}"}),
}


async def send(room: Room, change: Change, headers: dict[str, str]) -> httpx.Response:
    clients = {
        "trainer": room.trainer,
        "phone": room.phone,
        "newcomer": room.phones[2],
    }
    path = change.path.format(**room.ids)
    if change.path == "/workshops/import":
        files = {"file": ("protocol.json", PROTOCOL_FILE, "application/json")}
        return await room.trainer.post(path, files=files, headers=headers)
    if change.who == "stranger":
        async with other_device(room.trainer) as stranger:
            return await stranger.post(path, data=room.fill(change.form), headers=headers)
    return await clients[change.who].post(path, data=room.fill(change.form), headers=headers)


@pytest.mark.parametrize("name", sorted(CHANGES))
async def test_state_changes_from_another_site_are_refused(room: Room, name: str) -> None:
    change = CHANGES[name]
    await room.go(change.step)
    before = await room.fingerprint()
    for site, headers in FOREIGN.items():
        response = await send(room, change, headers)
        assert response.status_code == 403, (site, response.status_code)
        assert response.text == FOREIGN_ORIGIN, site
        assert await room.fingerprint() == before, f"{name} from {site} changed something"
    genuine = await send(room, change, {"origin": "http://testserver"})
    assert genuine.status_code in (200, 303), (genuine.status_code, genuine.text[:300])
    if name == "delete the workshop":
        assert (await room.trainer.get(f"/w/{room.code}/board")).status_code == 404
    else:
        assert await room.fingerprint() != before


@pytest.mark.parametrize("action", sorted(action_names()))
async def test_trainer_actions_from_another_site_are_refused(room: Room, action: str) -> None:
    form = await prepare(room, action)
    before = await room.fingerprint()
    for site, headers in FOREIGN.items():
        response = await room.trainer.post(f"/w/{room.code}/t/{action}", data=form, headers=headers)
        assert response.status_code == 403 and response.text == FOREIGN_ORIGIN, site
    assert await room.fingerprint() == before
    genuine = await room.trainer.post(
        f"/w/{room.code}/t/{action}", data=form, headers={"origin": "http://testserver"}
    )
    assert genuine.status_code == 204, genuine.text
    assert await room.fingerprint() != before


@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1.evil.example"])
@pytest.mark.parametrize("role", ["board", "phone", "trainer"])
async def test_socket_handshakes_from_a_foreign_origin_are_refused(
    live_room: LiveRoom, role: str, origin: str
) -> None:
    server, trainer, phone, code = live_room.astuple()
    owner = {"board": phone, "phone": phone, "trainer": trainer}[role]
    cookie = "; ".join(f"{k}={v}" for k, v in owner.http.cookies.items())
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            f"{server.ws_url}/w/{code}/ws?role={role}",
            origin=origin,  # type: ignore[arg-type]
            additional_headers={"cookie": cookie},
            compression=None,
        )
    assert refused.value.response.status_code == 403
    workshop = await server.service.workshop(code)
    assert server.service.live.present(workshop.id) == 0  # the refused phone never arrived
    # the same handshake from our own pages gets in (and a phone is counted before its
    # first frame is sent, so the count above was no accident of timing)
    ws = await owner.socket(code, role)
    async with asyncio.timeout(DEADLINE):
        assert 'id="seq"' in await ws.recv()
    assert server.service.live.present(workshop.id) == (1 if role == "phone" else 0)
    await ws.close()


# -- cookies ----------------------------------------------------------------------------
def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def attributes(header: str) -> tuple[str, dict[str, str]]:
    """The cookie's name and its attributes, names in lower case."""
    jar = SimpleCookie()
    jar.load(header)
    (name, morsel), *_ = jar.items()
    flags = {part.strip().split("=", 1)[0].lower(): part for part in header.split(";")[1:]}
    values = {key: str(morsel[key]) for key in ("samesite", "path", "max-age")} | {
        "httponly": "httponly" in flags,  # type: ignore[dict-item]
        "secure": "secure" in flags,  # type: ignore[dict-item]
    }
    return name, values


async def every_cookie_setting_response(
    client: httpx.AsyncClient, base_url: str = "http://testserver"
) -> dict[str, list[str]]:
    """Set-Cookie headers of every way the app hands out a trainer or participant cookie."""
    seen: dict[str, list[str]] = {}
    created = await client.post("/workshops", data={"title": "Kekse"})
    seen["create a workshop"] = set_cookies(created)
    code = created.headers["location"].split("/")[2]
    # The token from the header: a jar keeps a Secure cookie to itself over plain http.
    token = SimpleCookie(created.headers["set-cookie"])[f"mb_t_{code}"].value
    async with httpx.AsyncClient(transport=client._transport, base_url=base_url) as tablet:
        link = await tablet.get(f"/w/{code}/trainer", params={"token": token})
        seen["follow the trainer link"] = set_cookies(link)
    trainer = {"cookie": f"mb_t_{code}={token}"}  # only the console takes a token in the link
    record = (await client.get(f"/w/{code}/protocol.json", headers=trainer)).content
    imported = await client.post("/workshops/import", files={"file": ("p.json", record)})
    seen["import a workshop"] = set_cookies(imported)
    async with httpx.AsyncClient(transport=client._transport, base_url=base_url) as phone:
        seen["join by link"] = set_cookies(await phone.get(f"/join/{code}"))
    async with httpx.AsyncClient(transport=client._transport, base_url=base_url) as phone:
        seen["join by code"] = set_cookies(await phone.post("/join", data={"code": code}))
    assert all(seen.values()), {k: v for k, v in seen.items() if not v}
    return seen


async def test_identity_cookies_are_httponly_and_samesite_lax(client: httpx.AsyncClient) -> None:
    for way, headers in (await every_cookie_setting_response(client)).items():
        for header in headers:
            name, values = attributes(header)
            assert name.startswith(("mb_t_", "mb_p_")), (way, header)
            assert values["httponly"], (way, header)
            assert values["samesite"].lower() == "lax", (way, header)
            assert values["path"] == "/", (way, header)
            assert not values["secure"], (way, header)  # plain http, "auto": no Secure


async def test_every_other_set_cookie_is_httponly_and_secure_when_asked(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key", secure_cookies="true"
    )
    service = Service(settings)
    transport = httpx.ASGITransport(app=create_app(settings, service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            code = await create_workshop(client)
            headers = set_cookies(await client.get("/lang/en?next=/"))
            deleted = await client.post(f"/w/{code}/delete", data={"confirm": code})
            assert deleted.status_code == 303
            headers += set_cookies(deleted)
        assert len(headers) == 2
        for header in headers:
            _, values = attributes(header)
            assert values["samesite"].lower() == "lax", header
            assert values["httponly"] and values["secure"], header
    finally:
        service.close()


@pytest.mark.parametrize(
    ("mode", "base_url", "secure"),
    [
        ("true", "http://testserver", True),
        ("false", "https://testserver", False),
        ("auto", "https://testserver", True),
        ("auto", "http://testserver", False),
    ],
)
async def test_secure_cookies_follow_the_setting(
    tmp_path: Path, mode: str, base_url: str, secure: bool
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key", secure_cookies=mode
    )
    service = Service(settings)
    transport = httpx.ASGITransport(app=create_app(settings, service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            seen = await every_cookie_setting_response(client, base_url)
        for way, headers in seen.items():
            for header in headers:
                _, values = attributes(header)
                assert values["secure"] is secure, (mode, base_url, way, header)
                assert values["httponly"] and values["samesite"].lower() == "lax", header
    finally:
        service.close()


@dataclass
class ProxiedServer:
    url: str
    trusted: bool


@pytest.fixture(params=["127.0.0.1", "10.9.8.7"], ids=["trusted proxy", "untrusted client"])
def proxied_server(request: pytest.FixtureRequest, settings: Settings) -> Iterator[ProxiedServer]:
    """A real uvicorn started as board/cli.py starts it: proxy headers from trusted proxies."""
    allowed = request.param
    service = Service(settings)
    config = uvicorn.Config(
        create_app(settings.with_(trusted_proxies=allowed), service),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=allowed,
        ws_per_message_deflate=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started, deadline = threading.Event(), time.monotonic() + DEADLINE
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        started.wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield ProxiedServer(f"http://127.0.0.1:{port}", trusted=allowed == "127.0.0.1")
    server.should_exit = True
    thread.join(10)
    service.close()


async def test_cookies_are_secure_behind_a_trusted_tls_proxy(proxied_server: ProxiedServer) -> None:
    """BOARD_SECURE_COOKIES=auto: https as the proxy saw it, believed only from a trusted proxy."""
    async with httpx.AsyncClient(base_url=proxied_server.url) as client:
        via_tls = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
        created = await client.post("/workshops", data={"title": "Proxy"}, headers=via_tls)
        assert created.status_code == 303
        code = created.headers["location"].split("/")[2]
        joined = await client.get(f"/join/{code}", headers=via_tls)
        plain = await client.post("/workshops", data={"title": "Ohne TLS"})
    for response in (created, joined):
        (header,) = set_cookies(response)
        _, values = attributes(header)
        assert values["secure"] is proxied_server.trusted, header
        assert values["httponly"] and values["samesite"].lower() == "lax"
    (header,) = set_cookies(plain)
    assert not attributes(header)[1]["secure"], "plain http got a Secure cookie"
