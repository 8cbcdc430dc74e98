"""The exercise kinds over HTTP: a half-day agenda run from the console, phones following."""

from __future__ import annotations

import re

import httpx
import pytest

from board.i18n import translate
from board.pairs import MAX_CIRCLE
from board.service import Service
from tests.conftest import create_workshop, join, other_device


async def active_step(service: Service, code: str):  # type: ignore[no-untyped-def]
    workshop = await service.workshop(code)
    return (await service.snapshot(workshop.id)).step


async def vote(phone: httpx.AsyncClient, code: str, step_id: str, **fields: object):
    return await phone.post(f"/w/{code}/vote", data={"step_id": step_id, **fields})


async def trainer(client: httpx.AsyncClient, code: str, action: str, **fields: object):
    return await client.post(f"/w/{code}/t/{action}", data=fields)


@pytest.fixture
async def phones(client):
    made = []
    for _ in range(3):
        made.append(other_device(client))
    return made


async def test_the_agenda_is_built_from_the_chosen_exercises(client, service):
    code = await create_workshop(
        client, exercises=["unsere-wanderung", "kunde-koenig", "massnahmenplan"]
    )
    workshop = await service.workshop(code)
    snap = await service.snapshot(workshop.id)
    kinds = [step.kind for step in snap.steps]
    wanderung, kunde_koenig = ["mood", "cards", "cards", "cards"], ["scale", "cards"] * 2
    assert kinds == [*wanderung, *kunde_koenig, "actions"]
    assert snap.step.kind == "mood" and snap.step.id == snap.steps[0].id


async def test_an_unknown_exercise_is_refused_and_nothing_is_created(client, service):
    response = await client.post("/workshops", data={"title": "X", "exercise": "nope"})
    assert response.status_code == 422
    assert "nope" in response.text
    count = service.db.read_now(lambda c: c.execute("SELECT count(*) FROM workshops").fetchone()[0])
    assert count == 0


async def test_phones_follow_the_agenda_without_navigating(client, service, phones):
    code = await create_workshop(client, exercises=["massnahmenplan", "kunde-koenig"])
    phone = phones[0]
    await join(phone, code)
    assert 'data-kind="actions"' in (await phone.get(f"/w/{code}")).text
    assert (await trainer(client, code, "step-next")).status_code == 204
    assert 'data-kind="scale"' in (await phone.get(f"/w/{code}")).text
    snap_steps = (await service.snapshot((await service.workshop(code)).id)).steps
    assert (await trainer(client, code, "step-go", step_id=snap_steps[3].id)).status_code == 204
    page = (await phone.get(f"/w/{code}")).text
    assert 'data-kind="scale"' in page and "trifft voll zu" in page
    assert (await trainer(client, code, "step-prev")).status_code == 204
    assert (await active_step(service, code)).id == snap_steps[2].id


async def test_going_past_the_end_of_the_agenda_is_refused(client):
    code = await create_workshop(client, exercises=["massnahmenplan"])
    response = await trainer(client, code, "step-next")
    assert response.status_code == 409
    assert "Agenda" in response.text


async def test_reordering_adding_and_removing_steps(client, service):
    code = await create_workshop(client, exercises=["step:mood", "step:cards"])
    assert (await trainer(client, code, "agenda-add", exercise="massnahmenplan")).status_code == 204
    workshop = await service.workshop(code)
    steps = (await service.snapshot(workshop.id)).steps
    assert [s.kind for s in steps] == ["mood", "cards", "actions"]
    moved = await trainer(client, code, "step-move", step_id=steps[2].id, index="0")
    assert moved.status_code == 204
    steps = (await service.snapshot(workshop.id)).steps
    assert [s.kind for s in steps] == ["actions", "mood", "cards"]
    removed = await trainer(client, code, "step-remove", step_id=steps[1].id)  # the active mood
    assert removed.status_code == 204
    snap = await service.snapshot(workshop.id)
    assert [s.kind for s in snap.steps] == ["actions", "cards"]
    assert snap.step.kind == "cards"


