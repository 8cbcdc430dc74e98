"""Kleingruppen over HTTP: the trainer forms them, phones see their own, late joiners
are placed, people are moved, and a room chooses its groups itself.

A service team of six splits up: "Gruppe 1 sammelt Ideen zu Erreichbarkeit …".
"""

from __future__ import annotations

import html
import re
from collections import Counter

import httpx

from board.i18n import translate
from board.service import Service
from board.settings import STATIC_DIR
from board.snapshot import Snapshot
from board.store import repository
from board.teams import MAX_TEAM_SIZE, TEAM_COLOURS
from tests.conftest import create_workshop, join, other_device
from tests.test_sockets import Device, frame_with
from tests.test_web_groups import new_workshop


async def trainer(client: httpx.AsyncClient, code: str, action: str, **fields: str):
    return await client.post(f"/w/{code}/t/{action}", data=fields)


async def phones(client: httpx.AsyncClient, code: str, n: int) -> list[httpx.AsyncClient]:
    joined = []
    for _ in range(n):
        phone = other_device(client)
        await join(phone, code)
        joined.append(phone)
    return joined


async def snap_of(service: Service, code: str) -> Snapshot:
    return await service.snapshot((await service.workshop(code)).id)


def sizes(snap: Snapshot) -> list[int]:
    counted = Counter(m.team_id for m in snap.members)
    return [counted[team.id] for team in snap.teams]


def your_team(page: str) -> str:
    """The phone's "Ihre Gruppe: …" line, as read."""
    found = re.search(r'class="my-team[^"]*"[^>]*>.*?<b>(.*?)</b>', page, re.S)
    assert found, page[:500]
    return html.unescape(found.group(1))


def flash(response: httpx.Response) -> str:
    found = re.search(r'role="alert">(.*?)</p>', response.text, re.S)
    assert found, response.text[:300]
    return html.unescape(found.group(1))


async def test_the_trainer_forms_three_groups_at_random_and_each_phone_sees_its_own(
    client, service
):
    code = await create_workshop(client)
    room = await phones(client, code, 6)
    formed = await trainer(client, code, "teams-form", by="count", number="3", how="random")
    assert formed.status_code == 204, formed.text
    snap = await snap_of(service, code)
    assert sizes(snap) == [2, 2, 2]
    assert [team.colour for team in snap.teams] == list(TEAM_COLOURS[:3])
    seen = Counter([your_team((await phone.get(f"/w/{code}")).text) for phone in room])
    assert seen == {"Gruppe 1": 2, "Gruppe 2": 2, "Gruppe 3": 2}
    console = (await client.get(f"/w/{code}/trainer")).text
    assert console.count('class="team team--') == 3
    assert console.count('data-size="') == 3


async def test_groups_of_a_size_take_as_many_groups_as_needed(client, service):
    code = await create_workshop(client)
    await phones(client, code, 7)
    formed = await trainer(client, code, "teams-form", by="size", number="3", how="random")
    assert formed.status_code == 204, formed.text
    assert sorted(sizes(await snap_of(service, code))) == [2, 2, 3]


async def test_topic_names_name_the_groups_and_decide_how_many(client, service):
    code = await create_workshop(client)
    room = await phones(client, code, 4)
    formed = await trainer(
        client, code, "teams-form", how="random", number="", names="Erreichbarkeit\nBeschwerden"
    )
    assert formed.status_code == 204, formed.text
    snap = await snap_of(service, code)
    assert [team.name for team in snap.teams] == ["Erreichbarkeit", "Beschwerden"]
    assert your_team((await room[0].get(f"/w/{code}")).text) in ("Erreichbarkeit", "Beschwerden")


