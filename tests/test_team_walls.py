"""A card step run in small groups, over HTTP: each team writes hidden cards on its own
wall, its group console reveals and clusters them, the projector shows the walls side
by side or one presenting, and the merge brings them into the plenary wall.

Six people of a service team, three groups: "Gruppe 1 sammelt Ideen zu Erreichbarkeit,
Gruppe 2 zu Beschwerden, Gruppe 3 zu Wartezeiten".
"""

from __future__ import annotations

import asyncio
import html
import re

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from board import teams
from board.i18n import translate
from board.service import Service
from board.snapshot import Snapshot
from tests.conftest import LiveServer, create_workshop
from tests.test_sockets import Device, frame_with, frames_until, frames_until_pong
from tests.test_web_teams import phones, snap_of, trainer

QUESTIONS = ("Erreichbarkeit", "Beschwerden", "Wartezeiten")


class Room:
    """The workshop, the phones by team (in the teams' order) and each phone's card."""

    def __init__(self, code: str, by_team: list[list[httpx.AsyncClient]], snap: Snapshot):
        self.code = code
        self.by_team = by_team
        self.snap = snap

    @property
    def team_ids(self) -> list[str]:
        return [team.id for team in self.snap.teams]

    def text(self, team: int, n: int) -> str:
        return f"{QUESTIONS[team]}: Idee {n} von Gruppe {team + 1}"


async def grouped_room(client: httpx.AsyncClient, service: Service, hidden: bool = True) -> Room:
    """Six phones in three teams on a hidden group step, each team with its own question,
    every phone's card written."""
    code = await create_workshop(client)
    room = await phones(client, code, 6)
    formed = await trainer(client, code, "teams-form", by="count", number="3", how="random")
    assert formed.status_code == 204, formed.text
    if hidden:
        assert (await trainer(client, code, "hide")).status_code == 204
    started = await trainer(client, code, "teams-run")
    assert started.status_code == 204, started.text
    snap = await snap_of(service, code)
    for team, question in zip(snap.teams, QUESTIONS, strict=True):
        asked = await trainer(client, code, "team-question", team_id=team.id, question=question)
        assert asked.status_code == 204, asked.text
    ids = {p.id: phone for p, phone in zip(snap.roster, room, strict=True)}
    by_team = [[ids[pid] for pid in teams.members_of(t.id, snap.members)] for t in snap.teams]
    result = Room(code, by_team, await snap_of(service, code))
    for t, members in enumerate(by_team):
        for n, phone in enumerate(members):
            sent = await phone.post(
                f"/w/{code}/cards", data={"text": result.text(t, n), "colour": "yellow"}
            )
            assert sent.status_code == 200, sent.text
    result.snap = await snap_of(service, code)
    return result


async def take_console(room: Room, team: int) -> httpx.AsyncClient:
    holder = room.by_team[team][0]
    taken = await holder.post(f"/w/{room.code}/team-console")
    assert taken.status_code == 200, taken.text
    return holder


async def test_each_card_lands_on_its_writer_s_team_wall(client, service):
    room = await grouped_room(client, service)
    team_of_text = {c.text: c.team_id for c in room.snap.wall.cards}
    for t, members in enumerate(room.by_team):
        for n in range(len(members)):
            assert team_of_text[room.text(t, n)] == room.team_ids[t]


async def test_a_phone_shows_its_team_s_question_and_no_other(client, service):
    room = await grouped_room(client, service)
    page = html.unescape((await room.by_team[1][0].get(f"/w/{room.code}")).text)
    assert "Frage Ihrer Gruppe: <b>Beschwerden</b>" in page
    assert "Erreichbarkeit" not in page and "Wartezeiten" not in page


async def test_the_projector_counts_hidden_cards_and_shows_no_text(client, service):
    room = await grouped_room(client, service)
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert board.count('class="team-wall team') == 3
    for t, question in enumerate(QUESTIONS):
        assert question in board  # each wall's question
        assert room.text(t, 0) not in board
    assert board.count("Karten verdeckt") == 3


