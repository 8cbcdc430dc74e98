"""Every HTTP route, in-process: pages, joining, participants' cards, the trainer's actions."""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading

import httpx
import pytest
from starlette.requests import Request

from board import card_lines, snapshot
from board.assets import shipped
from board.forms import Form
from board.live import render
from board.live.notices import Notice
from board.ratelimit import JoinGuard
from board.service import Service
from board.settings import Settings
from board.web.guards import SECURITY_HEADERS
from board.web.routes import MAX_IMPORT_BYTES, create_app
from board.workshops import CODE_ALPHABET
from tests.conftest import create_workshop, join, other_device
from tests.test_hub import drain


def phone_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another device on the same app (its own cookie jar)."""
    return httpx.AsyncClient(transport=client._transport, base_url="http://testserver")


async def send_card(
    phone: httpx.AsyncClient, code: str, text: str, colour: str = "yellow", client_id: str = ""
) -> httpx.Response:
    data = {"text": text, "colour": colour, "client_id": client_id}
    return await phone.post(f"/w/{code}/cards", data=data)


async def stored_texts(service: Service, code: str) -> list[str]:
    workshop = await service.workshop(code)
    snapshot = await service.snapshot(workshop.id)
    return sorted(card.text for card in snapshot.wall.cards)


# -- start page and creating a workshop ------------------------------------------
async def test_start_page_is_german_by_default_and_english_on_request(client):
    german = await client.get("/")
    assert german.status_code == 200
    assert "Workshop anlegen" in german.text
    english = await client.get("/", headers={"accept-language": "en-GB,en;q=0.9"})
    assert "Create workshop" in english.text


async def test_language_switch_sets_a_cookie_and_goes_back(client):
    response = await client.get("/lang/en?next=/join")
    assert response.status_code == 303
    assert response.headers["location"] == "/join"
    assert "Join" in (await client.get("/join")).text


async def test_language_switch_never_redirects_off_site(client):
    response = await client.get("/lang/de?next=//evil.example/")
    assert response.headers["location"] == "/"


async def test_creating_a_workshop_gives_a_code_and_a_trainer_cookie(client):
    response = await client.post("/workshops", data={"title": "Kundenbegeisterung"})
    assert response.status_code == 303
    code = re.fullmatch(r"/w/(\w+)/trainer", response.headers["location"]).group(1)
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    cookie = response.headers["set-cookie"]
    assert f"mb_t_{code}=" in cookie
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    console = await client.get(f"/w/{code}/trainer")
    assert console.status_code == 200
    assert "Kundenbegeisterung" in console.text


def workshops_in(service: Service) -> int:
    return service.db.read_now(lambda c: c.execute("SELECT count(*) FROM workshops").fetchone()[0])


async def test_empty_title_is_refused_in_german_and_creates_nothing(client, service):
    response = await client.post("/workshops", data={"title": "   "})
    assert response.status_code == 422
    assert "Bitte geben Sie einen Titel ein." in response.text
    assert workshops_in(service) == 0


async def test_a_room_of_trainers_may_create_workshops_at_once_but_not_without_end(
    client, service, settings
):
    trainees = [phone_client(client) for _ in range(settings.workshops_per_hour)]
    for trainee in trainees:  # a train-the-trainer course behind one address
        await create_workshop(trainee, "Übungsworkshop")

    form = {"title": "Noch einer", "question": "Was begeistert?", "exercise": ["ok-corral"]}
    refused = await phone_client(client).post("/workshops", data=form)

    assert refused.status_code == 429
    assert "sehr viele Workshops" in refused.text
    assert int(refused.headers["retry-after"]) == 3600 // settings.workshops_per_hour
    # nothing typed is lost: the form comes back filled in
    assert 'value="Noch einer"' in refused.text and 'value="Was begeistert?"' in refused.text
    assert re.search(r'value="ok-corral" checked', refused.text)
    assert workshops_in(service) == settings.workshops_per_hour


async def test_a_refused_title_keeps_the_rest_of_the_form(client):
    form = {"title": "   ", "question": "Was begeistert?"}
    response = await client.post("/workshops", data=form)
    assert response.status_code == 422 and 'value="Was begeistert?"' in response.text


# -- planning the agenda on the start page (works as a plain form, without JavaScript) --
def plan_in(page: str) -> list[str]:
    """The start page's planned agenda: the keys in the order the page lists them."""
    return re.findall(r'<input type="hidden" name="order" value="([^"]+)">', page)


def planned_minutes(page: str) -> int:
    found = re.search(r"Geplante Dauer: etwa (\d+) Minuten?", page)
    assert found, "no planned duration on the page"
    return int(found.group(1))


async def test_the_start_page_offers_exercises_and_single_steps_with_their_minutes(client):
    page = (await client.get("/")).text
    assert "Einzelne Schritte" in page and "Übungen" in page
    for kind in ("cards", "scale", "mood", "dots", "pairs", "actions"):
        assert f'value="step:{kind}"' in page
    assert 'value="step:grid"' not in page  # a grid needs an exercise's situations
    assert "Geplante Dauer: etwa 0 Minuten" in page and plan_in(page) == []


async def test_ticking_plans_the_agenda_and_creates_nothing(client, service):
    form = {"title": "Klausur", "exercise": ["ok-corral", "step:scale"], "replan": "1"}
    response = await client.post("/workshops", data=form)
    assert response.status_code == 200
    assert plan_in(response.text) == ["ok-corral", "step:scale"]
    # An OK-Corral (a grid, 15 minutes, and cards after it, 20) and a scale (5 minutes).
    assert planned_minutes(response.text) == 15 + 20 + 5
    assert 'value="Klausur"' in response.text and workshops_in(service) == 0


async def test_the_plan_keeps_its_order_and_adds_newly_ticked_at_the_end(client):
    # The browser sends ticked boxes in page order; the plan keeps the trainer's order.
    form = {
        "title": "Klausur",
        "order": ["step:scale", "ok-corral"],
        "exercise": ["ok-corral", "speedmeet", "step:scale"],
        "replan": "1",
    }
    page = (await client.post("/workshops", data=form)).text
    assert plan_in(page) == ["step:scale", "ok-corral", "speedmeet"]
    unticked = form | {"exercise": ["speedmeet", "step:scale"]}
    assert plan_in((await client.post("/workshops", data=unticked)).text) == [
        "step:scale",
        "speedmeet",
    ]


async def test_moving_an_entry_up_and_down_keeps_the_focus_on_it(client):
    plan = ["ok-corral", "speedmeet", "step:mood"]
    form = {"title": "Klausur", "order": plan, "exercise": plan}
    up = (await client.post("/workshops", data=form | {"move": "2:-1"})).text
    assert plan_in(up) == ["ok-corral", "step:mood", "speedmeet"]
    assert re.search(r'<button[^>]*id="up-1"[^>]*autofocus', up)
    assert not re.search(r'id="title"[^>]*autofocus', up)  # the title gives way
    down = (await client.post("/workshops", data=form | {"move": "0:1"})).text
    assert plan_in(down) == ["speedmeet", "ok-corral", "step:mood"]
    top = (await client.post("/workshops", data=form | {"move": "0:-1"})).text
    assert plan_in(top) == plan  # the first cannot go higher
    removed = (await client.post("/workshops", data=form | {"remove": "speedmeet"})).text
    assert plan_in(removed) == ["ok-corral", "step:mood"]
    assert not re.search(r'value="speedmeet" checked', removed)
    nonsense = (await client.post("/workshops", data=form | {"move": "x:9"})).text
    assert plan_in(nonsense) == plan


async def test_creating_builds_the_agenda_in_the_planned_order(client, service):
    plan = ["step:mood", "ok-corral", "step:scale", "massnahmenplan"]
    form = {"title": "Klausur", "order": plan, "exercise": sorted(plan)}
    response = await client.post("/workshops", data=form)
    assert response.status_code == 303
    code = response.headers["location"].split("/")[2]
    snap = await service.snapshot((await service.workshop(code)).id)
    assert [step.kind for step in snap.steps] == ["mood", "grid", "cards", "scale", "actions"]
    assert snap.steps[0].prompt("de") == "Wie ist die Stimmung?"
    assert snap.step.id == snap.steps[0].id