async def test_one_dot_per_person_on_a_scale_and_moving_it(client, service, phones):
    code = await create_workshop(client, exercises=["kunde-koenig"])
    step = await active_step(service, code)
    for phone in phones:
        await join(phone, code)
    assert (await vote(phones[0], code, step.id, value="0")).status_code == 200
    moved = await vote(phones[0], code, step.id, value="3")
    assert moved.status_code == 200 and 'aria-pressed="true"' in moved.text
    await vote(phones[1], code, step.id, value="3")
    snap = await service.snapshot((await service.workshop(code)).id)
    assert snap.results.counts == [0, 0, 0, 2, 0] and snap.results.n == 2
    bad = await vote(phones[2], code, step.id, value="7")
    assert bad.status_code == 422 and "Skala" in bad.text


async def test_hidden_scale_results_stay_off_the_board_until_revealed(client, service, phones):
    code = await create_workshop(client, exercises=["kunde-koenig"])
    step = await active_step(service, code)
    assert step.hidden
    for phone, value in zip(phones, ("0", "1", "1"), strict=True):
        await join(phone, code)
        await vote(phone, code, step.id, value=value)
    board = (await phones[0].get(f"/w/{code}/board")).text
    assert "chart--bars" not in board and "data-count>3<" in board.replace(" ", "")
    assert "chart--bars" in (await client.get(f"/w/{code}/trainer")).text
    await trainer(client, code, "reveal")
    board = (await phones[0].get(f"/w/{code}/board")).text
    assert "chart--bars" in board


async def test_the_board_shows_the_distribution_first_and_the_figures_on_request(
    client, service, phones
):
    code = await create_workshop(client, exercises=["step:scale"])
    step = await active_step(service, code)
    for phone, value in zip(phones, ("0", "1", "2"), strict=True):
        await join(phone, code)
        await vote(phone, code, step.id, value=value)
    board = (await phones[0].get(f"/w/{code}/board")).text
    assert "data-count>1<" in board.replace(" ", "")  # the distribution
    assert "Median" not in board and "Mittelwert" not in board
    console = (await client.get(f"/w/{code}/trainer")).text
    assert "Median" in console  # the trainer sees them all along
    assert "Median und Mittelwert zeigen" in console
    assert (await trainer(client, code, "scale-figures", show="1")).status_code == 204
    board = (await phones[0].get(f"/w/{code}/board")).text
    assert "Median <b>2</b>" in board and "Mittelwert <b>2</b>" in board
    assert (await active_step(service, code)).config["show_figures"] is True  # stored
    assert "Median und Mittelwert ausblenden" in (await client.get(f"/w/{code}/trainer")).text
    assert (await trainer(client, code, "scale-figures", show="0")).status_code == 204
    assert "Median" not in (await phones[0].get(f"/w/{code}/board")).text
    assert (await trainer(client, code, "scale-figures", show="ja")).status_code == 400


async def test_the_protocol_keeps_the_figures_of_a_scale_the_board_left_out(
    client, service, phones
):
    code = await create_workshop(client, exercises=["step:scale"])
    step = await active_step(service, code)
    await join(phones[0], code)
    await vote(phones[0], code, step.id, value="1")
    protocol = (await client.get(f"/w/{code}/protocol.md")).text
    assert "Median 2" in protocol and "Mittelwert 2" in protocol


async def test_votes_on_a_closed_or_inactive_step_are_refused(client, service, phones):
    code = await create_workshop(client, exercises=["kunde-koenig"])
    step = await active_step(service, code)
    phone = phones[0]
    await join(phone, code)
    await trainer(client, code, "close")
    closed = await vote(phone, code, step.id, value="1")
    assert closed.status_code == 409 and "geschlossen" in closed.text
    await trainer(client, code, "open")
    await trainer(client, code, "step-next")
    stale = await vote(phone, code, step.id, value="1")
    assert stale.status_code == 409 and "nicht mehr aktiv" in stale.text
    snap = await service.snapshot((await service.workshop(code)).id)
    assert snap.votes == ()