async def test_a_group_console_reveals_its_own_team_s_cards_only(client, service):
    room = await grouped_room(client, service)
    holder = await take_console(room, 0)
    page = await holder.get(f"/w/{room.code}/g/{room.team_ids[0]}")
    assert page.status_code == 200
    assert room.text(0, 0) not in page.text, "hidden until the team reveals"
    revealed = await holder.post(f"/w/{room.code}/g/{room.team_ids[0]}/reveal")
    assert revealed.status_code == 204, revealed.text
    page = html.unescape((await holder.get(f"/w/{room.code}/g/{room.team_ids[0]}")).text)
    assert room.text(0, 0) in page and room.text(0, 1) in page
    assert room.text(1, 0) not in page
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert room.text(0, 0) in board and room.text(1, 0) not in board
    # A member of another team sees nothing of it on their phone's wall page.
    other = html.unescape((await room.by_team[1][0].get(f"/w/{room.code}/wall")).text)
    assert room.text(0, 0) not in other
    own = html.unescape((await room.by_team[0][1].get(f"/w/{room.code}/wall")).text)
    assert room.text(0, 0) in own


async def first_team_clusters(room: Room) -> tuple[httpx.AsyncClient, str]:
    """The first team's group console reveals its wall and starts "Telefon" with the
    team's first card; the console's holder and that card's id."""
    holder = await take_console(room, 0)
    base = f"/w/{room.code}/g/{room.team_ids[0]}"
    assert (await holder.post(f"{base}/reveal")).status_code == 204
    card = next(c for c in room.snap.wall.cards if c.text == room.text(0, 0))
    made = await holder.post(f"{base}/cluster-new", data={"card_id": card.id, "heading": "Telefon"})
    assert made.status_code == 204, made.text
    return holder, card.id


async def test_a_group_console_clusters_on_its_own_wall(client, service):
    room = await grouped_room(client, service)
    _, card_id = await first_team_clusters(room)
    snap = await snap_of(service, room.code)
    cluster = next(c for c in snap.wall.clusters if c.heading == "Telefon")
    assert cluster.team_id == room.team_ids[0]
    assert snap.wall.card(card_id).cluster_id == cluster.id


async def test_a_group_console_cannot_reach_another_team_s_wall(client, service):
    room = await grouped_room(client, service)
    holder = await take_console(room, 0)
    foreign = next(c for c in room.snap.wall.cards if c.team_id == room.team_ids[1])
    own_base = f"/w/{room.code}/g/{room.team_ids[0]}"
    moved = await holder.post(f"{own_base}/card-move", data={"card_id": foreign.id, "index": "0"})
    assert moved.status_code == 404, "another team's card is not on this wall"
    other_base = f"/w/{room.code}/g/{room.team_ids[1]}"
    assert (await holder.post(f"{other_base}/reveal")).status_code == 403
    assert (await holder.get(other_base)).status_code == 403
    # A member who does not hold the console may not act as one.
    member = room.by_team[0][1]
    assert (await member.post(f"{own_base}/reveal")).status_code == 403
    assert (await member.get(own_base)).status_code == 403
    # Nor may a group console change the step, the agenda or anything of the trainer's.
    assert (await holder.post(f"{own_base}/teams-merge")).status_code == 404
    assert (await holder.post(f"/w/{room.code}/t/teams-merge")).status_code == 403
    snap = await snap_of(service, room.code)
    assert snap.wall.card(foreign.id) == foreign
    assert snap.in_teams


async def test_the_trainer_steps_into_any_team_s_wall(client, service):
    room = await grouped_room(client, service)
    base = f"/w/{room.code}/g/{room.team_ids[2]}"
    page = await client.get(base)
    assert page.status_code == 200
    assert (await client.post(f"{base}/reveal")).status_code == 204
    card = next(c for c in room.snap.wall.cards if c.team_id == room.team_ids[2])
    made = await client.post(f"{base}/cluster-new", data={"card_id": card.id, "heading": "Warten"})
    assert made.status_code == 204, made.text
    console = html.unescape((await client.get(f"/w/{room.code}/trainer")).text)
    assert "Warten" in console and console.count('class="team-wall team') == 3


