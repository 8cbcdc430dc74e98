"""Participant groups over HTTP: the trainer names them, phones pick one, results split.

"Der Kunde ist König?" in a service team: the younger staff agree, the older do not.
"""

from __future__ import annotations

import re

import httpx
import pytest

from board.service import Service
from tests.conftest import CODE_IN_LOCATION, join, other_device


async def vote(phone: httpx.AsyncClient, code: str, step_id: str, value: int) -> httpx.Response:
    return await phone.post(f"/w/{code}/vote", data={"step_id": step_id, "value": str(value)})


async def trainer(client: httpx.AsyncClient, code: str, action: str, **fields: str):
    return await client.post(f"/w/{code}/t/{action}", data=fields)


async def new_workshop(client: httpx.AsyncClient, groups: str = "bis 30\nüber 30") -> str:
    form = {"title": "Kunde König", "exercise": "step:scale", "groups": groups}
    response = await client.post("/workshops", data=form)
    assert response.status_code == 303, response.text
    found = CODE_IN_LOCATION.search(response.headers["location"])
    assert found
    return found.group(1)


async def group_ids(service: Service, code: str) -> dict[str, str]:
    workshop = await service.workshop(code)
    return {group.name: group.id for group in workshop.groups}


async def room(
    client: httpx.AsyncClient, service: Service, code: str, young: int, old: int
) -> list[httpx.AsyncClient]:
    """Phones join and pick their group; the young fully agree, the older do not at all."""
    ids = await group_ids(service, code)
    step = (await service.snapshot((await service.workshop(code)).id)).step
    phones = []
    for group, value, count in (("bis 30", 0, young), ("über 30", 4, old)):
        for _ in range(count):
            phone = other_device(client)
            await join(phone, code)
            chosen = await phone.post(f"/w/{code}/group", data={"group_id": ids[group]})
            assert chosen.status_code == 200, chosen.text
            assert (await vote(phone, code, step.id, value)).status_code == 200
            phones.append(phone)
    return phones


async def test_the_start_page_defines_the_groups(client, service):
    code = await new_workshop(client)
    assert list(await group_ids(service, code)) == ["bis 30", "über 30"]


async def test_a_joined_phone_is_asked_for_its_group_and_may_say_none(client, service):
    code = await new_workshop(client)
    phone = other_device(client)
    await join(phone, code)
    page = (await phone.get(f"/w/{code}")).text
    assert "my-group--ask" in page and "bis 30" in page and "keine Angabe" in page
    answer = await phone.post(f"/w/{code}/group", data={"group_id": ""})
    assert answer.status_code == 200
    assert 'id="my-group"' in answer.text and "my-group--ask" not in answer.text
    page = (await phone.get(f"/w/{code}")).text
    assert "my-group--ask" not in page and "Ihre Gruppe" in page


async def test_a_phone_cannot_pick_a_group_the_workshop_has_not(client, service):
    code = await new_workshop(client)
    phone = other_device(client)
    await join(phone, code)
    answer = await phone.post(f"/w/{code}/group", data={"group_id": "g9"})
    assert answer.status_code == 422


async def test_without_groups_a_phone_is_not_asked(client, service):
    code = await new_workshop(client, groups="")
    phone = other_device(client)
    await join(phone, code)
    assert "my-group" not in (await phone.get(f"/w/{code}")).text


async def test_the_trainer_names_groups_and_assigns_a_person(client, service):
    code = await new_workshop(client, groups="")
    assert (
        await trainer(client, code, "groups", groups="Führung\nMitarbeitende")
    ).status_code == 204
    ids = await group_ids(service, code)
    phone = other_device(client)
    await join(phone, code)
    workshop = await service.workshop(code)
    snap = await service.snapshot(workshop.id)
    person = snap.roster[0]
    assigned = await trainer(
        client, code, "participant-group", participant_id=person.id, group_id=ids["Führung"]
    )
    assert assigned.status_code == 204
    assert (await service.participant(person.id)).group_id == ids["Führung"]  # type: ignore[union-attr]
    console = (await client.get(f"/w/{code}/trainer")).text
    assert f'data-members="{ids["Führung"]}">1<' in console


async def test_a_phone_cannot_assign_groups_nor_switch_the_split(client, service):
    code = await new_workshop(client)
    phone = other_device(client)
    await join(phone, code)
    ids = await group_ids(service, code)
    workshop = await service.workshop(code)
    person = (await service.snapshot(workshop.id)).roster[0]
    for action, fields in (
        ("participant-group", {"participant_id": person.id, "group_id": ids["bis 30"]}),
        ("groups", {"groups": "A\nB"}),
        ("group-split", {"split": "on"}),
    ):
        assert (await trainer(phone, code, action, **fields)).status_code == 403