async def test_groups_by_participant_group_keep_each_group_together(client, service):
    code = await new_workshop(client, groups="Führung\nMitarbeitende")
    ids = {g.name: g.id for g in (await service.workshop(code)).groups}
    room = await phones(client, code, 4)
    for phone, group in zip(
        room, ["Führung", "Führung", "Mitarbeitende", "Mitarbeitende"], strict=True
    ):
        chosen = await phone.post(f"/w/{code}/group", data={"group_id": ids[group]})
        assert chosen.status_code == 200
    formed = await trainer(client, code, "teams-form", how="by_group", number="")
    assert formed.status_code == 204, formed.text
    snap = await snap_of(service, code)
    group_of = {p.id: p.group_id for p in snap.roster}
    for team in snap.teams:
        assert len({group_of[m.participant_id] for m in snap.members if m.team_id == team.id}) == 1


async def test_a_late_joiner_goes_into_the_smallest_group(client, service):
    code = await create_workshop(client)
    await phones(client, code, 5)
    formed = await trainer(client, code, "teams-form", by="count", number="2", how="random")
    assert formed.status_code == 204
    before = await snap_of(service, code)
    smallest = min(before.teams, key=lambda team: sizes(before)[team.position])
    (late,) = await phones(client, code, 1)
    after = await snap_of(service, code)
    assert sizes(after) == [3, 3]
    assert after.workshop.seq > before.workshop.seq  # a write like any other: screens follow
    assert your_team((await late.get(f"/w/{code}")).text) == f"Gruppe {smallest.position + 1}"


async def test_the_trainer_moves_a_person_renames_a_group_and_appoints_its_console(client, service):
    code = await create_workshop(client)
    await phones(client, code, 4)
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    snap = await snap_of(service, code)
    first, second = snap.teams
    mover = next(m.participant_id for m in snap.members if m.team_id == first.id)
    moved = await trainer(client, code, "team-move", participant_id=mover, team_id=second.id)
    assert moved.status_code == 204, moved.text
    renamed = await trainer(client, code, "team-rename", team_id=second.id, name="Rückrufe")
    assert renamed.status_code == 204
    appointed = await trainer(client, code, "team-console", team_id=second.id, participant_id=mover)
    assert appointed.status_code == 204
    snap = await snap_of(service, code)
    assert sizes(snap) == [1, 3]
    assert snap.teams[1].name == "Rückrufe" and snap.teams[1].console_participant_id == mover
    console = (await client.get(f"/w/{code}/trainer")).text
    assert 'value="Rückrufe"' in console and "Gruppenmoderation</span>" in console


async def test_the_console_may_be_given_only_to_a_member(client, service):
    code = await create_workshop(client)
    await phones(client, code, 4)
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    snap = await snap_of(service, code)
    outsider = next(m.participant_id for m in snap.members if m.team_id == snap.teams[1].id)
    refused = await trainer(
        client, code, "team-console", team_id=snap.teams[0].id, participant_id=outsider
    )
    assert refused.status_code == 403
    assert flash(refused) == translate("de", "team_not_member")


async def test_a_person_of_another_workshop_cannot_be_moved_into_a_group(client, service):
    code, other = await create_workshop(client), await create_workshop(client)
    await phones(client, code, 2)
    await phones(client, other, 1)
    other_id = (await service.workshop(other)).id
    (stranger,) = await service.db.read(lambda conn: repository.participants(conn, other_id))
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    team_id = (await snap_of(service, code)).teams[0].id
    answer = await trainer(client, code, "team-move", participant_id=stranger.id, team_id=team_id)
    assert answer.status_code == 404
    assert sizes(await snap_of(service, code)) == [1, 1]


async def test_dissolving_ends_the_groups_on_every_phone(client, service):
    code = await create_workshop(client)
    room = await phones(client, code, 3)
    await trainer(client, code, "teams-form", by="count", number="3", how="random")
    assert "my-team" in (await room[0].get(f"/w/{code}")).text
    assert (await trainer(client, code, "teams-dissolve")).status_code == 204
    snap = await snap_of(service, code)
    assert snap.teams == () and snap.members == ()
    assert "my-team" not in (await room[0].get(f"/w/{code}")).text