async def test_ok_corral_points_land_in_their_quadrant(client, service, phones):
    code = await create_workshop(client, exercises=["ok-corral"])
    step = await active_step(service, code)
    phone = phones[0]
    await join(phone, code)
    placed = [("0", "0.5", "0.5"), ("1", "-0.4", "0.7"), ("2", "0.2", "-0.9")]
    for situation, x, y in placed:
        response = await vote(phone, code, step.id, situation=situation, x=x, y=y)
        assert response.status_code == 200
    snap = await service.snapshot((await service.workshop(code)).id)
    quadrants = [next(q for q, n in result.quadrants.items() if n) for result in snap.results]
    assert quadrants == ["top_right", "top_left", "bottom_right"]
    outside = await vote(phone, code, step.id, situation="0", x="1.5", y="0")
    assert outside.status_code == 422 and "außerhalb" in outside.text
    nan = await vote(phone, code, step.id, situation="0", x="nan", y="0")
    assert nan.status_code == 422
    unknown = await vote(phone, code, step.id, situation="9", x="0", y="0")
    assert unknown.status_code == 422


async def test_dots_within_budget_and_stacking_limit(client, service, phones):
    code = await create_workshop(client, exercises=["8ps-beziehungsmarketing"])
    await trainer(client, code, "step-next")  # from the goal to the eight Ps
    step = await active_step(service, code)
    phone = phones[0]
    await join(phone, code)
    assert (await vote(phone, code, step.id, option="2", delta="1")).status_code == 200
    assert (await vote(phone, code, step.id, option="2", delta="1")).status_code == 200
    full = await vote(phone, code, step.id, option="2", delta="1")
    assert full.status_code == 409 and "Höchstens 2" in full.text
    assert (await vote(phone, code, step.id, option="5", delta="1")).status_code == 200
    broke = await vote(phone, code, step.id, option="6", delta="1")
    assert broke.status_code == 409 and "Alle Ihre Punkte" in broke.text
    unknown = await vote(phone, code, step.id, option="99", delta="1")
    assert unknown.status_code == 422
    back = await vote(phone, code, step.id, option="2", delta="-1")
    assert back.status_code == 200 and "Noch 1 von 3" in back.text
    snap = await service.snapshot((await service.workshop(code)).id)
    top = snap.results.ranking("de")[0]
    assert (top.option.label, top.dots, top.rank) == (
        "Preise, Rabatte und dazugehörige Strategien",
        1,
        1,
    )


async def test_the_phone_explains_each_of_the_eight_ps(client, service, phones):
    code = await create_workshop(client, exercises=["8ps-beziehungsmarketing"])
    await trainer(client, code, "step-next")
    phone = phones[0]
    await join(phone, code)
    page = (await phone.get(f"/w/{code}")).text
    options = re.findall(
        r'class="dot-option__label">([^<]*)<span class="dot-option__explain">([^<]+)<', page
    )
    assert len(options) == 8
    assert options[0][0] == "Public Values"
    places = dict(options)["Plätze des Kontakts"]
    assert "Annäherung, Werbung, Angebote und Verkäufe" in places  # as the source says
    english = (await phone.get(f"/w/{code}", headers={"Accept-Language": "en"})).text
    assert "Advertising and sales promotion." in english


async def test_the_trainer_changes_the_dot_budget(client, service, phones):
    code = await create_workshop(client, exercises=["8ps-beziehungsmarketing"])
    await trainer(client, code, "step-next")  # from the goal to the eight Ps
    assert (await trainer(client, code, "dots-budget", budget="5")).status_code == 204
    snap = await service.snapshot((await service.workshop(code)).id)
    assert snap.results.budget() == 5
    assert (await trainer(client, code, "dots-budget", budget="0")).status_code == 422
    assert (await trainer(client, code, "dots-budget", budget="x")).status_code == 400


