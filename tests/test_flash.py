"""Blitzlicht: "Was nehme ich mit?" — one statement each, shown one by one, together, as a cloud.

The rules without a server first, then a room over HTTP (three phones, a board, the
console), a scan of every screen while the statements are hidden, and the protocol.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import httpx
import pytest

from board import documents
from board.assets import shipped
from board.cli import main as cli
from board.errors import Refused
from board.exercises import load_file
from board.i18n import translate
from board.kinds import flash
from board.kinds.flash import MAX_STATEMENT_LENGTH, answer, clean_statement, move, shuffled
from board.service import Service
from board.steps import Step
from board.votes import Vote
from tests.conftest import LiveServer, create_workshop, join, other_device
from tests.test_sockets import Device

DEADLINE = 5.0


def a_step(**config: object) -> Step:
    return Step(
        id="step-1",
        workshop_id="w",
        position=0,
        kind="flash",
        question="",
        state="open",
        hidden=True,
        revealed=False,
        config={"prompt": {"de": "Was nehme ich mit?", "en": "What do I take away?"}} | config,
    )


# -- the rules ---------------------------------------------------------------------------


def test_a_statement_is_one_line_with_its_blanks_folded() -> None:
    assert clean_statement("  Mehr\nzuhören \t und  nachfragen ") == "Mehr zuhören und nachfragen"


def test_exactly_the_limit_is_taken_one_more_is_refused_with_the_limit() -> None:
    assert clean_statement("x" * MAX_STATEMENT_LENGTH) == "x" * MAX_STATEMENT_LENGTH
    with pytest.raises(Refused) as refused:
        clean_statement("x" * (MAX_STATEMENT_LENGTH + 1))
    assert (refused.value.key, refused.value.params) == (
        "statement_too_long",
        {"max": MAX_STATEMENT_LENGTH},
    )


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", "\u200b\u200d", "\u3164"])
def test_an_empty_or_invisible_statement_is_refused(blank: str) -> None:
    with pytest.raises(Refused) as refused:
        clean_statement(blank)
    assert refused.value.key == "statement_empty"


def test_answering_again_replaces_the_statement_in_its_place() -> None:
    step = a_step()
    (first,) = answer(step, [], "anna", "Zuhören", "v1", 10.0)
    assert (first.word, first.participant_id, first.key) == ("Zuhören", "anna", "")
    (second,) = answer(step, [first], "anna", "Mehr zuhören", "v2", 20.0)
    assert (second.id, second.word, second.created_at) == ("v1", "Mehr zuhören", 10.0)
    assert answer(step, [second], "anna", " Mehr  zuhören ", "v3", 30.0) == []


def test_no_statement_after_the_step_closed() -> None:
    with pytest.raises(Refused) as refused:
        answer(replace(a_step(), state="closed"), [], "anna", "Zuhören", "v1", 1.0)
    assert refused.value.key == "voting_closed"


def statements(step: Step, people: list[str]) -> list[Vote]:
    return [
        Vote(f"v{i}", step.id, who, "", None, None, None, f"Satz von {who}", float(i))
        for i, who in enumerate(people)
    ]


def test_the_order_on_the_wall_is_not_the_order_people_joined_or_wrote() -> None:
    people = [f"person-{i:02d}" for i in range(20)]
    step = a_step()
    order = [v.participant_id for v in shuffled(step, statements(step, people))]
    assert sorted(order) == people
    assert order != people and order != people[::-1]
    # Another step of the same room comes in another order.
    other = [
        v.participant_id for v in shuffled(replace(step, id="step-2"), statements(step, people))
    ]
    assert other != order


def test_an_edit_keeps_the_statement_where_it_was() -> None:
    people = [f"person-{i:02d}" for i in range(8)]
    step = a_step()
    written = statements(step, people)
    before = [v.participant_id for v in shuffled(step, written)]
    edited = [
        replace(v, word="ganz anders", created_at=99.0) if i == 3 else v
        for i, v in enumerate(written)
    ]
    assert [v.participant_id for v in shuffled(step, edited)] == before


def test_the_cloud_leaves_out_the_question_s_own_words_in_both_languages() -> None:
    step = a_step()
    said = ["Ich nehme mit: mehr Geduld", "I take away patience", "Nehme Geduld mit"]
    written = [
        Vote(f"v{i}", step.id, f"p{i}", "", None, None, None, text, float(i))
        for i, text in enumerate(said)
    ]
    words = {w.text: w.count for w in flash.flash_result(step, written).words}
    assert words == {"Geduld": 2, "mehr": 1, "patience": 1}
    # A question the trainer typed over the prompt counts as well.
    asked = replace(step, question="Was war heute Ihre Geduld?")
    assert "Geduld" not in {w.text for w in flash.flash_result(asked, written).words}


def test_next_and_back_stay_within_the_statements() -> None:
    step = a_step(view="one")
    assert move(step, -1, 3).config["shown"] == 0
    step = move(move(step, 1, 3), 1, 3)
    assert step.config["shown"] == 2
    assert move(step, 1, 3).config["shown"] == 2
    assert move(step, -1, 3).config["shown"] == 1


def test_next_from_all_together_shows_the_statement_last_shown_first() -> None:
    step = a_step(view="all", shown=1)
    moved = move(step, 1, 3)
    assert (moved.config["view"], moved.config["shown"]) == ("one", 1)


# -- exercise files ------------------------------------------------------------------------

FEEDBACK = """
key = "abschluss"
title = { de = "Abschlussrunde", en = "Closing round" }