async def test_forming_again_replaces_the_groups(client, service):
    code = await create_workshop(client)
    await phones(client, code, 6)
    await trainer(client, code, "teams-form", by="count", number="3", how="random")
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    snap = await snap_of(service, code)
    assert sizes(snap) == [3, 3] and len(snap.members) == 6


async def test_phones_choose_their_group_until_it_is_full(client, service):
    code = await create_workshop(client)
    room = await phones(client, code, 4)
    formed = await trainer(
        client, code, "teams-form", by="count", number="2", how="choice", cap="2"
    )
    assert formed.status_code == 204, formed.text
    snap = await snap_of(service, code)
    first, second = snap.teams
    page = (await room[0].get(f"/w/{code}")).text
    assert 'id="teams-choice"' in page and "noch 2 Plätze frei" in page
    for phone in room[:2]:
        chosen = await phone.post(f"/w/{code}/team", data={"team_id": first.id})
        assert chosen.status_code == 200, chosen.text
        assert your_team(chosen.text) == "Gruppe 1"
    full = await room[2].post(f"/w/{code}/team", data={"team_id": first.id})
    assert full.status_code == 409
    assert flash(full) == translate("de", "team_full", max=2)
    assert (await room[2].post(f"/w/{code}/team", data={"team_id": second.id})).is_success
    board = (await client.get(f"/w/{code}/board")).text
    assert 'id="board-teams"' in board and ">2/2<" in board and ">1/2<" in board
    assert sizes(await snap_of(service, code)) == [2, 1]


async def test_a_phone_cannot_choose_when_the_trainer_assigns(client, service):
    code = await create_workshop(client)
    room = await phones(client, code, 2)
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    snap = await snap_of(service, code)
    answer = await room[0].post(f"/w/{code}/team", data={"team_id": snap.teams[0].id})
    assert answer.status_code == 403
    assert flash(answer) == translate("de", "team_not_chosen")
    assert (await snap_of(service, code)).members == snap.members


async def test_forming_refusals_are_told_in_the_trainers_words(client, service):
    code = await create_workshop(client)
    nobody = await trainer(client, code, "teams-form", by="count", number="2", how="random")
    assert nobody.status_code == 409 and flash(nobody) == translate("de", "teams_nobody")
    await phones(client, code, 2)
    too_many = await trainer(client, code, "teams-form", by="count", number="3", how="random")
    assert flash(too_many) == translate("de", "teams_too_few_people", n=2)
    huge = await trainer(
        client, code, "teams-form", by="size", number=str(MAX_TEAM_SIZE + 1), how="random"
    )
    assert huge.status_code == 422
    assert flash(huge) == translate("de", "team_size_too_large", max=MAX_TEAM_SIZE)
    no_groups = await trainer(client, code, "teams-form", how="by_group", number="")
    assert flash(no_groups) == translate("de", "teams_no_groups")
    junk = await trainer(client, code, "teams-form", by="count", number="zwei", how="random")
    assert junk.status_code == 400


async def test_team_actions_are_the_trainers_alone(client, service):
    code = await create_workshop(client)
    room = await phones(client, code, 2)
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    snap = await snap_of(service, code)
    me = snap.roster[0].id
    for action, fields in (
        ("teams-form", {"by": "count", "number": "1", "how": "random"}),
        ("team-move", {"participant_id": me, "team_id": snap.teams[1].id}),
        ("team-rename", {"team_id": snap.teams[0].id, "name": "Gehackt"}),
        ("team-console", {"team_id": snap.teams[0].id, "participant_id": me}),
        ("teams-dissolve", {}),
    ):
        assert (await trainer(room[0], code, action, **fields)).status_code == 403
    after = await snap_of(service, code)
    assert (after.teams, after.members) == (snap.teams, snap.members)