async def test_a_participant_of_another_workshop_cannot_be_assigned(client, service):
    code, other = await new_workshop(client), await new_workshop(client)
    phone = other_device(client)
    await join(phone, other)
    stranger = (await service.snapshot((await service.workshop(other)).id)).roster[0]
    ids = await group_ids(service, code)
    answer = await trainer(
        client, code, "participant-group", participant_id=stranger.id, group_id=ids["bis 30"]
    )
    assert answer.status_code == 404


async def test_the_board_shows_both_groups_beside_the_total_when_the_trainer_splits(
    client, service
):
    code = await new_workshop(client)
    await room(client, service, code, young=3, old=4)
    board = (await client.get(f"/w/{code}/board")).text
    assert "split-table" not in board  # all together until the trainer switches
    assert (await trainer(client, code, "group-split", split="on")).status_code == 204
    board = (await client.get(f"/w/{code}/board")).text
    assert "split-table" in board
    heads = re.findall(r'data-part="([^"]+)"', board)
    ids = await group_ids(service, code)
    assert heads == ["total", ids["bis 30"], ids["über 30"]]
    assert "nur in der Gesamtansicht" not in board
    assert (await trainer(client, code, "group-split", split="off")).status_code == 204
    assert "split-table" not in (await client.get(f"/w/{code}/board")).text


async def test_a_group_of_two_is_folded_and_the_board_says_so(client, service):
    code = await new_workshop(client)
    await room(client, service, code, young=5, old=2)
    await trainer(client, code, "group-split", split="on")
    board = (await client.get(f"/w/{code}/board")).text
    # Only the total: total minus "bis 30" would be the two older people's answers.
    assert re.findall(r'data-part="([^"]+)"', board) == ["total"]
    assert "Gruppen unter 3 Personen sind nur in der Gesamtansicht enthalten." in board


async def test_exactly_three_are_shown(client, service):
    code = await new_workshop(client)
    await room(client, service, code, young=3, old=3)
    await trainer(client, code, "group-split", split="on")
    board = (await client.get(f"/w/{code}/board")).text
    assert len(re.findall(r'data-part="g\d"', board)) == 2


@pytest.mark.parametrize("text", ["A\nA", "\n".join(f"G{i}" for i in range(9))])
async def test_group_lists_the_board_cannot_show_are_refused(client, service, text):
    code = await new_workshop(client, groups="")
    assert (await trainer(client, code, "groups", groups=text)).status_code == 422
    assert await group_ids(service, code) == {}


async def test_a_new_workshop_keeps_the_minimum_the_server_was_set_to(settings, tmp_path):
    """BOARD_GROUP_MINIMUM=4: each new workshop keeps it (its board and protocol use it)."""
    service = Service(settings.with_(group_minimum=4, data_dir=tmp_path / "four"))
    try:
        workshop = await service.create_workshop("Vier", "", ["step:scale"], "A\nB")
        assert workshop.group_minimum == 4
    finally:
        service.close()


async def test_a_phone_whose_group_was_removed_is_asked_again(client, service):
    code = await new_workshop(client)
    ids = await group_ids(service, code)
    phone = other_device(client)
    await join(phone, code)
    await phone.post(f"/w/{code}/group", data={"group_id": ids["über 30"]})
    assert "my-group--ask" not in (await phone.get(f"/w/{code}")).text
    await trainer(client, code, "groups", groups="bis 30\nab 31")
    assert "my-group--ask" in (await phone.get(f"/w/{code}")).text


async def test_the_themenspeicher_by_group_has_a_column_of_dots_per_group(client, service):
    form = {"title": "8 Ps", "exercise": "8ps-beziehungsmarketing", "groups": "Führung\nTeam"}
    response = await client.post("/workshops", data=form)
    code = CODE_IN_LOCATION.search(response.headers["location"]).group(1)  # type: ignore[union-attr]
    workshop = await service.workshop(code)
    ids = {group.name: group.id for group in workshop.groups}
    await trainer(client, code, "step-next")  # the 8 Ps ask for the goal first, then dot
    step = (await service.snapshot(workshop.id)).step
    assert step.kind == "dots"
    for group, option in (("Führung", "0"), ("Team", "1")):
        for _ in range(3):
            phone = other_device(client)
            await join(phone, code)
            await phone.post(f"/w/{code}/group", data={"group_id": ids[group]})
            dot = {"step_id": step.id, "option": option, "delta": "1"}
            assert (await phone.post(f"/w/{code}/vote", data=dot)).status_code == 200
    await trainer(client, code, "group-split", split="on")
    board = (await client.get(f"/w/{code}/board")).text
    assert "ranking--split" in board
    assert re.findall(r'<th scope="col" class="split-part--g\d" data-part="([^"]+)"', board) == [
        ids["Führung"],
        ids["Team"],
    ]
    first = re.search(r'<tr data-option="0">(.*?)</tr>', board, re.S)
    assert first and [int(n) for n in re.findall(r"<b[^>]*>(\d+)</b>", first.group(1))] == [3, 3, 0]