async def test_the_trainer_s_own_wall_tools_wait_while_the_teams_work(client, service):
    room = await grouped_room(client, service)
    card = room.snap.wall.cards[0]
    moved = await trainer(client, room.code, "cluster-new", card_id=card.id, heading="X")
    assert moved.status_code == 409
    assert "eigenen Wänden" in html.unescape(moved.text)
    written = await trainer(client, room.code, "card-add", text="Vom Trainer")
    assert written.status_code in (404, 409)


async def test_a_late_card_step_with_cards_cannot_start_group_work(client, service):
    code = await create_workshop(client)
    room = await phones(client, code, 3)
    await room[0].post(f"/w/{code}/cards", data={"text": "Schon da", "colour": "yellow"})
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    refused = await trainer(client, code, "teams-run")
    assert refused.status_code == 409
    assert "leeren Schritt" in html.unescape(refused.text)
    assert not (await snap_of(service, code)).in_teams


async def test_a_hidden_wall_is_not_presented_and_a_revealed_one_fills_the_board(client, service):
    room = await grouped_room(client, service)
    first = room.team_ids[0]
    refused = await trainer(client, room.code, "team-show", team_id=first)
    assert refused.status_code == 409
    assert (await trainer(client, room.code, "team-reveal", team_id=first)).status_code == 204
    assert (await trainer(client, room.code, "team-show", team_id=first)).status_code == 204
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert 'class="team-wall team' not in board, "one wall, not side by side"
    assert "Gruppe 1: Erreichbarkeit" in board
    assert room.text(0, 0) in board and room.text(1, 0) not in board
    assert (await trainer(client, room.code, "team-show", team_id="")).status_code == 204
    board = (await client.get(f"/w/{room.code}/board")).text
    assert board.count('class="team-wall team') == 3


async def test_the_merge_brings_every_wall_into_the_plenary_labelled_with_its_team(client, service):
    room = await grouped_room(client, service)
    holder, _ = await first_team_clusters(room)
    base = f"/w/{room.code}/g/{room.team_ids[0]}"
    merged = await trainer(client, room.code, "teams-merge", mode="as_clusters")
    assert merged.status_code == 204, merged.text
    snap = await snap_of(service, room.code)
    assert not snap.in_teams and snap.step.results_visible
    assert len(snap.wall.cards) == 6 and all(c.team_id is None for c in snap.wall.cards)
    headings = [c.heading for c in snap.wall.ordered_clusters()]
    assert headings == ["Gruppe 1: Telefon", "Gruppe 1", "Gruppe 2", "Gruppe 3"]
    kept = snap.step.config[teams.TEAM_WALLS]
    assert [wall["question"] for wall in kept] == list(QUESTIONS)
    assert kept[0]["clusters"] == [{"heading": "Telefon", "cards": [room.text(0, 0)]}]
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert room.text(2, 1) in board and "Gruppe 1: Telefon" in board
    # The group console is over: its page says so, its actions are refused.
    assert "beendet" in html.unescape((await holder.get(base)).text)
    assert (await holder.post(f"{base}/cluster-new", data={"heading": "X"})).status_code == 409


async def test_an_unknown_merge_mode_is_refused_and_changes_nothing(client, service):
    room = await grouped_room(client, service)
    refused = await trainer(client, room.code, "teams-merge", mode="zusammenwerfen")
    assert refused.status_code == 422
    assert (await snap_of(service, room.code)).in_teams