async def test_a_refused_plan_comes_back_in_german_with_nothing_lost(client, service):
    plan = ["step:scale", "ok-corral"]
    form = {"title": " ", "question": "Was nun?", "order": plan, "exercise": plan}
    response = await client.post("/workshops", data=form)
    assert response.status_code == 422
    assert "Bitte geben Sie einen Titel ein." in response.text
    assert plan_in(response.text) == plan
    assert re.search(r'value="step:scale" checked', response.text)
    assert 'value="Was nun?"' in response.text and planned_minutes(response.text) == 40
    unknown = form | {"title": "Klausur", "exercise": plan + ["step:grid", "zauberei"]}
    refused = await client.post("/workshops", data=unknown)
    assert refused.status_code == 422
    assert "Die Übung „step:grid“ gibt es nicht." in refused.text
    assert plan_in(refused.text) == plan  # what cannot be planned is not shown as planned
    assert workshops_in(service) == 0


async def test_imports_are_limited_per_address(client, service, settings):
    code = await create_workshop(client)
    record = (await client.get(f"/w/{code}/protocol.json")).content
    upload = {"file": ("protokoll.json", record, "application/json")}
    for _ in range(settings.imports_per_hour):
        assert (await client.post("/workshops/import", files=upload)).status_code == 303

    refused = await phone_client(client).post("/workshops/import", files=upload)

    assert refused.status_code == 429 and "sehr viele Protokolle" in refused.text
    assert "retry-after" in refused.headers
    assert workshops_in(service) == 1 + settings.imports_per_hour


FULL_DAY_PROTOCOL_BYTES = 1_952_039  # 1,000 cards, 500 participants (see web.MAX_IMPORT_BYTES)


@pytest.mark.parametrize("size", [MAX_IMPORT_BYTES + 1, 5 * FULL_DAY_PROTOCOL_BYTES + 1])
async def test_an_import_far_larger_than_a_full_day_is_refused(client, service, size):
    upload = {"file": ("protokoll.json", b" " * size, "application/json")}
    response = await client.post("/workshops/import", files=upload)
    assert response.status_code == 413
    assert workshops_in(service) == 0


async def test_a_new_workshop_starts_with_an_open_card_step(client, service):
    code = await create_workshop(client)
    workshop = await service.workshop(code)
    step = (await service.snapshot(workshop.id)).wall.step
    assert step.kind == "cards" and step.state == "open" and not step.hidden


# -- the trainer's console is the trainer's ------------------------------------
async def test_console_refuses_anyone_without_the_trainer_token(client):
    code = await create_workshop(client)
    stranger = phone_client(client)
    response = await stranger.get(f"/w/{code}/trainer")
    assert response.status_code == 403
    assert "Trainer" in response.text


async def trainer_link_token(client: httpx.AsyncClient, code: str) -> str:
    """The token in the trainer link the console shows for copying."""
    console = await client.get(f"/w/{code}/trainer")
    return re.search(r"token=([^\"&]+)", console.text).group(1)


async def test_trainer_link_token_opens_the_console_on_another_device(client):
    code = await create_workshop(client)
    token = await trainer_link_token(client, code)
    tablet = phone_client(client)
    response = await tablet.get(f"/w/{code}/trainer?token={token}")
    assert response.status_code == 303
    assert f"mb_t_{code}=" in response.headers["set-cookie"]
    assert (await tablet.get(f"/w/{code}/trainer")).status_code == 200


async def test_the_trainer_link_leads_on_to_an_address_without_the_token(client):
    """The token leaves the address bar and the history: the cookie carries it from now on."""
    code = await create_workshop(client)
    token = await trainer_link_token(client, code)
    tablet = phone_client(client)
    response = await tablet.get(f"/w/{code}/trainer?lang=en&token={token}&from=mail")
    assert response.status_code == 303
    assert response.headers["location"] == f"/w/{code}/trainer?lang=en&from=mail"
    assert token not in response.headers["location"]
    followed = await tablet.get(response.headers["location"])
    assert followed.status_code == 200 and "Kundenbegeisterung" in followed.text
    # The trainer's own device follows an old bookmark with the token: the same clean address.
    again = await client.get(f"/w/{code}/trainer?token=whatever")
    assert (again.status_code, again.headers["location"]) == (303, f"/w/{code}/trainer")


async def test_a_token_in_any_other_address_grants_nothing(client, room):
    """Only the trainer link takes a token: elsewhere it would sit in logs and histories."""
    code, _ = room
    token = await trainer_link_token(client, code)
    stranger = phone_client(client)
    exported = await stranger.get(f"/w/{code}/protocol.json?token={token}")
    assert exported.status_code == 403
    acted = await stranger.post(f"/w/{code}/t/close?token={token}")
    assert acted.status_code == 403
    assert not stranger.cookies


async def test_trainer_cookie_of_another_workshop_does_not_open_this_one(client):
    first = await create_workshop(client, "Eins")
    second = await create_workshop(client, "Zwei")
    foreign = client.cookies.get(f"mb_t_{first}")
    intruder = phone_client(client)
    intruder.cookies.set(f"mb_t_{second}", foreign)
    assert (await intruder.get(f"/w/{second}/trainer")).status_code == 403