# -- the Zielscheibe split: the closing feedback of a team, the leaders glad, the team not
async def target_room(
    client: httpx.AsyncClient, service: Service, leaders: int, team: int, skip: int = 0
) -> str:
    """Leaders put every dot in the centre, the team at the edge; ``skip`` of the team
    leave the last criterion empty."""
    response = await client.post(
        "/workshops",
        data={"title": "Abschluss", "exercise": "step:target", "groups": "Führung\nTeam"},
    )
    code = CODE_IN_LOCATION.search(response.headers["location"]).group(1)  # type: ignore[union-attr]
    ids = {group.name: group.id for group in (await service.workshop(code)).groups}
    snap = await service.snapshot((await service.workshop(code)).id)
    criteria = len(snap.step.config["criteria"])
    for group, ring, count in (("Führung", 0, leaders), ("Team", 4, team)):
        for i in range(count):
            phone = other_device(client)
            await join(phone, code)
            await phone.post(f"/w/{code}/group", data={"group_id": ids[group]})
            rated = criteria - 1 if group == "Team" and i < skip else criteria
            for criterion in range(rated):
                dot = {"step_id": snap.step.id, "criterion": str(criterion), "distance": str(ring)}
                assert (await phone.post(f"/w/{code}/vote", data=dot)).status_code == 200
    return code


async def test_the_target_split_shows_each_groups_dots_and_median(client, service):
    code = await target_room(client, service, leaders=3, team=3)
    assert "target__group" not in (await client.get(f"/w/{code}/board")).text
    assert (await trainer(client, code, "group-split", split="on")).status_code == 204
    board = (await client.get(f"/w/{code}/board")).text
    assert "result--target-split" in board
    # A figures line per group under each of the four criteria, in its colour.
    lines = re.findall(
        r'<tspan class="target__group (split-part--g\d)"[^>]*>([^<]+)</tspan>', board
    )
    assert (
        lines == [("split-part--g0", "Führung: Median 1"), ("split-part--g1", "Team: Median 5")] * 4
    )
    assert board.count('class="target__dot split-dot--g0"') == 3 * 4
    assert board.count('class="target__dot split-dot--g1"') == 3 * 4
    assert "split-dot--rest" not in board
    assert "nur in der Gesamtansicht" not in board
    # The console's wall shows the split too, and the switch turns it off again.
    assert "target__group" in (await client.get(f"/w/{code}/trainer")).text
    assert (await trainer(client, code, "group-split", split="off")).status_code == 204
    assert "target__group" not in (await client.get(f"/w/{code}/board")).text


async def test_the_target_split_folds_a_group_of_two(client, service):
    code = await target_room(client, service, leaders=4, team=2)
    await trainer(client, code, "group-split", split="on")
    board = (await client.get(f"/w/{code}/board")).text
    # Total minus the leaders would be the two's dots: no group, no colour, only the total.
    assert "target__group" not in board and "split-dot--g" not in board
    assert board.count('class="target__dot split-dot--rest"') == 6 * 4
    assert "Gruppen unter 3 Personen sind nur in der Gesamtansicht enthalten." in board


async def test_the_target_split_counts_each_criterion_on_its_own(client, service):
    # Three in the team, but one left the last criterion empty: its team median there
    # would be two people's, so the team folds (and with it the leaders: see the rule).
    code = await target_room(client, service, leaders=3, team=3, skip=1)
    await trainer(client, code, "group-split", split="on")
    board = (await client.get(f"/w/{code}/board")).text
    assert "target__group" not in board and "split-dot--g" not in board
    assert "nur in der Gesamtansicht" in board


async def test_the_protocol_gives_each_shown_groups_target(client, service):
    code = await target_room(client, service, leaders=3, team=3)
    workshop = await service.workshop(code)
    markdown = (await client.get(f"/w/{code}/protocol.md")).text
    section = markdown.split("Führung", 1)[1]
    assert "(n = 3)" in section and "| Inhalte | 3 | 0 | 0 | 0 | 0 | 3 | 1 |" in section
    page = (await client.get(f"/w/{code}/protocol.html")).text
    assert page.count('<svg class="target"') == 3  # the total's and each group's
    assert workshop.groups[0].name in page


async def test_a_split_target_comes_back_split_from_its_json_record(client, service):
    code = await target_room(client, service, leaders=3, team=3)
    await trainer(client, code, "group-split", split="on")
    record = await service.export(await service.workshop(code))
    imported = await service.import_protocol(record)
    snap = await service.snapshot(imported.id)
    assert snap.split_view is not None
    assert [part.group.name for part in snap.split_view.groups if part.group] == ["Führung", "Team"]
    assert [r.median for r in snap.split_view.groups[1].result] == [5.0] * 4