async def test_groups_are_not_formed_anew_or_dissolved_while_their_walls_are_up(client, service):
    room = await grouped_room(client, service)
    before = await snap_of(service, room.code)
    for action, fields in (
        ("teams-form", {"by": "count", "number": "2", "how": "random"}),
        ("teams-dissolve", {}),
    ):
        refused = await trainer(client, room.code, action, **fields)
        assert refused.status_code == 409, action
        assert "erst seine Gruppenwände ins Plenum" in html.unescape(refused.text)
    after = await snap_of(service, room.code)
    assert after.teams == before.teams and after.members == before.members
    assert (await trainer(client, room.code, "teams-merge", mode="as_clusters")).status_code == 204
    assert (await trainer(client, room.code, "teams-dissolve")).status_code == 204


async def test_no_similar_card_suggestion_mixes_the_teams_walls(client, service):
    room = await grouped_room(client, service)
    panel = await client.get(f"/w/{room.code}/t/suggestions?clusters=on")
    assert panel.status_code == 200
    assert not any(card.text in html.unescape(panel.text) for card in room.snap.wall.cards)
    first, second = room.snap.wall.cards[:2]
    stacked = await client.post(
        f"/w/{room.code}/t/similar-stack", data={"card_id": [first.id, second.id]}
    )
    assert stacked.status_code == 409
    assert "eigenen Wänden" in html.unescape(stacked.text)
    assert (await snap_of(service, room.code)).wall.card(second.id) == second