async def test_tampered_trainer_cookie_is_refused(client):
    code = await create_workshop(client)
    genuine = client.cookies.get(f"mb_t_{code}")
    intruder = phone_client(client)
    intruder.cookies.set(f"mb_t_{code}", genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB"))
    assert (await intruder.get(f"/w/{code}/trainer")).status_code == 403


# -- joining ---------------------------------------------------------------------
async def test_joining_by_the_qr_link_sets_a_participant_cookie(client):
    code = await create_workshop(client)
    phone = phone_client(client)
    response = await phone.get(f"/join/{code}")
    assert response.status_code == 303
    assert f"mb_p_{code}=" in response.headers["set-cookie"]
    page = await phone.get(f"/w/{code}")
    assert page.status_code == 200
    assert 'id="card-form"' in page.text


@pytest.mark.parametrize(("retention_days", "max_age"), [(0, 30 * 86400), (7, 7 * 86400)])
async def test_a_participant_cookie_lives_as_long_as_the_workshop_is_kept(
    settings: Settings, retention_days: int, max_age: int
) -> None:
    kept = settings.with_(retention_days=retention_days)
    service = Service(kept)
    transport = httpx.ASGITransport(app=create_app(kept, service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as laptop:
            created = await laptop.post("/workshops", data={"title": "Aufbewahrt"})
            code = created.headers["location"].split("/")[2]
            joined = await phone_client(laptop).get(f"/join/{code}")
    finally:
        service.close()
    assert f"mb_p_{code}=" in joined.headers["set-cookie"]
    assert f"Max-Age={max_age};" in joined.headers["set-cookie"]
    # The trainer's cookie stays thirty days: a new trainer link revokes it instead.
    assert f"Max-Age={30 * 86400};" in created.headers["set-cookie"]


async def test_joining_by_typing_the_code_accepts_lower_case_and_dashes(client, service):
    code = await create_workshop(client)
    phone = phone_client(client)
    typed = f"{code[:3].lower()}-{code[3:].lower()}"
    response = await phone.post("/join", data={"code": typed, "nickname": "Kim"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/w/{code}"
    page = await phone.get(f"/w/{code}")
    assert "Kim" in page.text


async def test_unknown_code_gets_a_clear_message(client):
    phone = phone_client(client)
    response = await phone.post("/join", data={"code": "AAAAAA"})
    assert response.status_code == 404
    assert "keinen Workshop" in response.text


async def test_malformed_code_gets_a_clear_message(client):
    response = await phone_client(client).post("/join", data={"code": "12"})
    assert response.status_code == 404
    assert "6 Zeichen" in response.text


async def test_a_code_typed_with_letters_no_code_has_names_them(client):
    """A zero for an O: the phone is told which characters never occur, not "6 Zeichen"
    when six were typed."""
    response = await phone_client(client).post("/join", data={"code": "K0M-4Q1"})
    assert response.status_code == 404
    assert "in keinem Code vor: 0, 1" in response.text
    assert "6 Zeichen" not in response.text


async def test_phone_view_without_cookie_leads_to_joining(client):
    code = await create_workshop(client)
    response = await phone_client(client).get(f"/w/{code}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/join/{code}"


class Tarpit:
    """The join guard's clock and sleep: a held guess is recorded and moves the clock;
    nobody really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.held: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.held.append(seconds)
        self.now += seconds


@pytest.fixture
def tarpit(service, settings) -> Tarpit:
    tarpit = Tarpit()
    service.join_guard = JoinGuard(
        free=settings.join_failures_free, clock=tarpit.clock, sleep=tarpit.sleep
    )
    return tarpit


async def prank(client: httpx.AsyncClient, settings, path: str = "/join/AAAAAA") -> None:
    """One prankster behind the venue's NAT tries wrong codes until the address backs off."""
    prankster = phone_client(client)
    for _ in range(settings.join_failures_free + 1):
        await prankster.get(path)


async def test_the_right_code_gets_in_at_once_while_the_room_s_address_backs_off(
    client, settings, tarpit
):
    code = await create_workshop(client)
    await prank(client, settings)
    assert (await phone_client(client).post("/join", data={"code": "AAAAAA"})).status_code == 429

    by_form = await phone_client(client).post("/join", data={"code": code.lower()})
    by_link = await phone_client(client).get(f"/join/{code}")

    assert by_form.status_code == by_link.status_code == 303
    assert by_link.headers["location"] == f"/w/{code}"
    assert tarpit.held == [2]  # only the wrong code was held


async def test_a_wrong_code_while_backing_off_is_held_then_told_how_long_to_wait(
    client, settings, tarpit
):
    await create_workshop(client)
    guesser = phone_client(client)
    for _ in range(settings.join_failures_free):
        assert (await guesser.post("/join", data={"code": "AAAAAA"})).status_code == 404
    assert tarpit.held == []
    started = await guesser.post("/join", data={"code": "AAAAAA"})  # back-off: 1 s
    assert started.status_code == 429 and started.headers["retry-after"] == "1"
    assert "versuchen Sie es in 1 Sekunde wieder" in started.text  # one, not "1 Sekunden"

    held = await guesser.post("/join", data={"code": "BBBBBB"})

    assert tarpit.held == [2]  # held for its wait (doubled to 2 s) before the answer
    assert held.status_code == 429 and "Retry-After" in held.headers


async def test_two_hundred_phones_join_within_a_minute_from_an_address_that_backs_off(
    client, service, settings, tarpit
):
    code = await create_workshop(client)
    await prank(client, settings)
    held = list(tarpit.held)
    for number in range(200):
        tarpit.now += 0.25  # 200 phones in 50 seconds
        phone = phone_client(client)
        if number % 2:
            response = await phone.get(f"/join/{code}")
        else:
            response = await phone.post("/join", data={"code": code})
        assert response.status_code == 303, (number, response.text[:200])
    assert tarpit.held == held  # none of them was held
    workshop = await service.workshop(code)
    assert (await service.snapshot(workshop.id)).participants == 200


# Every URL that takes a join code: (method, path).
DOORS = [
    ("GET", "/w/{code}/qr.svg"),
    ("GET", "/w/{code}/board"),
    ("GET", "/w/{code}/wall"),
    ("GET", "/w/{code}/trainer"),
    ("GET", "/w/{code}/protocol.json"),
    ("GET", "/w/{code}"),
    ("GET", "/w/{code}/delete"),
    ("POST", "/w/{code}/cards"),
    ("POST", "/w/{code}/t/reveal"),
    ("GET", "/join/{code}"),
]


@pytest.mark.parametrize(("method", "door"), DOORS)
@pytest.mark.parametrize("wrong", ["AAAAAA", "12"])  # unknown, malformed
async def test_wrong_codes_on_every_door_count_as_guesses_and_are_slowed(
    client, service, settings, tarpit, method, door, wrong
):
    guesser = phone_client(client)
    for _ in range(settings.join_failures_free):
        response = await guesser.request(method, door.format(code=wrong))
        assert response.status_code == 404
    assert tarpit.held == []
    started = await guesser.request(method, door.format(code=wrong))
    assert started.status_code == 429  # the guard counted every one of them
    assert service.join_guard.wait_seconds("127.0.0.1") == 1

    held = await guesser.request(method, door.format(code="BBBBBB"))

    assert held.status_code == 429 and held.headers["retry-after"]
    assert tarpit.held == [2]


@pytest.mark.parametrize(("method", "door"), DOORS)
async def test_a_valid_code_on_every_door_answers_at_once_while_the_address_backs_off(
    client, service, settings, tarpit, method, door
):
    code = await create_workshop(client)
    fresh = await phone_client(client).request(method, door.format(code=code))
    await prank(client, settings)
    assert service.join_guard.wait_seconds("127.0.0.1") > 0

    response = await phone_client(client).request(method, door.format(code=code))

    assert response.status_code == fresh.status_code != 429
    assert tarpit.held == []


async def test_a_joined_phone_following_the_link_again_keeps_its_identity(client, service):
    code = await create_workshop(client)
    phone = phone_client(client)
    await join(phone, code)
    await join(phone, code)
    workshop = await service.workshop(code)
    assert (await service.snapshot(workshop.id)).participants == 1


# -- cards from phones -------------------------------------------------------------
@pytest.fixture
async def room(client):
    code = await create_workshop(client)
    phone = phone_client(client)
    await join(phone, code)
    return code, phone


async def test_a_card_is_stored_and_shown_escaped_in_my_list(room, service):
    code, phone = room
    response = await send_card(phone, code, "<b>Freundlich</b> & schnell", "yellow", "c1")
    assert response.status_code == 200
    assert "&lt;b&gt;Freundlich&lt;/b&gt; &amp; schnell" in response.text
    assert "<b>Freundlich</b>" not in response.text
    assert await stored_texts(service, code) == ["<b>Freundlich</b> & schnell"]


async def test_the_same_draft_sent_three_times_is_stored_once(room, service):
    code, phone = room
    for _ in range(3):
        assert (await send_card(phone, code, "Zuhören", client_id="draft-1")).status_code == 200
    assert await stored_texts(service, code) == ["Zuhören"]


def times_stored(service: Service, text: str) -> int:
    """How many card rows of the whole database carry ``text`` (any step)."""
    sql = "SELECT count(*) FROM cards WHERE text = ?"
    return int(service.db.read_now(lambda c: c.execute(sql, (text,)).fetchone()[0]))


@pytest.mark.parametrize(
    "trainer_moves_on",
    [
        pytest.param(["step-next"], id="to-a-dot-vote"),
        pytest.param(["step-go 2"], id="to-the-next-card-step"),
        pytest.param(["step-go 2", "close"], id="to-the-next-card-step-closed"),
        pytest.param(["close"], id="same-step-closed"),
    ],
)
async def test_a_draft_resent_after_the_trainer_moved_on_is_answered_like_the_first_time(
    client, service, trainer_moves_on
):
    """The phone's acknowledgement was lost on the room's Wi-Fi; it sends the draft
    again with the same client id when the trainer is already somewhere else."""
    code = await create_workshop(client, exercises=["kundenbegeisterung", "auftragsklaerung"])
    phone = phone_client(client)
    await join(phone, code)
    first = await send_card(phone, code, "Ehrliche Beratung", client_id="lost-ack")
    assert first.status_code == 200 and "Ehrliche Beratung" in first.text
    steps = (await service.snapshot((await service.workshop(code)).id)).steps
    for move in trainer_moves_on:
        action, _, index = move.partition(" ")
        form = {"step_id": steps[int(index)].id} if index else {}
        assert (await client.post(f"/w/{code}/t/{action}", data=form)).status_code == 204

    again = await send_card(phone, code, "Ehrliche Beratung", client_id="lost-ack")
    assert again.status_code == 200, again.text
    assert 'id="mine"' in again.text  # the phone's own view, as after the first send
    assert times_stored(service, "Ehrliche Beratung") == 1


@pytest.mark.parametrize(
    ("text", "colour", "status", "message"),
    [
        ("   ", "yellow", 422, "Die Karte ist leer."),
        ("\u200b\u00a0\ufeff", "yellow", 422, "Die Karte ist leer."),
        ("x" * 121, "yellow", 422, "höchstens 120 Zeichen"),
        ("a\nb\nc\nd", "yellow", 422, "höchstens 3 Zeilen"),
        ("Gute Idee", "purple", 422, "Diese Kartenfarbe gibt es nicht."),
        # A plain step offers one colour (Metaplan: one colour per question).
        ("Gute Idee", "orange", 422, "Diese Farbe gehört nicht zu dieser Frage."),
        # 114 characters, within the cap, but six lines on the board's card.
        ("Kundenorientierung " * 6, "yellow", 422, "Zeilen – höchstens 3. Bitte kürzer"),
    ],
)
async def test_bad_cards_are_refused_with_a_message_and_nothing_stored(
    room, service, text, colour, status, message
):
    code, phone = room
    response = await send_card(phone, code, text, colour)
    assert response.status_code == status
    assert message in response.text
    assert response.headers["hx-retarget"] == "#flash"
    assert await stored_texts(service, code) == []


async def test_the_trainer_s_colours_with_meanings_reach_phone_and_board(client, room, service):
    code, phone = room
    form = {"colour_yellow": "on", "meaning_yellow": "Erwartung", "colour_orange": "on"}
    form["meaning_orange"] = "Befürchtung"
    assert (await client.post(f"/w/{code}/t/card-colours", data=form)).status_code == 204

    page = (await phone.get(f"/w/{code}")).text
    assert re.findall(r'name="colour" value="(\w+)"', page) == ["yellow", "orange"]
    assert "Erwartung</span>" in page and "Befürchtung</span>" in page
    board = (await client.get(f"/w/{code}/board")).text
    assert 'class="legend"' in board and "Befürchtung" in board
    assert (await send_card(phone, code, "Neue Ideen", "orange")).status_code == 200
    refused = await send_card(phone, code, "Gute Idee", "green")
    assert refused.status_code == 422 and "angebotenen Farben" in refused.text
    assert await stored_texts(service, code) == ["Neue Ideen"]


async def test_a_plain_step_offers_one_colour_and_no_legend(client, room):
    code, phone = room
    page = (await phone.get(f"/w/{code}")).text
    assert re.findall(r'name="colour"[^>]*value="(\w+)"', page) == ["yellow"]
    assert 'type="radio"' not in page  # nothing to choose
    assert 'class="legend"' not in (await client.get(f"/w/{code}/board")).text


async def test_the_phone_gets_the_three_line_rule_as_data(room):
    code, phone = room
    page = (await phone.get(f"/w/{code}")).text
    found = re.search(r'data-lines="([^"]+)"', page)
    assert found is not None
    rule = json.loads(html.unescape(found.group(1)))
    assert (rule["lines"], rule["line"]) == (card_lines.MAX_LINES, card_lines.LINE_EMS)


async def test_nachste_karte_shows_one_hidden_card_large_then_all(client, room, service):
    code, phone = room
    assert (await client.post(f"/w/{code}/t/hide")).status_code == 204
    for i, text in enumerate(["Geheim-eins", "Geheim-zwei", "Geheim-drei"]):
        assert (await send_card(phone, code, text, client_id=f"d{i}")).status_code == 200
    board = (await client.get(f"/w/{code}/board")).text
    assert "Geheim-" not in board

    assert (await client.post(f"/w/{code}/t/reveal-next")).status_code == 204

    workshop = await service.workshop(code)
    snap = await service.snapshot(workshop.id)
    current = snap.wall.current
    assert current is not None
    board = (await client.get(f"/w/{code}/board")).text
    assert f'data-revealed="{current.id}"' in board and current.text in board
    assert board.count("Geheim-") == 1  # the others stay hidden
    console = (await client.get(f"/w/{code}/trainer")).text
    assert f'data-current="{current.id}"' in console  # selected there, for keys 1-9 and N

    assert (await client.post(f"/w/{code}/t/reveal")).status_code == 204  # Alle aufdecken
    board = (await client.get(f"/w/{code}/board")).text
    assert board.count("Geheim-") == 3 and "data-revealed" not in board


async def test_nachste_karte_on_an_open_step_is_refused(client, room):
    code, _ = room
    response = await client.post(f"/w/{code}/t/reveal-next")
    assert response.status_code == 409


async def test_cards_for_a_closed_step_are_refused(client, room, service):
    code, phone = room
    assert (await client.post(f"/w/{code}/t/close")).status_code == 204
    response = await send_card(phone, code, "Zu spät")
    assert response.status_code == 409
    assert "geschlossen" in response.text
    assert await stored_texts(service, code) == []


async def test_cards_without_joining_are_refused(client, room):
    code, _ = room
    response = await send_card(phone_client(client), code, "Hallo")
    assert response.status_code == 403
    assert "noch nicht beigetreten" in response.text


async def test_a_participant_cookie_of_another_workshop_is_refused(client, room, service):
    code, phone = room
    other = await create_workshop(client, "Anderer Workshop")
    foreign = phone.cookies.get(f"mb_p_{code}")
    intruder = phone_client(client)
    intruder.cookies.set(f"mb_p_{other}", foreign)
    assert (await send_card(intruder, other, "Hallo")).status_code == 403
    assert await stored_texts(service, other) == []


async def test_editing_and_deleting_my_own_card(room, service):
    code, phone = room
    await send_card(phone, code, "Erst so", client_id="a")
    workshop = await service.workshop(code)
    card = (await service.snapshot(workshop.id)).wall.cards[0]
    edited = await phone.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Dann so", "colour": "yellow"}
    )
    assert edited.status_code == 200 and "Dann so" in edited.text
    assert await stored_texts(service, code) == ["Dann so"]
    deleted = await phone.post(f"/w/{code}/cards/{card.id}/delete")
    assert deleted.status_code == 200
    assert await stored_texts(service, code) == []


async def test_nobody_edits_or_deletes_someone_elses_card(client, room, service):
    code, phone = room
    await send_card(phone, code, "Meine Karte", client_id="a")
    workshop = await service.workshop(code)
    card = (await service.snapshot(workshop.id)).wall.cards[0]
    neighbour = phone_client(client)
    await join(neighbour, code)
    edit = await neighbour.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Gehackt", "colour": "yellow"}
    )
    delete = await neighbour.post(f"/w/{code}/cards/{card.id}/delete")
    assert edit.status_code == 403 and delete.status_code == 403
    assert "eigenen Karten" in edit.text
    assert await stored_texts(service, code) == ["Meine Karte"]


async def test_one_participant_cannot_flood_the_wall(room, settings, service):
    code, phone = room
    statuses = [
        (await send_card(phone, code, f"Karte {i}", client_id=str(i))).status_code
        for i in range(settings.cards_per_minute + 3)
    ]
    assert statuses.count(200) == settings.cards_per_minute
    assert statuses[-1] == 429
    assert len(await stored_texts(service, code)) == settings.cards_per_minute


async def test_setting_a_nickname(room, service):
    code, phone = room
    response = await phone.post(f"/w/{code}/nickname", data={"nickname": "Sam"})
    assert response.status_code == 200
    assert "Sam" in (await phone.get(f"/w/{code}")).text
    # "Sie sind: …" sits outside the swapped section: the answer updates it out of band.
    assert '<span id="you-are" hx-swap-oob="true">Sam</span>' in response.text
    cleared = await phone.post(f"/w/{code}/nickname", data={"nickname": " "})
    assert '<span id="you-are" hx-swap-oob="true">anonym' in cleared.text


# -- the trainer's actions -----------------------------------------------------------
async def test_trainer_actions_need_the_trainer_token(client, room, service):
    code, phone = room
    for who in (phone, phone_client(client)):
        for action in ("close", "reveal", "hide", "cluster-new", "card-move"):
            response = await who.post(f"/w/{code}/t/{action}", data={"heading": "X"})
            assert response.status_code == 403, action
    workshop = await service.workshop(code)
    snapshot = await service.snapshot(workshop.id)
    assert snapshot.wall.step.state == "open" and snapshot.wall.clusters == ()


async def test_a_new_trainer_link_revokes_every_earlier_link_and_cookie(client, room, service):
    """The trainer lost a tablet: a new link; this device keeps working, nothing old does."""
    code, phone = room
    old_token = await trainer_link_token(client, code)
    tablet = phone_client(client)
    await tablet.get(f"/w/{code}/trainer?token={old_token}")
    assert (await tablet.get(f"/w/{code}/trainer")).status_code == 200
    before = await service.workshop(code)

    response = await client.post(f"/w/{code}/t/trainer-link")

    assert response.status_code == 204
    assert response.headers["hx-refresh"] == "true"  # the console shows the new link
    assert f"mb_t_{code}=" in response.headers["set-cookie"]
    new_token = await trainer_link_token(client, code)
    assert new_token != old_token
    asked = await client.post(f"/w/{code}/t/question", data={"question": "Was noch?"})
    assert asked.status_code == 204
    # The old link, and the old cookie on the tablet, open nothing any more.
    stranger = phone_client(client)
    assert (await stranger.get(f"/w/{code}/trainer?token={old_token}")).status_code == 403
    assert (await tablet.get(f"/w/{code}/trainer")).status_code == 403
    assert (await tablet.post(f"/w/{code}/t/open")).status_code == 403
    assert (await tablet.get(f"/w/{code}/protocol.json")).status_code == 403
    # The new link works on any device.
    laptop = phone_client(client)
    assert (await laptop.get(f"/w/{code}/trainer?token={new_token}")).status_code == 303
    assert (await laptop.get(f"/w/{code}/trainer")).status_code == 200
    # Through the one write path (a sequence number), and the room goes on.
    after = await service.workshop(code)
    assert after.seq > before.seq and after.trainer_secret != before.trainer_secret
    exported = (await client.get(f"/w/{code}/protocol.json")).text
    assert after.trainer_secret not in exported and before.trainer_secret not in exported
    assert (await phone.get(f"/w/{code}")).status_code == 200
    assert (await send_card(phone, code, "Noch da")).status_code == 200


async def test_only_the_trainer_issues_a_new_trainer_link(client, room, service):
    code, phone = room
    before = await service.workshop(code)
    assert (await phone.post(f"/w/{code}/t/trainer-link")).status_code == 403
    assert (await phone_client(client).post(f"/w/{code}/t/trainer-link")).status_code == 403
    assert await service.workshop(code) == before


async def test_unknown_trainer_action_is_a_404(client, room):
    code, _ = room
    assert (await client.post(f"/w/{code}/t/explode")).status_code == 404


async def test_hidden_cards_stay_off_the_board_and_phones_until_revealed(client, room):
    code, phone = room
    assert (await client.post(f"/w/{code}/t/hide")).status_code == 204
    await send_card(phone, code, "Geheimer Gedanke")
    neighbour = phone_client(client)
    await join(neighbour, code)
    board = await neighbour.get(f"/w/{code}/board")
    wall = await neighbour.get(f"/w/{code}/wall")
    assert "Geheimer Gedanke" not in board.text and "Geheimer Gedanke" not in wall.text
    assert "data-count>1<" in board.text.replace(" ", "")
    console = await client.get(f"/w/{code}/trainer")
    assert "Geheimer Gedanke" in console.text
    assert (await client.post(f"/w/{code}/t/reveal")).status_code == 204
    assert "Geheimer Gedanke" in (await neighbour.get(f"/w/{code}/board")).text


HIDDEN_LABEL = re.compile(r'class="hidden-counter__label">([^<]*)<')
CONSOLE_COUNT = re.compile(r'class="console__count"[^>]*>([^<·]*)')


async def test_the_board_counts_one_hidden_card_then_two_in_each_language(client, room):
    code, phone = room
    assert (await client.post(f"/w/{code}/t/hide")).status_code == 204
    projector = other_device(client, {"lang": "en"})
    seen = []
    for number in (1, 2):
        await send_card(phone, code, f"Gedanke {number}", client_id=f"c{number}")
        board = (await phone.get(f"/w/{code}/board")).text
        english = (await projector.get(f"/w/{code}/board")).text
        console = (await client.get(f"/w/{code}/trainer")).text
        seen.append(
            (
                HIDDEN_LABEL.findall(board),
                HIDDEN_LABEL.findall(english),
                CONSOLE_COUNT.findall(console)[0].strip(),
            )
        )
    assert seen == [
        (["Karte verdeckt"], ["card hidden"], "1 Karte"),
        (["Karten verdeckt"], ["cards hidden"], "2 Karten"),
    ]


async def test_revealing_twice_or_revealing_an_open_step_is_refused(client, room):
    code, _ = room
    response = await client.post(f"/w/{code}/t/reveal")
    assert response.status_code == 409
    assert "nichts verdeckt" in response.text


async def test_clustering_from_the_console(client, room, service):
    code, phone = room
    await send_card(phone, code, "Lächeln", client_id="1")
    await send_card(phone, code, "Zuhören", client_id="2")
    assert (
        await client.post(f"/w/{code}/t/cluster-new", data={"heading": "Haltung"})
    ).status_code == 204
    workshop = await service.workshop(code)
    wall = (await service.snapshot(workshop.id)).wall
    cluster = wall.clusters[0]
    for card in wall.cards:
        response = await client.post(
            f"/w/{code}/t/card-move",
            data={"card_id": card.id, "cluster_id": cluster.id, "index": "0"},
        )
        assert response.status_code == 204
    wall = (await service.snapshot(workshop.id)).wall
    assert {c.cluster_id for c in wall.cards} == {cluster.id}
    board = await client.get(f"/w/{code}/board")
    assert "Haltung" in board.text
    await client.post(f"/w/{code}/t/cluster-dissolve", data={"cluster_id": cluster.id})
    wall = (await service.snapshot(workshop.id)).wall
    assert wall.clusters == () and {c.cluster_id for c in wall.cards} == {None}


async def test_a_new_cluster_can_start_with_the_selected_card(client, room, service):
    code, phone = room
    await send_card(phone, code, "Lächeln", client_id="1")
    workshop = await service.workshop(code)
    [card] = (await service.snapshot(workshop.id)).wall.cards
    response = await client.post(f"/w/{code}/t/cluster-new", data={"card_id": card.id})
    assert response.status_code == 204
    wall = (await service.snapshot(workshop.id)).wall
    [cluster] = wall.clusters
    assert cluster.heading == "Lächeln"
    assert [c.id for c in wall.in_cluster(cluster.id)] == [card.id]
    # Another workshop's card is not found here, and nothing is created.
    refused = await client.post(f"/w/{code}/t/cluster-new", data={"card_id": "elsewhere"})
    assert refused.status_code == 404
    assert len((await service.snapshot(workshop.id)).wall.clusters) == 1


async def test_fixing_wording_marks_the_card_as_edited(client, room, service):
    code, phone = room
    await send_card(phone, code, "Kundn begeistern", client_id="1")
    workshop = await service.workshop(code)
    card = (await service.snapshot(workshop.id)).wall.cards[0]
    await client.post(
        f"/w/{code}/t/card-text", data={"card_id": card.id, "text": "Kunden begeistern"}
    )
    mine = await phone.get(f"/w/{code}")
    assert "Kunden begeistern" in mine.text and "bearbeitet" in mine.text


async def test_trainer_refusals_are_in_the_users_language(client, room):
    code, _ = room
    response = await client.post(
        f"/w/{code}/t/cluster-new", data={"heading": ""}, headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    assert "The heading is empty." in response.text


# -- the edge: origin, size, headers, misc ------------------------------------------
async def test_state_changes_from_a_foreign_origin_are_refused(client, room, service):
    code, phone = room
    response = await phone.post(
        f"/w/{code}/cards",
        data={"text": "CSRF", "colour": "yellow"},
        headers={"origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert await stored_texts(service, code) == []
    cross_site = await client.post(f"/w/{code}/t/close", headers={"sec-fetch-site": "cross-site"})
    assert cross_site.status_code == 403


async def test_same_origin_requests_pass_the_origin_check(room, service):
    code, phone = room
    response = await send_card(phone, code, "Gleicher Ursprung")
    assert response.status_code == 200
    response = await phone.post(
        f"/w/{code}/cards",
        data={"text": "Mit Origin", "colour": "yellow"},
        headers={"origin": "http://testserver"},
    )
    assert response.status_code == 200


async def test_oversized_bodies_are_refused(room, service):
    code, phone = room
    response = await phone.post(f"/w/{code}/cards", data={"text": "x" * 70_000, "colour": "yellow"})
    assert response.status_code == 413
    assert "zu groß" in response.text
    assert await stored_texts(service, code) == []


async def test_oversized_chunked_bodies_are_refused(room, service):
    code, phone = room

    async def chunks():
        for _ in range(100):
            yield b"text=" + b"x" * 1000

    response = await phone.post(
        f"/w/{code}/cards",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert await stored_texts(service, code) == []


async def test_every_response_carries_security_headers(client, room):
    code, _ = room
    for path in ("/", f"/w/{code}/board", "/static/js/live.js", "/nowhere"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_unknown_pages_and_workshops_get_a_page_in_german(client):
    assert (await client.get("/nowhere")).status_code == 404
    response = await client.get("/w/AAAAAA/board")
    assert response.status_code == 404
    assert "keinen Workshop" in response.text


async def test_qr_code_is_an_svg_image(client, room):
    code, _ = room
    response = await client.get(f"/w/{code}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"http://www.w3.org/2000/svg" in response.content


async def test_healthz_checks_the_database(client, service):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_waits_for_a_reader_without_blocking_the_event_loop(client, service):
    """A monitor polling /healthz while every reader is busy must not freeze the room."""
    release = threading.Event()
    safety = threading.Timer(3.0, release.set)  # a blocked loop could never release them
    safety.start()
    busy = [asyncio.ensure_future(service.db.read(lambda _: release.wait(10))) for _ in range(3)]
    check = asyncio.ensure_future(client.get("/healthz"))
    await asyncio.sleep(0.1)  # the check starts and waits for a reader
    released_by_the_loop = not release.is_set()
    release.set()
    safety.cancel()
    assert (await check).json() == {"status": "ok"}
    await asyncio.gather(*busy)
    assert released_by_the_loop, "the health check held the event loop while it waited"


async def test_stacking_duplicates_and_taking_them_off_again(client, room, service):
    code, phone = room
    for i, text in enumerate(["Freundlich sein", "Freundlichkeit", "Nett sein"]):
        await send_card(phone, code, text, client_id=str(i))
    workshop = await service.workshop(code)
    first, second, third = sorted(
        (await service.snapshot(workshop.id)).wall.cards, key=lambda c: c.created_at
    )
    for card in (second, third):
        stack = {"card_id": card.id, "onto_id": first.id}
        assert (await client.post(f"/w/{code}/t/card-stack", data=stack)).status_code == 204
    wall = (await service.snapshot(workshop.id)).wall
    assert [c.id for c in wall.stacked_under(first.id)] == [second.id, third.id]
    board = await client.get(f"/w/{code}/board")
    assert "×3" in board.text
    unstack = {"card_id": third.id}
    assert (await client.post(f"/w/{code}/t/card-unstack", data=unstack)).status_code == 204
    wall = (await service.snapshot(workshop.id)).wall
    assert [c.id for c in wall.stacked_under(first.id)] == [second.id]
    onto_itself = await client.post(
        f"/w/{code}/t/card-stack", data={"card_id": first.id, "onto_id": first.id}
    )
    assert onto_itself.status_code == 422


async def test_renaming_reordering_and_merging_clusters(client, room, service):
    code, phone = room
    await send_card(phone, code, "Lächeln", client_id="1")
    for heading in ("Haltung", "Tempo", "Kulanz"):
        await client.post(f"/w/{code}/t/cluster-new", data={"heading": heading})
    workshop = await service.workshop(code)
    wall = (await service.snapshot(workshop.id)).wall
    haltung, tempo, kulanz = wall.ordered_clusters()
    card = wall.cards[0]
    await client.post(
        f"/w/{code}/t/card-move", data={"card_id": card.id, "cluster_id": tempo.id, "index": "0"}
    )
    rename = {"cluster_id": tempo.id, "heading": "Tempo & Takt"}
    assert (await client.post(f"/w/{code}/t/cluster-rename", data=rename)).status_code == 204
    move = {"cluster_id": kulanz.id, "index": "0"}
    assert (await client.post(f"/w/{code}/t/cluster-move", data=move)).status_code == 204
    wall = (await service.snapshot(workshop.id)).wall
    assert [c.heading for c in wall.ordered_clusters()] == ["Kulanz", "Haltung", "Tempo & Takt"]
    merge = {"cluster_id": tempo.id, "into_id": haltung.id}
    assert (await client.post(f"/w/{code}/t/cluster-merge", data=merge)).status_code == 204
    wall = (await service.snapshot(workshop.id)).wall
    assert [c.heading for c in wall.ordered_clusters()] == ["Kulanz", "Haltung"]
    assert wall.cards[0].cluster_id == haltung.id
    bad_index = {"cluster_id": haltung.id, "index": "links"}
    assert (await client.post(f"/w/{code}/t/cluster-move", data=bad_index)).status_code == 400


async def test_the_trainer_changes_the_question(client, room):
    code, phone = room
    question = {"question": "Was begeistert unsere Kunden?"}
    assert (await client.post(f"/w/{code}/t/question", data=question)).status_code == 204
    assert "Was begeistert unsere Kunden?" in (await phone.get(f"/w/{code}")).text
    too_long = await client.post(f"/w/{code}/t/question", data={"question": "x" * 201})
    assert too_long.status_code == 422


# -- when something breaks -------------------------------------------------------------
SECURITY_HEADER_NAMES = {name.decode() for name, _ in SECURITY_HEADERS}


def crashing_client(settings: Settings, service: Service) -> httpx.AsyncClient:
    """A browser's view of a crash: the answer it gets, not the exception."""
    transport = httpx.ASGITransport(app=create_app(settings, service), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_an_unexpected_error_is_a_page_in_the_users_language_with_every_header(
    settings, service, monkeypatch
):
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire")

    async with crashing_client(settings, service) as browser:
        code = await create_workshop(browser)
        monkeypatch.setattr(service, "snapshot", broken)
        german = await browser.get(f"/w/{code}/board")
        english = await browser.get(f"/w/{code}/board", headers={"accept-language": "en"})
    for response, message in (
        (german, "Etwas ist schiefgegangen"),
        (english, "Something went wrong"),
    ):
        assert response.status_code == 500
        assert SECURITY_HEADER_NAMES <= set(response.headers)
        assert response.headers["content-type"].startswith("text/html")
        assert message in response.text
        assert "the disk caught fire" not in response.text and "Traceback" not in response.text


async def test_even_when_the_error_page_cannot_be_drawn_the_answer_carries_every_header(
    settings, service, monkeypatch
):
    def broken(name: str) -> None:
        raise RuntimeError("templates gone")

    monkeypatch.setattr(service.templates, "get_template", broken)
    async with crashing_client(settings, service) as browser:
        response = await browser.get("/", headers={"accept-language": "en"})
    assert response.status_code == 500
    assert SECURITY_HEADER_NAMES <= set(response.headers)
    assert "Something went wrong" in response.text


# -- undo, the edit lock and the trainer's own cards ----------------------------------
UNDO_BUTTON = re.compile(r"<button[^>]*data-undo[^>]*>([^<]*)</button>")


async def undo_button(client: httpx.AsyncClient, code: str) -> str:
    found = UNDO_BUTTON.search((await client.get(f"/w/{code}/trainer")).text)
    assert found is not None
    return found.group(0)


async def new_cluster(client: httpx.AsyncClient, service: Service, code: str) -> str:
    assert (await client.post(f"/w/{code}/t/cluster-new", data={"heading": "Haltung"})).is_success
    workshop = await service.workshop(code)
    return (await service.snapshot(workshop.id)).wall.clusters[-1].id


async def only_card(service: Service, code: str):
    workshop = await service.workshop(code)
    [card] = (await service.snapshot(workshop.id)).wall.cards
    return card


async def test_the_undo_button_says_what_it_undoes_and_undoes_it(client, room, service):
    code, phone = room
    await send_card(phone, code, "Freundlich")
    card = await only_card(service, code)
    assert "disabled" in await undo_button(client, code)
    assert "Nichts rückgängig zu machen" in await undo_button(client, code)
    move = {"card_id": card.id, "cluster_id": await new_cluster(client, service, code)}
    assert (await client.post(f"/w/{code}/t/card-move", data=move)).status_code == 204

    button = await undo_button(client, code)
    undone = await client.post(f"/w/{code}/t/undo")

    assert "Rückgängig: Karte verschoben" in button and "disabled" not in button
    assert undone.status_code == 204
    assert (await only_card(service, code)).cluster_id is None
    assert "Rückgängig: Cluster angelegt" in await undo_button(client, code)


async def test_nothing_to_undo_is_a_clear_refusal_in_the_user_s_language(client, room):
    code, _ = room
    german = await client.post(f"/w/{code}/t/undo")
    english = await client.post(f"/w/{code}/t/undo", headers={"accept-language": "en"})
    assert german.status_code == 409 and "Es gibt nichts rückgängig zu machen." in german.text
    assert english.status_code == 409 and "There is nothing to undo." in english.text


async def test_a_participant_cannot_undo_the_trainer_s_move(client, room, service):
    code, phone = room
    await send_card(phone, code, "Freundlich")
    card = await only_card(service, code)
    cluster = await new_cluster(client, service, code)
    await client.post(f"/w/{code}/t/card-move", data={"card_id": card.id, "cluster_id": cluster})

    refused = await phone.post(f"/w/{code}/t/undo")

    assert refused.status_code == 403
    assert (await only_card(service, code)).cluster_id == cluster


async def test_undo_tells_the_trainer_when_a_participant_s_newer_text_stayed(client, room, service):
    code, phone = room
    await send_card(phone, code, "Freundlich")
    card = await only_card(service, code)
    await client.post(f"/w/{code}/t/card-text", data={"card_id": card.id, "text": "Freundlichkeit"})
    edited = await phone.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Sehr freundlich", "colour": "yellow"}
    )
    assert edited.status_code == 200  # not revealed, not sorted: still theirs to change

    undone = await client.post(f"/w/{code}/t/undo")

    assert undone.status_code == 200
    assert "bis auf 1 Karte, die inzwischen von Teilnehmenden geändert" in undone.text
    assert undone.headers["hx-retarget"] == "#flash"
    assert (await only_card(service, code)).text == "Sehr freundlich"


async def test_participants_cards_lock_at_the_reveal(client, room, service):
    code, phone = room
    assert (await client.post(f"/w/{code}/t/hide")).status_code == 204
    await send_card(phone, code, "Erst so")
    card = await only_card(service, code)
    before = await phone.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Dann so", "colour": "yellow"}
    )
    assert before.status_code == 200
    assert (await client.post(f"/w/{code}/t/reveal")).status_code == 204

    edit = await phone.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Später", "colour": "yellow"}
    )
    delete = await phone.post(f"/w/{code}/cards/{card.id}/delete")
    english = await phone.post(
        f"/w/{code}/cards/{card.id}/delete", headers={"accept-language": "en"}
    )
    page = (await phone.get(f"/w/{code}")).text

    assert edit.status_code == 409 and delete.status_code == 409
    assert "Die Karten sind aufgedeckt" in edit.text
    assert "The cards have been revealed" in english.text
    assert await stored_texts(service, code) == ["Dann so"]
    assert "Die Karten sind aufgedeckt" in page  # read-only, with the reason
    assert f"/cards/{card.id}/delete" not in page


async def test_an_open_wall_locks_participants_cards_once_clustering_starts(client, room, service):
    code, phone = room
    await send_card(phone, code, "Erst so")
    card = await only_card(service, code)
    await client.post(f"/w/{code}/t/cluster-new", data={"heading": "Haltung"})
    edit = await phone.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Später", "colour": "yellow"}
    )
    assert edit.status_code == 409 and "schon sortiert" in edit.text
    assert (await send_card(phone, code, "Noch eine")).status_code == 200  # new ones: yes


async def test_with_the_lock_turned_off_participants_edit_after_the_reveal(client, room, service):
    code, phone = room
    await client.post(f"/w/{code}/t/hide")
    await send_card(phone, code, "Erst so")
    card = await only_card(service, code)
    console = (await client.get(f"/w/{code}/trainer")).text
    assert 'name="lock" value="on" checked' in console  # on by default
    assert (await client.post(f"/w/{code}/t/edit-lock", data={})).status_code == 204
    await client.post(f"/w/{code}/t/reveal")

    edit = await phone.post(
        f"/w/{code}/cards/{card.id}", data={"text": "Dann so", "colour": "yellow"}
    )

    assert edit.status_code == 200
    assert await stored_texts(service, code) == ["Dann so"]
    assert 'name="lock" value="on" checked' not in (await client.get(f"/w/{code}/trainer")).text


async def test_the_trainer_writes_a_card_that_looks_like_every_other(client, room, service):
    code, phone = room
    await send_card(phone, code, "Von der Gruppe", colour="yellow")
    workshop = await service.workshop(code)
    present = (await service.snapshot(workshop.id)).participants
    written = await client.post(
        f"/w/{code}/t/card-write", data={"text": "Zuruf aus der Runde", "colour": "yellow"}
    )
    assert written.status_code == 204

    snap = await service.snapshot(workshop.id)
    mine = next(c for c in snap.wall.cards if c.text == "Zuruf aus der Runde")
    theirs = next(c for c in snap.wall.cards if c.text == "Von der Gruppe")
    board = (await phone.get(f"/w/{code}/board")).text
    own = (await phone.get(f"/w/{code}")).text

    assert mine.participant_id is None and snap.participants == present
    card_html = re.compile(r'<article class="card card--yellow"[^>]*>\s*<p class="card__text">')
    assert len(card_html.findall(board)) == 2  # the same markup, no author mark
    assert "Zuruf aus der Runde" in board and "Zuruf aus der Runde" not in own
    assert theirs.participant_id is not None


async def test_the_trainer_writes_only_on_a_card_step(client, service):
    code = await create_workshop(client, "Skala", ["kunde-koenig"])  # starts with a scale
    refused = await client.post(f"/w/{code}/t/card-write", data={"text": "Hi", "colour": "yellow"})
    assert refused.status_code == 409


# -- compressed, cached pages --------------------------------------------------------

STATIC_URL = re.compile(r"""/static/[^"'\s)<>]+""")
VERSIONED = re.compile(r"^/static/[\w./-]+\?v=[0-9a-f]{12}$")
IMMUTABLE = "public, max-age=31536000, immutable"


def asset_name(url: str) -> str:
    """``/static/bundle/phone.js?v=…`` → ``bundle/phone.js``."""
    return url.removeprefix("/static/").partition("?")[0]


def every_page(code: str) -> list[str]:
    """Start, join, phone, wall, board, console and the HTML protocol."""
    return [
        "/",
        "/join",
        f"/w/{code}",
        f"/w/{code}/wall",
        f"/w/{code}/board",
        f"/w/{code}/trainer",
        f"/w/{code}/protocol.html",
    ]


async def test_a_page_goes_out_gzipped_when_the_browser_accepts_it(client, room):
    code, phone = room
    response = await phone.get(f"/w/{code}", headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) < len(response.content) / 2
    assert "</html>" in response.text  # httpx unpacked it: it is real gzip
    # The guard's headers are on the compressed answer too.
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_page_goes_out_plain_to_a_client_that_does_not_accept_gzip(client, room):
    code, phone = room
    response = await phone.get(f"/w/{code}", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    # A shared cache must still keep the two versions apart.
    assert "accept-encoding" in response.headers["vary"].lower()
    assert int(response.headers["content-length"]) == len(response.content)
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_scripts_and_stylesheets_go_out_gzipped(client):
    response = await client.get(
        "/static/vendor/htmx-2.0.11.min.js", headers={"accept-encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert "nosniff" == response.headers["x-content-type-options"]


async def test_every_static_url_of_every_page_is_versioned_and_cached_for_good(client, room):
    code, phone = room
    seen: set[str] = set()
    for path in every_page(code):
        viewer = phone if path == f"/w/{code}" or path.endswith("/wall") else client
        response = await viewer.get(path)
        assert response.status_code == 200, path
        # An HTML page changes with the workshop: never kept for long.
        assert "max-age=31536000" not in response.headers.get("cache-control", ""), path
        for url in STATIC_URL.findall(response.text):
            assert VERSIONED.match(html.unescape(url)), (path, url)
            seen.add(html.unescape(url))
    # The bundles carry htmx and the phone's stylesheet (board/assets.py).
    loaded = {source for url in seen for source in shipped().sources(asset_name(url))}
    assert {"vendor/htmx-2.0.11.min.js", "css/phone.css"} <= loaded
    for url in seen:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE, url


async def test_an_unversioned_or_stale_static_url_is_revalidated_not_kept(client):
    plain = await client.get("/static/js/live.js")
    assert plain.status_code == 200
    assert plain.headers["cache-control"] == "no-cache"
    again = await client.get("/static/js/live.js", headers={"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304
    stale = await client.get("/static/js/live.js?v=000000000000")
    assert stale.status_code == 200
    assert stale.headers["cache-control"] == "no-cache"


# -- a phone's tap: what it reads ---------------------------------------------------------
EIGHT_PS = "8ps-beziehungsmarketing"  # after the goal question, a dot vote on 8 options
STEP_ID = re.compile(r'name="step_id" value="([^"]+)"')


@pytest.fixture
async def dots_room(client):
    """A phone on the 8 Ps' dot vote: the workshop's code, the phone, the step's id."""
    code = await create_workshop(client, exercises=[EIGHT_PS])
    assert (await client.post(f"/w/{code}/t/step-next")).status_code == 204
    phone = phone_client(client)
    await join(phone, code)
    found = STEP_ID.search((await phone.get(f"/w/{code}")).text)
    assert found
    return code, phone, found[1]


def count_reads(monkeypatch: pytest.MonkeyPatch, service: Service) -> dict[str, int]:
    """From now on: the service's reads outside a write, and the snapshots read anywhere."""
    counts = {"reads": 0, "snapshots": 0}
    read, snapshot_read = service.db.read, snapshot.read

    async def counted_read(fn):  # type: ignore[no-untyped-def]
        counts["reads"] += 1
        return await read(fn)

    def counted_snapshot(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["snapshots"] += 1
        return snapshot_read(*args, **kwargs)

    monkeypatch.setattr(service.db, "read", counted_read)
    monkeypatch.setattr(snapshot, "read", counted_snapshot)
    return counts


async def test_after_its_first_tap_a_phone_s_dot_reads_nothing_beside_its_write(
    dots_room, service, monkeypatch
):
    code, phone, step_id = dots_room
    dot = {"step_id": step_id, "option": "2", "delta": "1"}
    assert (await phone.post(f"/w/{code}/vote", data=dot)).status_code == 200
    counts = count_reads(monkeypatch, service)
    second = await phone.post(f"/w/{code}/vote", data=dot)
    assert second.status_code == 200
    # Neither the workshop nor the phone's participant, nor the step, nor a snapshot
    # for the answer: the one snapshot is the write's own.
    assert counts == {"reads": 0, "snapshots": 1}
    assert "Noch 1 von 3" in second.text  # the answer shows the dot just placed


async def test_a_card_s_answer_shows_it_without_reading_the_wall_again(room, service, monkeypatch):
    code, phone = room
    assert (await send_card(phone, code, "Freundlich")).status_code == 200
    counts = count_reads(monkeypatch, service)
    response = await send_card(phone, code, "Schnell")
    assert response.status_code == 200
    assert counts == {"reads": 0, "snapshots": 1}
    assert "Freundlich" in response.text and "Schnell" in response.text


async def test_an_answer_is_read_anew_when_a_later_write_changed_the_phone_s_view(
    client, dots_room, service
):
    code, phone, step_id = dots_room
    workshop = await service.workshop(code)
    anna = service.db.read_now(lambda c: c.execute("SELECT id FROM participants").fetchone()[0])
    form = Form({"step_id": step_id, "option": "2", "delta": "1"})
    placed = await service.step_input(workshop, anna, "vote", form)
    # Before her answer is rendered, the trainer closes the step: her phone must say so.
    assert (await client.post(f"/w/{code}/t/close")).status_code == 204
    view = await service.own_view(workshop.id, anna)
    assert view.step.state == "closed"
    assert [vote.id for vote in view.votes] == [vote.id for vote in placed.changes]


async def test_a_deleted_workshop_refuses_a_phone_it_knew_a_moment_ago(client, room, service):
    code, phone = room
    assert (await send_card(phone, code, "Freundlich")).status_code == 200
    deleted = await client.post(f"/w/{code}/delete", data={"confirm": code})
    assert deleted.status_code == 303
    assert (await send_card(phone, code, "Zu spät")).status_code == 404


@pytest.mark.parametrize("region", [render.ENDED, render.TRAINER_LINK])
async def test_another_process_s_notice_of_an_end_or_a_new_link_forgets_the_workshop(
    room, service, region
):
    code, phone = room
    assert (await send_card(phone, code, "Freundlich")).status_code == 200
    workshop = await service.workshop(code)
    known = service.identities.workshop(code)
    assert known is not None and known.id == workshop.id
    service.live.notices.publish(Notice(workshop.id, None, frozenset({region})))
    assert service.identities.workshop(code) is None


async def test_a_phone_s_form_is_read_without_starlette_s_form_parser(room, service, monkeypatch):
    code, phone = room

    async def no_parser(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a url-encoded form went to Starlette's parser")

    monkeypatch.setattr(Request, "form", no_parser)
    text = "Grüße & Dank + 100 % Kulanz; sofort"
    assert (await send_card(phone, code, text)).status_code == 200
    assert await stored_texts(service, code) == [text]


def test_every_route_is_reached_by_its_own_paths(settings: Settings, service: Service) -> None:
    """The router takes the first route that fits a request's path and method: none may
    stand before another that takes the same requests (the phones' inputs come first)."""
    from starlette.routing import Match, Route

    routes = [r for r in create_app(settings, service).routes if isinstance(r, Route)]
    for route in routes:
        path = re.sub(r"\{([^}:]+)(:[^}]*)?\}", "x1", route.path)
        for method in sorted(route.methods or {"GET"}):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            first = next(r for r in routes if r.matches(scope)[0] == Match.FULL)
            assert first is route, f"{method} {path}: {first.path} answers first"


async def test_an_answer_is_read_anew_when_the_phone_s_own_later_write_left_no_view(
    client, room, service
):
    """A card (its view kept), then, before that answer is read, a topic proposal of the
    same phone (which keeps none): the proposal's answer must not be the card's view."""
    code, phone = room
    workshop = await service.workshop(code)
    anna = service.db.read_now(lambda c: c.execute("SELECT id FROM participants").fetchone()[0])
    allowed = await client.post(f"/w/{code}/t/topic-proposals", data={"allowed": "on"})
    assert allowed.status_code == 204
    await service.add_card(workshop, anna, "c1", "Freundlich", "yellow")
    await service.propose_topic(workshop, anna, "Erreichbarkeit am Telefon")
    view = await service.own_view(workshop.id, anna)
    assert "Erreichbarkeit am Telefon" in [topic.title for topic in view.topics]


async def test_workshops_removed_by_retention_end_on_every_open_screen(service):
    workshop = await service.create_workshop("Alt")
    board = service.hub.subscribe(workshop.id, frozenset({"board/de"}))
    service.live.watch(workshop.id, workshop.seq)
    await service.db.write(lambda conn: conn.execute("UPDATE workshops SET created_at = 0"))
    assert await service.delete_older_than(30) == 1
    await service.live.settled()
    frames = drain(board)
    assert frames and frames[-1].final  # the board says so and its socket closes