[[steps]]
kind = "flash"
prompt = { de = "Was nehme ich mit?", en = "What do I take away?" }
hidden = false
view = "all"
"""


def test_an_exercise_file_can_hold_a_blitzlicht(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "abschluss.toml").write_text(FEEDBACK, encoding="utf-8")
    assert cli(["exercises", "check", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["ok  abschluss.toml: abschluss (flash)"]
    (step,) = load_file(tmp_path / "abschluss.toml").steps
    assert (step.kind, step.config["hidden"], step.config["view"]) == ("flash", False, "all")


def test_an_unknown_view_in_an_exercise_file_is_named(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "abschluss.toml").write_text(
        FEEDBACK.replace('"all"', '"sideways"'), encoding="utf-8"
    )
    assert cli(["exercises", "check", str(tmp_path)]) == 1
    _, err = capsys.readouterr()
    assert err.startswith(
        f"{tmp_path / 'abschluss.toml'}: steps[0].view: expected one of one, all, cloud"
    )


# -- a room over HTTP ----------------------------------------------------------------------


async def active_step(service: Service, code: str) -> Step:
    return (await service.snapshot((await service.workshop(code)).id)).step


async def send(phone: httpx.AsyncClient, code: str, step_id: str, text: str) -> httpx.Response:
    return await phone.post(f"/w/{code}/vote", data={"step_id": step_id, "text": text})


async def trainer(client: httpx.AsyncClient, code: str, action: str, **form: str) -> httpx.Response:
    return await client.post(f"/w/{code}/t/{action}", data=form)


def shown_text(page: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


SAID = {
    "Anna": "Mehr zuhören, weniger reden",
    "Ben": "Zuhören und nachfragen",
    "Cem": "Geduld beim Zuhören",
}


@pytest.fixture
async def room(client: httpx.AsyncClient) -> tuple[str, dict[str, httpx.AsyncClient]]:
    code = await create_workshop(client, "Abschlussrunde", ["step:flash"])
    phones = {}
    for name in SAID:
        phone = other_device(client)
        await join(phone, code)
        phones[name] = phone
    return code, phones


async def test_three_phones_answer_and_the_latest_answer_counts(client, service, room) -> None:
    code, phones = room
    step = await active_step(service, code)
    assert step.kind == "flash" and step.hidden  # hidden until revealed, by default
    for name, text in SAID.items():
        sent = await send(phones[name], code, step.id, text)
        assert sent.status_code == 200
        assert text in shown_text(sent.text)  # the phone shows its answer
    changed = await send(phones["Ben"], code, step.id, "Nachfragen, bevor ich antworte")
    assert "Nachfragen, bevor ich antworte" in shown_text(changed.text)
    snap = await service.snapshot((await service.workshop(code)).id)
    assert sorted(v.word or "" for v in snap.votes) == sorted(
        [SAID["Anna"], SAID["Cem"], "Nachfragen, bevor ich antworte"]
    )
    page = shown_text((await phones["Ben"].get(f"/w/{code}")).text)
    assert "Nachfragen, bevor ich antworte" in page
    assert SAID["Anna"] not in page and SAID["Cem"] not in page
    assert translate("de", "flash_hidden_note") in page  # answers are being collected


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_too_long_or_empty_is_refused_in_the_phone_s_language(
    client, service, room, lang
) -> None:
    code, phones = room
    phone = phones["Anna"]
    phone.headers["accept-language"] = lang
    step = await active_step(service, code)
    too_long = await send(phone, code, step.id, "x" * (MAX_STATEMENT_LENGTH + 1))
    assert too_long.status_code == 422
    assert translate(lang, "statement_too_long", max=MAX_STATEMENT_LENGTH) in unescape(
        too_long.text
    )
    empty = await send(phone, code, step.id, " \u200b ")
    assert empty.status_code == 422
    assert translate(lang, "statement_empty") in unescape(empty.text)
    assert (await service.snapshot((await service.workshop(code)).id)).votes == ()


async def test_the_phone_offers_one_line_with_the_limit_and_its_counter(
    client, service, room
) -> None:
    code, phones = room
    page = (await phones["Anna"].get(f"/w/{code}")).text
    assert f'maxlength="{MAX_STATEMENT_LENGTH}"' in page
    assert f"0 / {MAX_STATEMENT_LENGTH}" in page and 'data-counter="blitz-counter"' in page
    assert shipped().url("bundle/phone.js") in page
    assert "js/counter.js" in shipped().sources("bundle/phone.js")


async def test_a_closed_step_takes_no_statement(client, service, room) -> None:
    code, phones = room
    step = await active_step(service, code)
    assert (await trainer(client, code, "close")).status_code == 204
    refused = await send(phones["Anna"], code, step.id, "Zu spät")
    assert refused.status_code == 409


async def test_only_the_trainer_moves_the_board(client, service, room) -> None:
    code, phones = room
    step = await active_step(service, code)
    for name, text in SAID.items():
        await send(phones[name], code, step.id, text)
    for action, form in (("flash-next", {}), ("flash-prev", {}), ("flash-view", {"view": "all"})):
        assert (await trainer(phones["Anna"], code, action, **form)).status_code == 403
    assert (await trainer(client, code, "flash-view", view="sideways")).status_code == 400
    assert (await active_step(service, code)).config.get("shown", 0) == 0


async def test_the_board_shows_one_after_another_all_together_and_the_cloud(
    client, service, room
) -> None:
    code, phones = room
    step = await active_step(service, code)
    for name, text in SAID.items():
        await send(phones[name], code, step.id, text)
    board = other_device(client)
    hidden = shown_text((await board.get(f"/w/{code}/board")).text)
    assert not any(text in hidden for text in SAID.values())
    assert "3 " + translate("de", "flash_hidden_count", n=3) in hidden
    assert (await trainer(client, code, "reveal")).status_code == 204

    seen = []
    for _ in SAID:
        page = shown_text((await board.get(f"/w/{code}/board")).text)
        on_wall = [text for text in SAID.values() if text in page]
        assert len(on_wall) == 1, on_wall  # one statement at a time
        seen += on_wall
        assert f"{len(seen)} von 3" in page
        assert (await trainer(client, code, "flash-next")).status_code == 204
    assert sorted(seen) == sorted(SAID.values())  # each once, in the shuffled order
    assert (await trainer(client, code, "flash-prev")).status_code == 204
    page = shown_text((await board.get(f"/w/{code}/board")).text)
    assert seen[1] in page and "2 von 3" in page

    await trainer(client, code, "flash-view", view="all")
    page = shown_text((await board.get(f"/w/{code}/board")).text)
    assert all(text in page for text in SAID.values())

    await trainer(client, code, "flash-view", view="cloud")
    page = (await board.get(f"/w/{code}/board")).text
    words = {w: int(n) for n, w in re.findall(r'data-count="(\d+)"[^>]*>([^<]+)</text>', page)}
    # "Zuhören" is in all three (whatever its case), "Geduld" in one; "und", "beim" are stop words.
    assert words["Zuhören"] == 3 and words["Geduld"] == 1
    assert "und" not in words and "beim" not in words


async def test_the_console_lists_every_statement_and_nobody_s_name(client, service) -> None:
    code = await create_workshop(client, "Abschlussrunde", ["step:flash"])
    step = await active_step(service, code)
    for nickname, text in SAID.items():
        phone = other_device(client)
        joined = await phone.post("/join", data={"code": code, "nickname": f"{nickname}-Nick"})
        assert joined.status_code in (200, 303)
        await send(phone, code, step.id, text)
    console = (await client.get(f"/w/{code}/trainer")).text
    region = console[console.index('id="console-wall"') :]
    assert all(text in unescape(region) for text in SAID.values())
    assert not any(f"{nickname}-Nick" in region for nickname in SAID)
    assert 'hx-post="/w/' in console and "flash-next" in console and "flash-view" in console
    assert '<svg class="cloud"' in region


# -- nothing hidden leaks -------------------------------------------------------------------


async def frames_until(ws, needle: str) -> list[str]:  # type: ignore[no-untyped-def]
    frames: list[str] = []
    async with asyncio.timeout(DEADLINE):
        while not frames or needle not in frames[-1]:
            frame = await ws.recv()
            frames.append(frame if isinstance(frame, str) else frame.decode())
    return frames


async def settled(ws) -> list[str]:  # type: ignore[no-untyped-def]
    """Every frame until the pong of a ping: all the socket was sent before it."""
    await ws.send(json.dumps({"type": "ping"}))
    return await frames_until(ws, 'id="pong"')


async def test_hidden_statements_reach_no_board_and_no_other_phone(live_server: LiveServer) -> None:
    trainer_device, viewer = Device(live_server), Device(live_server, "en")
    phones = {name: Device(live_server) for name in SAID}
    try:
        code = await create_workshop(trainer_device.http, "Abschlussrunde", ["step:flash"])
        for phone in phones.values():
            assert (await phone.http.get(f"/join/{code}")).status_code == 303
        step = await active_step(live_server.service, code)
        board = await viewer.socket(code, "board")
        own = {name: await phone.socket(code, "phone") for name, phone in phones.items()}
        walls = {name: await phone.socket(code, "board") for name, phone in phones.items()}
        secrets = {name: f"{text} {name}-geheim" for name, text in SAID.items()}
        seen: dict[str, list[str]] = {}
        for name, secret in secrets.items():
            response = await send(phones[name].http, code, step.id, secret)
            assert response.status_code == 200 and secret in unescape(response.text)
            seen[f"{name}'s own answer"] = [response.text]
        seen["board"] = await frames_until(board, "data-count>3<")
        seen["board"] += await settled(board)
        for name in SAID:
            seen[f"{name}'s wall socket"] = await settled(walls[name])
            seen[f"{name}'s own socket"] = await settled(own[name])
            for path in (f"/w/{code}", f"/w/{code}/wall", f"/w/{code}/board"):
                seen[f"{name}'s {path}"] = [(await phones[name].http.get(path)).text]
        seen["board page"] = [(await viewer.http.get(f"/w/{code}/board")).text]
        # Only the writer's own phone (its page, its own socket, its answer) has it.
        own_views = {
            name: {f"{name}'s own answer", f"{name}'s own socket", f"{name}'s /w/{code}"}
            for name in SAID
        }
        leaks = [
            f"{where}: {writer}'s statement"
            for where, texts in seen.items()
            for writer, secret in secrets.items()
            if where not in own_views[writer] and any(secret in unescape(t) for t in texts)
        ]
        assert leaks == []
        assert any(
            secrets["Anna"] in unescape(t)
            for t in seen["Anna's own socket"] + seen[f"Anna's /w/{code}"]
        )
        # The scan can see: after the reveal the board shows a statement.
        assert (await trainer(trainer_device.http, code, "reveal")).status_code == 204
        shown = await frames_until(board, "blitz__statement")
        assert any(secret in unescape(shown[-1]) for secret in secrets.values())
        for ws in [board, *own.values(), *walls.values()]:
            await ws.close()
    finally:
        for device in [trainer_device, viewer, *phones.values()]:
            await device.close()


# -- the protocol ---------------------------------------------------------------------------


@pytest.fixture
async def answered(service: Service):  # type: ignore[no-untyped-def]
    workshop = await service.create_workshop("Abschlussrunde", "", ["step:flash"])
    for name, text in SAID.items():
        person = await service.join(workshop, f"{name}-Nick")
        await service.execute(
            workshop,
            lambda s, p=person, t=text: answer(s.step, s.mine(p.id), p.id, t, f"id-{p.id}", 1.0),
        )
    return workshop


async def test_the_protocol_round_trip_keeps_every_statement(service, answered) -> None:
    # The board was left on the second statement: that comes back too.
    await service.execute(answered, lambda s: [move(s.step, 1, 3)])
    first = await service.export(answered)
    assert (first["steps"][0]["config"]["view"], first["steps"][0]["config"]["shown"]) == ("one", 1)
    (step,) = first["steps"]
    assert step["kind"] == "flash"
    assert sorted(v["word"] for v in step["votes"]) == sorted(SAID.values())
    imported = await service.import_protocol(first)
    again = await service.export(imported)
    for record in (first, again):
        record.pop("exported_at")
        record["workshop"].pop("code")
    assert again == first


async def test_an_imported_statement_keeps_the_live_limit(service, answered) -> None:
    too_long = "x" * (MAX_STATEMENT_LENGTH + 1)
    for word, answer_ in (
        (too_long, f"at most {MAX_STATEMENT_LENGTH} characters"),  # the schema's
        (" ", translate("en", "statement_empty")),  # the phone's rule
    ):
        record = await service.export(answered)
        record["steps"][0]["votes"][0]["word"] = word
        with pytest.raises(Refused) as refused:
            await service.import_protocol(record)
        assert refused.value.status == 422
        assert refused.value.params["problem"] == f"steps[0].votes[0].word: {answer_}"


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
async def test_every_format_lists_the_statements_and_the_top_words(service, answered, fmt) -> None:
    record = await service.export(answered)
    text = unescape(documents.render(record, fmt, "de", service.templates).decode())
    for said in SAID.values():
        assert said in text
    assert not any(f"{name}-Nick" in text for name in SAID)  # no names unless asked
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        column = {
            name: rows[0].index(translate("de", f"csv_{name}"))
            for name in ("record", "text", "word", "value")
        }
        answers = [
            row for row in rows[1:] if row[column["record"]] == translate("de", "csv_statement")
        ]
        assert sorted(row[column["text"]] for row in answers) == sorted(SAID.values())
        words = {
            row[column["word"]]: row[column["value"]]
            for row in rows[1:]
            if row[column["record"]] == translate("de", "flash_word")
        }
        assert words["Zuhören"] == "3" and words["Geduld"] == "1" and "und" not in words
    else:
        assert translate("de", "flash_word") in text
        assert re.search(r"Zuhören\W+3\b", shown_text(text)), "the top word with its count"


async def test_the_protocol_names_the_writers_only_when_asked(service, answered) -> None:
    record = await service.export(answered, names=True)
    for fmt in ("md", "html"):
        text = unescape(documents.render(record, fmt, "de", service.templates).decode())
        for name, said in SAID.items():
            assert re.search(re.escape(said) + r".{0,40}" + f"{name}-Nick", text, re.S), (fmt, name)


async def test_the_protocol_lists_the_statements_shuffled(service) -> None:
    workshop = await service.create_workshop("Abschlussrunde", "", ["step:flash"])
    written = [f"Aussage Nummer {chr(65 + i)}" for i in range(12)]
    for i, text in enumerate(written):
        person = await service.join(workshop, "")
        await service.execute(
            workshop,
            lambda s, p=person, t=text, i=i: answer(
                s.step, s.mine(p.id), p.id, t, f"v{i}", float(i)
            ),
        )
    text = documents.render(await service.export(workshop), "md", "de", service.templates).decode()
    listed = [line[2:] for line in text.splitlines() if line.startswith("- Aussage")]
    assert sorted(listed) == written and listed != written


def test_the_readme_states_the_length_the_phone_keeps() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"at most {MAX_STATEMENT_LENGTH} characters" in readme


def test_the_kind_is_registered_with_its_templates() -> None:
    from board import kinds

    assert kinds.of("flash") is flash.KIND and flash.KIND.hideable