async def test_dots_on_the_clusters_of_the_card_step_before(client, service, phones):
    code = await create_workshop(client, exercises=["kundenbegeisterung"])
    phone = phones[0]
    await join(phone, code)
    for heading in ("Haltung", "Tempo", "Kulanz"):
        await trainer(client, code, "cluster-new", heading=heading)
    await trainer(client, code, "step-next")
    snap = await service.snapshot((await service.workshop(code)).id)
    options = snap.results.options("de")
    assert [o.label for o in options] == ["Haltung", "Tempo", "Kulanz"]
    assert snap.results.budget() == 1
    response = await vote(phone, code, snap.step.id, option=options[1].id, delta="1")
    assert response.status_code == 200
    ranking = (await service.snapshot(snap.workshop.id)).results.ranking("de")
    assert ranking[0].option.label == "Tempo" and ranking[0].dots == 1


def text_of(page: str) -> str:
    """What a person reads: the page without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


async def test_one_dot_each_reads_singular_on_the_phone_in_both_languages(client, service, phones):
    code = await create_workshop(client, exercises=["kundenbegeisterung"])
    german, english = phones[0], other_device(client, {"lang": "en"})
    for heading in ("Haltung", "Tempo"):
        await trainer(client, code, "cluster-new", heading=heading)
    await trainer(client, code, "step-next")
    snap = await service.snapshot((await service.workshop(code)).id)
    assert snap.results.budget() == 1
    await join(german, code)
    await join(english, code)
    assert "Noch 1 von 1 Punkt " in text_of((await german.get(f"/w/{code}")).text)
    assert "1 of 1 dot left" in text_of((await english.get(f"/w/{code}")).text)
    placed = await vote(
        german, code, snap.step.id, option=snap.results.options("de")[0].id, delta="1"
    )
    assert "Noch 0 von 1 Punkt " in text_of(placed.text)
    assert 'aria-label="1 Punkt"' in placed.text

    wall = text_of((await german.get(f"/w/{code}/wall")).text)
    assert "1 teilnehmende Person · 1 Punkt pro Person" in wall
    wall = text_of((await english.get(f"/w/{code}/wall")).text)
    assert "1 participant · 1 dot each" in wall


def dot_buttons(page: str, label: str) -> dict[str, bool]:
    """The row of ``label`` on a phone: its two buttons by what they do, True if they can
    be pressed."""
    row = re.search(
        rf'<li class="dot-option">(?:(?!</li>).)*?>{re.escape(label)}<.*?</li>', page, re.S
    )
    assert row, f"no row for {label}"
    buttons = re.findall(r'<button [^>]*name="delta" value="(-?1)"([^>]*)>', row[0])
    return {"take" if delta == "-1" else "place": "disabled" not in rest for delta, rest in buttons}


async def test_each_phone_sees_its_own_dot_buttons_and_language(client, service, phones):
    """Phones in different states and languages at the same time: each answer shows that
    phone's own dots and buttons in its own words, never another phone's rows."""
    code = await create_workshop(client, exercises=["8ps-beziehungsmarketing"])
    await trainer(client, code, "step-next")
    snap = await service.snapshot((await service.workshop(code)).id)
    step, german = snap.step, [o.label for o in snap.results.options("de")]
    english_labels = [o.label for o in snap.results.options("en")]
    assert german[2] != english_labels[2]
    full, fresh, english = phones[0], phones[1], other_device(client, {"lang": "en"})
    for phone in (full, fresh, english):
        await join(phone, code)
    await vote(full, code, step.id, option="2", delta="1")
    mine = await vote(full, code, step.id, option="2", delta="1")  # the most on one option
    assert dot_buttons(mine.text, german[2]) == {"take": True, "place": False}
    assert 'aria-label="2 Punkte"' in mine.text
    theirs = await vote(fresh, code, step.id, option="5", delta="1")
    assert dot_buttons(theirs.text, german[2]) == {"take": False, "place": True}
    assert dot_buttons(theirs.text, german[5]) == {"take": True, "place": True}
    await vote(english, code, step.id, option="2", delta="1")
    await vote(english, code, step.id, option="2", delta="1")
    last = await vote(english, code, step.id, option="0", delta="1")  # the budget is spent
    take_back = translate("en", "take_back_dot")
    assert f'aria-label="{take_back}: {english_labels[2]}"' in last.text
    assert "Punkt" not in last.text
    assert dot_buttons(last.text, english_labels[2]) == {"take": True, "place": False}
    assert dot_buttons(last.text, english_labels[0]) == {"take": True, "place": False}
    assert dot_buttons(last.text, english_labels[1]) == {"take": False, "place": False}
    assert (await trainer(client, code, "close")).status_code == 204
    closed = (await full.get(f"/w/{code}")).text
    assert dot_buttons(closed, german[2]) == {"take": False, "place": False}


async def test_mood_with_a_word(client, service, phones):
    code = await create_workshop(client, exercises=["unsere-wanderung"])
    step = await active_step(service, code)
    phone = phones[0]
    await join(phone, code)
    response = await vote(phone, code, step.id, value="4", word="  stürmisch ")
    assert response.status_code == 200
    snap = await service.snapshot((await service.workshop(code)).id)
    assert snap.results.counts == [0, 0, 0, 0, 1] and snap.results.words == [(4, "stürmisch")]
    too_long = await vote(phone, code, step.id, value="1", word="x" * 41)
    assert too_long.status_code == 422


async def test_action_plan_from_phones_and_trainer(client, service, phones):
    code = await create_workshop(client, exercises=["massnahmenplan"])
    step = await active_step(service, code)
    phone = phones[0]
    await join(phone, code)
    proposed = await phone.post(
        f"/w/{code}/actions",
        data={"step_id": step.id, "what": "Rückrufe in 24 h", "who": "Team A", "due": "März"},
    )
    assert proposed.status_code == 200 and "Rückrufe in 24 h" in proposed.text
    added = await trainer(client, code, "action-add", what="Beschwerde-Leitfaden", who="", due="")
    assert added.status_code == 204
    snap = await service.snapshot((await service.workshop(code)).id)
    assert [a.what for a in snap.actions] == ["Rückrufe in 24 h", "Beschwerde-Leitfaden"]
    first = snap.actions[0]
    edit = await trainer(
        client, code, "action-edit", item_id=first.id, what="Rückruf in 24 h", who="Kim", due="Mai"
    )
    assert edit.status_code == 204
    board = (await phone.get(f"/w/{code}/board")).text
    assert "Rückruf in 24 h" in board and "Kim" in board
    empty = await phone.post(f"/w/{code}/actions", data={"step_id": step.id, "what": " "})
    assert empty.status_code == 422
    await trainer(client, code, "action-delete", item_id=first.id)
    snap = await service.snapshot((await service.workshop(code)).id)
    assert [a.what for a in snap.actions] == ["Beschwerde-Leitfaden"]


async def test_speedmeet_from_joining_to_the_first_round(client, service, phones):
    code = await create_workshop(client, exercises=["speedmeet"])
    step = await active_step(service, code)
    names = ["Anna", "Ben", "Cem"]
    for phone, name in zip(phones, names, strict=True):
        await join(phone, code)
        response = await phone.post(
            f"/w/{code}/pairs/join", data={"step_id": step.id, "nickname": name}
        )
        assert response.status_code == 200
    taken = other_device(client)
    await join(taken, code)
    clash = await taken.post(f"/w/{code}/pairs/join", data={"step_id": step.id, "nickname": "anna"})
    assert clash.status_code == 409
    assert (
        await trainer(client, code, "pairs-timing", round_minutes="0,5", changeover_seconds="10")
    ).status_code == 204
    assert (await trainer(client, code, "pairs-start")).status_code == 204
    snap = await service.snapshot((await service.workshop(code)).id)
    meet = snap.results
    assert len(meet.rounds) == 3 and meet.clock.round == 0 and meet.clock.talking
    pages = [(await phone.get(f"/w/{code}")).text for phone in phones]
    met = [re.search(r"Treffen Sie (\w+) an Tisch 1", page) for page in pages]
    assert sum(1 for m in met if m) == 2  # two talk, one has a break
    assert sum("Pause" in page for page in pages) == 1
    board = (await phones[0].get(f"/w/{code}/board")).text
    assert "Runde 1 von 3" in board and "Tisch 1" in board
    late = await trainer(client, code, "pairs-timing", round_minutes="1", changeover_seconds="0")
    assert late.status_code == 409


async def test_speedmeet_shows_how_long_it_takes_before_the_start(client, service):
    code = await create_workshop(client, exercises=["speedmeet"])
    step = await active_step(service, code)
    for i in range(10):
        phone = other_device(client)
        await join(phone, code)
        await phone.post(f"/w/{code}/pairs/join", data={"step_id": step.id, "nickname": f"P{i}"})
    # 10 people: 9 rounds of 4 minutes, 8 change-overs of 30 seconds: 40 minutes.
    expected = "Dauer für 10 Personen: insgesamt 40 Minuten (9 × 4 Min. Gespräch"
    console = (await client.get(f"/w/{code}/trainer")).text
    assert expected in console
    assert console.count("Dauer für") == 1
    assert "data-too-many" not in console  # ten fit in one circle
    board = (await client.get(f"/w/{code}/board")).text
    assert expected in board
    await trainer(client, code, "pairs-timing", round_minutes="5", changeover_seconds="60")
    board = (await client.get(f"/w/{code}/board")).text
    assert "insgesamt 53 Minuten (9 × 5 Min. Gespräch, dazwischen je 60 s Wechsel)" in board
    await trainer(client, code, "pairs-start")
    assert "Dauer für" not in (await client.get(f"/w/{code}/board")).text


async def test_speedmeet_of_more_than_one_circle_of_people_plans_circles(client, service):
    """Eleven people are more than one circle takes: the console no longer asks some to
    leave, it says how the room will split (tests/test_speedmeet_circles.py has more)."""
    code = await create_workshop(client, exercises=["speedmeet"])
    step = await active_step(service, code)
    for i in range(MAX_CIRCLE + 1):
        phone = other_device(client)
        await join(phone, code)
        await phone.post(f"/w/{code}/pairs/join", data={"step_id": step.id, "nickname": f"P{i}"})
    console = (await client.get(f"/w/{code}/trainer")).text
    # Circles of 6 and 5: five rounds each; five talks of 4 min, four change-overs of 30 s.
    assert "2 Kreise (6, 5 Personen) · 5 Runden · ca. 22 Minuten" in console
    assert "Dauer für" not in console


async def test_the_timer_runs_in_server_time(client, service, phones):
    code = await create_workshop(client, exercises=["unsere-wanderung"])
    assert (await trainer(client, code, "timer-start", minutes="2,5")).status_code == 204
    workshop = await service.workshop(code)
    assert workshop.timer_seconds == 150 and workshop.timer_ends_at is not None
    phone = phones[0]
    await join(phone, code)
    page = (await phone.get(f"/w/{code}")).text
    assert f'data-ends-at="{int(workshop.timer_ends_at * 1000)}"' in page
    assert (await trainer(client, code, "timer-start", minutes="-1")).status_code == 422
    assert (await trainer(client, code, "timer-stop")).status_code == 204
    assert (await service.workshop(code)).timer_ends_at is None


async def test_participants_cannot_use_trainer_controls(client, service, phones):
    code = await create_workshop(client, exercises=["kunde-koenig", "speedmeet"])
    phone = phones[0]
    await join(phone, code)
    for action in (
        "step-next",
        "reveal",
        "dots-budget",
        "pairs-start",
        "timer-start",
        "agenda-add",
    ):
        response = await phone.post(f"/w/{code}/t/{action}", data={"budget": "9", "minutes": "1"})
        assert response.status_code == 403
        assert "wer den Workshop moderiert" in response.text
    snap = await service.snapshot((await service.workshop(code)).id)
    assert snap.step.kind == "scale" and snap.workshop.timer_ends_at is None


async def test_speedmeet_offers_the_join_nickname_as_the_name(client, service, phones):
    """Kim joined as "Kim": the SpeedMeet asks for her name with "Kim" filled in; a phone
    that joined without a name gets an empty field, and nobody sees Kim's."""
    code = await create_workshop(client, exercises=["speedmeet"])
    kim, anonymous = phones[:2]
    assert (await kim.post("/join", data={"code": code, "nickname": "Kim"})).status_code == 303
    await join(anonymous, code)
    field = re.compile(r'<input id="pairs-nickname"[^>]*value="([^"]*)"')
    kims = field.search((await kim.get(f"/w/{code}")).text)
    others = field.search((await anonymous.get(f"/w/{code}")).text)
    assert kims and kims.group(1) == "Kim"
    assert others and others.group(1) == ""
    assert "Kim" not in (await anonymous.get(f"/w/{code}")).text
    assert "Kim" not in (await kim.get(f"/w/{code}/board")).text