# -- live: what a change on one team's wall sends, and to whom ------------------------------
class LiveRoom:
    """Six phones with open sockets in three teams on an open group step, each team's
    group console open; every phone has written one card."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.trainer = Device(server)
        self.devices: list[Device] = []
        self.phones: dict[str, ClientConnection] = {}  # by participant id
        self.consoles: dict[str, ClientConnection] = {}  # by team id
        self.holders: dict[str, Device] = {}
        self.code = ""

    async def open(self) -> LiveRoom:
        made = await self.trainer.http.post("/workshops", data={"title": "Live"})
        self.code = made.headers["location"].split("/")[2]
        for _ in range(6):
            device = Device(self.server)
            await device.http.get(f"/join/{self.code}")
            self.devices.append(device)
        await self.act("teams-form", by="count", number="3", how="random")
        await self.act("teams-run")
        self.snap = await self.server.service.snapshot(
            (await self.server.service.workshop(self.code)).id
        )
        for device, person in zip(self.devices, self.snap.roster, strict=True):
            self.phones[person.id] = await device.socket(self.code, "phone")
            sent = await device.http.post(
                f"/w/{self.code}/cards", data={"text": f"Karte {person.id[:4]}", "colour": "yellow"}
            )
            assert sent.status_code == 200, sent.text
            team = self.snap.team_of_person(person.id)
            assert team is not None
            if team.id not in self.holders:
                taken = await device.http.post(f"/w/{self.code}/team-console")
                assert taken.status_code == 200, taken.text
                self.holders[team.id] = device
                role = f"team&team={team.id}&as=member"
                self.consoles[team.id] = await device.socket(self.code, role)
        return self

    async def act(self, action: str, **fields: str) -> None:
        done = await self.trainer.http.post(f"/w/{self.code}/t/{action}", data=fields)
        assert done.status_code == 204, (action, done.text)

    async def console_act(self, team_id: str, action: str, **fields: str) -> None:
        holder = self.holders[team_id]
        done = await holder.http.post(f"/w/{self.code}/g/{team_id}/{action}", data=fields)
        assert done.status_code == 204, (action, done.text)

    def members(self, team_id: str) -> list[str]:
        return teams.members_of(team_id, self.snap.members)

    async def quiet(self) -> None:
        """Every change so far is published (on the server's own event loop) and read
        (each socket answered a ping after it)."""
        live = self.server.service.live
        assert live._poller is not None  # the server listens: its loop runs the renders
        settled = asyncio.run_coroutine_threadsafe(live.settled(), live._poller.get_loop())
        await asyncio.wrap_future(settled)
        for ws in (*self.phones.values(), *self.consoles.values()):
            await frames_until_pong(ws)

    async def close(self) -> None:
        for ws in (*self.phones.values(), *self.consoles.values()):
            await ws.close()
        for device in (*self.devices, self.trainer):
            await device.close()


async def test_a_change_on_one_team_s_wall_reaches_that_team_s_console_only(live_server):
    room = await LiveRoom(live_server).open()
    first, second = room.snap.teams[0].id, room.snap.teams[1].id
    await room.quiet()
    await room.console_act(first, "cluster-new", heading="Nur bei uns")
    await frames_until(room.consoles[first], "Nur bei uns")
    assert await frames_until_pong(room.consoles[second]) == [], "nothing of its own changed"
    await room.close()


async def test_a_team_s_first_cluster_locks_its_phones_cards_and_no_other_team_s(live_server):
    room = await LiveRoom(live_server).open()
    first, second = room.snap.teams[0].id, room.snap.teams[1].id
    await room.quiet()
    await room.console_act(first, "cluster-new", heading="Erster Cluster")
    await frames_until(room.consoles[first], "Erster Cluster")
    locked = translate("de", "cards_locked_sorting")
    for person in room.members(first):
        await frames_until(room.phones[person], locked)
    for person in room.members(second):
        assert await frames_until_pong(room.phones[person]) == [], "its wall did not change"
    # A second cluster of the same team locks nothing new: no phone hears of it.
    await room.console_act(first, "cluster-new", heading="Zweiter Cluster")
    await frames_until(room.consoles[first], "Zweiter Cluster")
    for ws in room.phones.values():
        assert await frames_until_pong(ws) == []
    await room.close()


async def test_a_card_on_one_team_s_wall_sends_the_boards_that_wall_alone(live_server):
    room = await LiveRoom(live_server).open()
    first, second = room.snap.teams[0].id, room.snap.teams[1].id
    board_device = Device(live_server)
    board = await board_device.socket(room.code, "board")
    await frames_until_pong(board)
    writer = room.devices[[p.id for p in room.snap.roster].index(room.members(first)[0])]
    sent = await writer.http.post(
        f"/w/{room.code}/cards", data={"text": "Nur eine Wand", "colour": "yellow"}
    )
    assert sent.status_code == 200
    frame = next(f for f in await frames_until(board, "Nur eine Wand") if "Nur eine Wand" in f)
    assert f'id="team-wall-{first}"' in frame and 'data-base="' in frame
    assert f'id="team-wall-{second}"' not in frame, "the other walls stay as they are"
    # A team presenting: the whole wall again (another layout).
    await room.act("team-show", team_id=second)
    frame = await frame_with(board, 'id="board-wall"')
    assert "team-wall-" not in frame
    await board.close()
    await board_device.close()
    await room.close()


# -- a vote run in teams ------------------------------------------------------------------
async def voting_room(client: httpx.AsyncClient, service: Service, kind: str) -> Room:
    """Six phones in three teams on a vote of ``kind`` run in teams (hidden if it may be);
    every phone has
    voted: the first team 0, the second 1, the third 2 (for a scale: its first, second,
    third position)."""
    code = await create_workshop(client, exercises=[f"step:{kind}"])
    room = await phones(client, code, 6)
    await trainer(client, code, "teams-form", by="count", number="3", how="random")
    step = (await snap_of(service, code)).step
    if step.hideable and not step.hidden:  # a mood is never hidden
        assert (await trainer(client, code, "hide")).status_code == 204
    started = await trainer(client, code, "teams-run")
    assert started.status_code == 204, started.text
    snap = await snap_of(service, code)
    ids = {p.id: phone for p, phone in zip(snap.roster, room, strict=True)}
    by_team = [[ids[pid] for pid in teams.members_of(t.id, snap.members)] for t in snap.teams]
    for value, members in enumerate(by_team):
        for phone in members:
            voted = await phone.post(
                f"/w/{code}/vote", data={"step_id": snap.step.id, "value": str(value)}
            )
            assert voted.status_code == 200, voted.text
    return Room(code, by_team, await snap_of(service, code))


def shown_n(page: str) -> list[str]:
    return re.findall(r"n = <b data-n>(\d+)</b>", page)


async def test_a_scale_in_teams_shows_each_team_s_result_once_revealed(client, service):
    room = await voting_room(client, service, "scale")
    votes = room.snap.votes
    assert len(votes) == 6
    for team, members in zip(room.team_ids, room.by_team, strict=True):
        assert sum(1 for v in votes if v.team_id == team) == len(members)
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert board.count('class="team-wall team') == 3
    assert shown_n(board) == [], "no result while every team's is hidden"
    assert board.count("Personen haben geantwortet – verdeckt") == 3
    first = room.team_ids[0]
    assert (await trainer(client, room.code, "team-reveal", team_id=first)).status_code == 204
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert shown_n(board) == [str(len(room.by_team[0]))], "the first team's result only"
    # Its members see it on their phone's results page; another team's members do not.
    own = (await room.by_team[0][0].get(f"/w/{room.code}/wall")).text
    assert shown_n(own) == [str(len(room.by_team[0]))]
    other = (await room.by_team[1][0].get(f"/w/{room.code}/wall")).text
    assert shown_n(other) == []
    # Back in the plenary: everyone's votes are the room's result.
    assert (await trainer(client, room.code, "teams-merge")).status_code == 204
    board = html.unescape((await client.get(f"/w/{room.code}/board")).text)
    assert "team-wall" not in board and shown_n(board) == ["6"]
    snap = await snap_of(service, room.code)
    assert not snap.in_teams and all(v.team_id for v in snap.votes), "each vote keeps its team"


async def test_a_vote_in_teams_waits_for_the_voter_s_team_and_counts_there(client, service):
    code = await create_workshop(client, exercises=["step:mood"])
    room = await phones(client, code, 4)
    chosen = await trainer(client, code, "teams-form", by="count", number="2", how="choice")
    assert chosen.status_code == 204
    assert (await trainer(client, code, "teams-run")).status_code == 204
    snap = await snap_of(service, code)
    refused = await room[0].post(f"/w/{code}/vote", data={"step_id": snap.step.id, "value": "0"})
    assert refused.status_code == 409
    assert "in keiner Kleingruppe" in html.unescape(refused.text)
    team = snap.teams[1]
    assert (await room[0].post(f"/w/{code}/team", data={"team_id": team.id})).status_code == 200
    voted = await room[0].post(f"/w/{code}/vote", data={"step_id": snap.step.id, "value": "0"})
    assert voted.status_code == 200, voted.text
    assert [v.team_id for v in (await snap_of(service, code)).votes] == [team.id]
    board = (await client.get(f"/w/{code}/board")).text
    assert board.count('class="team-wall team') == 2  # a mood is never hidden: results live
    assert (await room[0].get(f"/w/{code}/wall")).status_code == 200


async def test_votes_keep_their_team_through_the_protocol(client, service):
    room = await voting_room(client, service, "scale")
    record = (await client.get(f"/w/{room.code}/protocol.json")).json()
    step = record["steps"][0]
    assert step["config"]["in_teams"] is True
    assert sorted(v["team"] for v in step["votes"]) == ["team1"] * 2 + ["team2"] * 2 + ["team3"] * 2


async def test_dots_in_teams_rank_each_team_s_options_apart(client, service):
    code = await create_workshop(client, exercises=["8ps-beziehungsmarketing"])
    room = await phones(client, code, 4)
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    snap = await snap_of(service, code)
    dots = next(s for s in snap.steps if s.kind == "dots")
    assert (await trainer(client, code, "step-go", step_id=dots.id)).status_code == 204
    assert (await trainer(client, code, "teams-run")).status_code == 204
    snap = await snap_of(service, code)
    ids = {p.id: phone for p, phone in zip(snap.roster, room, strict=True)}
    for team, option in zip(snap.teams, ("0", "1"), strict=True):
        for pid in teams.members_of(team.id, snap.members):
            sent = await ids[pid].post(
                f"/w/{code}/vote", data={"step_id": dots.id, "option": option, "delta": "1"}
            )
            assert sent.status_code == 200, sent.text
    after = await snap_of(service, code)
    for team, option in zip(after.teams, ("0", "1"), strict=True):
        placed = {v.key for v in after.of_team(team.id).votes}
        assert placed == {option}, "each team's dots on its own option only"
    board = await client.get(f"/w/{code}/board")
    assert board.status_code == 200 and board.text.count('class="team-wall team') == 2
    console = await client.get(f"/w/{code}/trainer")
    assert console.status_code == 200 and "2 Personen haben geantwortet" in console.text
    assert (await trainer(client, code, "teams-merge")).status_code == 204
    assert {v.key for v in (await snap_of(service, code)).votes} == {"0", "1"}


async def test_the_protocol_shows_each_team_s_result_of_a_vote(client, service):
    room = await voting_room(client, service, "scale")
    assert (await trainer(client, room.code, "teams-merge")).status_code == 204
    markdown = (await client.get(f"/w/{room.code}/protocol.md")).text
    part = markdown.split("Ergebnis je Kleingruppe", 1)[1]
    for n in (1, 2, 3):
        assert f"**Gruppe {n}** (n = 2)" in part
    page = html.unescape((await client.get(f"/w/{room.code}/protocol.html")).text)
    assert page.count("n = 2</span>") == 3 and "Ergebnis je Kleingruppe" in page


async def closed_by_policy(ws: ClientConnection) -> None:
    """The socket closes for good (1008: the page does not reconnect)."""
    with pytest.raises(ConnectionClosed) as closed:
        await frame_with(ws, "no other frame: the socket closes")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_a_group_console_socket_is_its_holder_s_or_the_trainer_s(live_server):
    room = await LiveRoom(live_server).open()
    first = room.snap.teams[0].id
    holder = room.holders[first]
    member = next(
        d
        for d, p in zip(room.devices, room.snap.roster, strict=True)
        if p.id in room.members(first) and d is not holder
    )
    role = f"team&team={first}&as=member"
    await closed_by_policy(await member.socket(room.code, role))
    await closed_by_policy(await room.holders[room.snap.teams[1].id].socket(room.code, role))
    await closed_by_policy(
        await Device(live_server).socket(room.code, f"team&team={first}&as=trainer")
    )
    trainer = await room.trainer.socket(room.code, f"team&team={first}&as=trainer")
    await frame_with(trainer, 'id="team-step"')
    # Handed over: the old holder's console says so and closes; the trainer's stays.
    holder_id = next(
        p.id for d, p in zip(room.devices, room.snap.roster, strict=True) if d is holder
    )
    other = next(p for p in room.members(first) if p != holder_id)
    await room.act("team-console", team_id=first, participant_id=other)
    await frame_with(room.consoles[first], translate("de", "team_console_gone"))
    await closed_by_policy(room.consoles[first])
    # A new trainer link: the trainer's group console closes too.
    assert (await room.trainer.http.post(f"/w/{room.code}/t/trainer-link")).status_code == 204
    await frame_with(trainer, translate("de", "trainer_link_revoked"))
    await closed_by_policy(trainer)
    await room.close()


async def test_a_team_s_question_reaches_its_phones_at_the_top_of_the_page(live_server):
    room = await LiveRoom(live_server).open()
    first, second = room.snap.teams[0].id, room.snap.teams[1].id
    await room.quiet()
    await room.act("team-question", team_id=first, question="Wie erreichbar sind wir?")
    for person in room.members(first):
        frame = await frames_until(room.phones[person], "Wie erreichbar sind wir?")
        assert 'id="team-question"' in frame[-1] and 'hx-swap-oob="true"' in frame[-1]
    for person in room.members(second):
        seen = "".join(await frames_until_pong(room.phones[person]))
        assert "Wie erreichbar sind wir?" not in seen
    page = (await room.devices[0].http.get(f"/w/{room.code}")).text
    assert page.index('id="team-question"') < page.index('id="phone-step"')
    await room.close()
