"""The command line: ``python -m board exercises check DIR`` and what ``serve`` prints."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from board import cli
from board.cli import for_the_room, main, server_options, startup_lines
from board.exercises import BUILTIN_DIR
from board.settings import ROOT, Settings
from tests.serverprocess import ServerProcess
from tests.test_addresses import DEBIAN_LAPTOP, IPV6_ONLY, NO_NETWORK, WIFI

GOOD = """\
key = "retro"
title = { de = "Rückblick", en = "Retrospective" }

[[steps]]
kind = "cards"
prompt = { de = "Was lief gut?", en = "What went well?" }
"""


def test_the_builtin_exercises_check_out(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["exercises", "check", "exercises"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    listed = [line.split()[1].rstrip(":") for line in out.splitlines()]
    assert sorted(listed) == sorted(p.name for p in BUILTIN_DIR.glob("*.toml"))
    assert len(listed) == 10
    assert listed[-1] == "10-feedback.toml"  # by number: the closing one last, not second
    assert all(line.startswith("ok  ") for line in out.splitlines())
    assert "ok  4-speedmeet.toml: speedmeet (pairs)" in out.splitlines()
    assert "ok  1-kundenbegeisterung.toml: kundenbegeisterung (cards → dots)" in out.splitlines()


def test_a_folder_with_a_broken_file_fails_and_names_file_field_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    broken = GOOD.replace('key = "retro"', 'key = "typo"').replace("prompt", "promt")
    (tmp_path / "typo.toml").write_text(broken, encoding="utf-8")

    assert main(["exercises", "check", str(tmp_path)]) == 1

    out, err = capsys.readouterr()
    [line] = err.splitlines()
    file, field, problem = line.split(": ", 2)
    assert file == str(tmp_path / "typo.toml")
    assert field == "steps[0].promt"
    assert problem.startswith("unknown field")
    # The good file is still checked and listed.
    assert out.splitlines() == ["ok  good.toml: retro (cards)"]


def test_a_file_that_is_not_toml_is_named_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "half.toml").write_text('key = "half', encoding="utf-8")
    assert main(["exercises", "check", str(tmp_path)]) == 1
    _, err = capsys.readouterr()
    assert err.startswith(f"{tmp_path / 'half.toml'}: (file): not valid TOML")


def test_checking_something_that_is_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["exercises", "check", str(tmp_path / "missing")]) == 2
    _, err = capsys.readouterr()
    assert "is not a folder" in err


def test_an_empty_folder_has_nothing_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["exercises", "check", str(tmp_path)]) == 0
    assert capsys.readouterr() == ("", "")


# What `serve` prints: every address a phone can use, and which one the QR code carries.


def test_serve_on_a_debian_laptop_lists_the_wifi_address_first_as_the_qr_codes() -> None:
    settings, addresses = for_the_room(Settings(host="0.0.0.0"), DEBIAN_LAPTOP)
    lines, warning = startup_lines(settings, addresses)
    assert lines == [
        "Moderation board: open http://127.0.0.1:8000/ to create a workshop",
        "Phones in the room can join at:",
        f"  http://{WIFI}:8000/join   (in the QR code)",
        "  http://172.17.0.1:8000/join",
    ]
    assert warning == []
    assert settings.room_url == f"http://{WIFI}:8000"


def test_serve_on_ipv6_only_gives_a_bracketed_address() -> None:
    settings, addresses = for_the_room(Settings(host="::", port=8080), IPV6_ONLY)
    lines, _ = startup_lines(settings, addresses)
    assert "  http://[2001:db8::23]:8080/join   (in the QR code)" in lines
    # A socket bound to 0.0.0.0 takes no IPv6 client: nothing to offer.
    assert for_the_room(Settings(host="0.0.0.0"), IPV6_ONLY) == (Settings(host="0.0.0.0"), [])


def test_serve_on_loopback_warns_with_the_fix() -> None:
    settings, addresses = for_the_room(Settings(), DEBIAN_LAPTOP)
    lines, warning = startup_lines(settings, addresses)
    assert settings.room_url == ""
    assert not any("join" in line for line in lines)
    assert "phones cannot reach this board" in warning[0]
    assert "--host 0.0.0.0" in warning[1] and "BOARD_PUBLIC_URL" in warning[1]


def test_serve_without_any_room_address_warns_with_the_fix() -> None:
    settings, addresses = for_the_room(Settings(host="0.0.0.0"), NO_NETWORK)
    lines, warning = startup_lines(settings, addresses)
    assert settings.room_url == ""
    assert not any("join" in line for line in lines)
    assert "no address in the room's network" in warning[0]
    assert "Wi-Fi" in warning[1] and "BOARD_PUBLIC_URL" in warning[1]


def test_serve_with_a_public_url_names_it_and_does_not_probe() -> None:
    public = Settings(host="0.0.0.0", public_url="https://board.example.org")
    settings, addresses = for_the_room(public, DEBIAN_LAPTOP)
    lines, warning = startup_lines(settings, addresses)
    assert (settings, addresses) == (public, [])
    assert (
        "Phones join at https://board.example.org/join (BOARD_PUBLIC_URL; in the QR code)" in lines
    )
    assert warning == []


def test_serve_hands_the_room_address_to_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[Starlette] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append(app))
    cli.serve(Settings(host="0.0.0.0", data_dir=tmp_path, secret_key="k"), DEBIAN_LAPTOP)

    [app] = started
    app.state.service.close()
    assert app.state.service.settings.room_url == f"http://{WIFI}:8000"
    out, err = capsys.readouterr()
    assert f"  http://{WIFI}:8000/join   (in the QR code)" in out.splitlines()
    assert "127.0.1.1" not in out
    assert err == ""


# -- serve -----------------------------------------------------------------------
def test_uvicorn_runs_without_its_banner_and_keeps_the_date(tmp_path: Path) -> None:
    options = server_options(Settings(data_dir=tmp_path, secret_key="k" * 32))
    config = uvicorn.Config(app=None, **options)  # type: ignore[arg-type]
    assert config.server_header is False
    assert config.date_header is True


def test_the_served_board_names_no_server_and_logs_no_token(tmp_path: Path) -> None:
    """``python -m board serve`` as deployed: a trainer opens their link on a tablet."""
    server = ServerProcess(tmp_path / "data")
    server.start()
    try:
        with httpx.Client(base_url=server.url) as laptop, httpx.Client() as tablet:
            created = laptop.post("/workshops", data={"title": "Protokoll"})
            console = laptop.get(created.headers["location"])
            link = re.search(r'value="([^"]*\?token=[^"]*)"', console.text)
            assert link is not None
            token = unquote(link.group(1).partition("?token=")[2])
            opened = tablet.get(link.group(1), follow_redirects=True)
    finally:
        server.stop()
    assert opened.status_code == 200
    assert "server" not in created.headers and "server" not in opened.headers
    assert "date" in opened.headers
    log = server.log.read_text()
    assert "trainer?token=[redacted]" in log
    assert token not in log