async def test_the_action_plan_s_what_is_a_multi_line_field_on_phone_and_console(
    client, service, phones
):
    code = await create_workshop(client, exercises=["massnahmenplan"])
    step = await active_step(service, code)
    phone = phones[0]
    await join(phone, code)
    what = "Rückrufe innerhalb von 24 Stunden, auch am Freitagnachmittag und in den Ferien"
    proposed = await phone.post(f"/w/{code}/actions", data={"step_id": step.id, "what": what})
    assert proposed.status_code == 200
    assert re.search(r'<textarea id="action-what" name="what"', proposed.text)
    # "Meine Vorschläge": each with one mark (a ✓, the list drawing no bullet of its own).
    [mine] = re.findall(r'<ul class="my-actions">(.*?)</ul>', proposed.text, re.S)
    assert mine.count("✓") == 1 and what in mine
    console = (await client.get(f"/w/{code}/trainer")).text
    add = re.search(r'<form class="action-add".*?</form>', console, re.S)
    assert add and re.search(r'<textarea name="what"[^>]*required', add.group(0))
    edit = re.search(r'<form class="actions-table__form".*?</form>', console, re.S)
    assert edit and f">{what}</textarea>" in edit.group(0)


async def test_moving_to_the_next_step_clears_the_timer_on_every_screen(client, service, phones):
    code = await create_workshop(client, exercises=["unsere-wanderung"])
    assert (await trainer(client, code, "timer-start", minutes="0,05")).status_code == 204
    board = phones[0]
    assert "data-ends-at" in (await board.get(f"/w/{code}/board")).text
    assert (await trainer(client, code, "step-next")).status_code == 204
    assert (await service.workshop(code)).timer_ends_at is None
    page = (await board.get(f"/w/{code}/board")).text
    assert "data-ends-at" not in page and "Die Zeit ist um!" not in page
    assert "data-ends-at" not in (await client.get(f"/w/{code}/trainer")).text


async def test_the_trainer_switches_the_gong_and_the_board_hears_of_it(client, service, phones):
    code = await create_workshop(client, exercises=["unsere-wanderung"])
    board = phones[0]
    assert re.search(r'id="timer"[^>]* data-gong', (await board.get(f"/w/{code}/board")).text)
    console = (await client.get(f"/w/{code}/trainer")).text
    assert re.search(r'name="gong" value="on" checked', console)
    assert (await trainer(client, code, "timer-gong")).status_code == 204  # box unticked
    assert (await service.workshop(code)).gong is False
    assert not re.search(r'id="timer"[^>]* data-gong', (await board.get(f"/w/{code}/board")).text)
    assert 'value="on" checked' not in (await client.get(f"/w/{code}/trainer")).text
    assert (await trainer(client, code, "timer-gong", gong="on")).status_code == 204
    assert (await service.workshop(code)).gong is True


async def test_phones_never_gong(client, phones):
    code = await create_workshop(client, exercises=["unsere-wanderung"])
    phone = phones[0]
    await join(phone, code)
    assert (await trainer(client, code, "timer-start", minutes="1")).status_code == 204
    assert "data-gong" not in (await phone.get(f"/w/{code}")).text