async def test_a_phone_s_cut_holds_its_own_group_alone_and_the_room_s_nobody_in_any(
    client, service
):
    code = await create_workshop(client)
    await phones(client, code, 6)
    await trainer(client, code, "teams-form", by="count", number="3", how="random")
    snap = await snap_of(service, code)
    holder = snap.members[0]
    await trainer(
        client, code, "team-console", team_id=holder.team_id, participant_id=holder.participant_id
    )
    snap = await snap_of(service, code)
    for person in snap.roster:
        cut = snap.for_audience("phone", person.id)
        own = snap.team_of_person(person.id)
        assert own is not None and [t.id for t in cut.teams] == [own.id]
        assert [m.participant_id for m in cut.members] == [person.id]
        assert cut.roster == () and set(cut.team_sizes) == {own.id}
    other = next(p.id for p in snap.roster if p.id != holder.participant_id)
    assert all(t.console_participant_id is None for t in snap.for_audience("phone", other).teams)
    held = snap.for_audience("phone", holder.participant_id).teams[0]
    assert held.console_participant_id == holder.participant_id  # their own role, theirs
    room = snap.for_audience("board")
    assert room.members == () and room.roster == ()
    assert [t.console_participant_id for t in room.teams] == [None, None, None]
    assert list(room.team_sizes.values()) == [2, 2, 2]
    await trainer(client, code, "teams-form", by="count", number="3", how="choice")
    snap = await snap_of(service, code)
    cut = snap.for_audience("phone", snap.roster[0].id)
    assert [t.id for t in cut.teams] == [t.id for t in snap.teams] and cut.members == ()


def test_every_team_colour_has_its_colour_in_the_stylesheet():
    css = (STATIC_DIR / "css" / "base.css").read_text(encoding="utf-8")
    for colour in TEAM_COLOURS:
        assert f".team--{colour} {{ --team: #" in css, colour


async def test_console_board_and_phones_follow_the_groups_live(live_server) -> None:
    """Over the sockets: the console's panel, each phone's own group, the board's list
    while the room chooses, and a late joiner's arrival in the console."""
    trainer_device = Device(live_server)
    made = await trainer_device.http.post("/workshops", data={"title": "Live"})
    code = made.headers["location"].split("/")[2]
    phone, second = Device(live_server), Device(live_server)
    for device in (phone, second):
        await device.http.get(f"/join/{code}")
    console = await trainer_device.socket(code, "trainer")
    projector = Device(live_server)
    board = await projector.socket(code, "board")
    mine = await phone.socket(code, "phone")
    formed = await trainer_device.http.post(
        f"/w/{code}/t/teams-form", data={"by": "count", "number": "1", "how": "random"}
    )
    assert formed.status_code == 204
    assert 'id="console-teams"' in await frame_with(console, 'class="team team--blue"')
    assert 'class="my-team' in await frame_with(mine, "Ihre Gruppe: <b>Gruppe 1</b>")
    formed = await trainer_device.http.post(
        f"/w/{code}/t/teams-form", data={"by": "count", "number": "2", "how": "choice"}
    )
    assert formed.status_code == 204
    listed = await frame_with(board, 'class="teams-board__list"')
    assert listed.count('class="team team--') == 2 and "0/1" in listed
    assert 'id="teams-choice"' in await frame_with(mine, "teams-choice__title")
    late = Device(live_server)
    await late.http.get(f"/join/{code}")
    frame = await frame_with(console, "Person 3")
    assert 'id="console-teams"' in frame
    for ws in (console, board, mine):
        await ws.close()
    for device in (trainer_device, projector, phone, second, late):
        await device.close()


async def test_deleting_the_workshop_deletes_its_groups(client, service):
    code = await create_workshop(client)
    await phones(client, code, 4)
    await trainer(client, code, "teams-form", by="count", number="2", how="random")
    workshop = await service.workshop(code)
    await service.delete_workshop(workshop)

    def left(conn):  # type: ignore[no-untyped-def]
        return [
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("teams", "team_members")
        ]

    assert await service.db.read(left) == [0, 0]
