"""The command line: ``python -m board exercises check DIR``."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import uvicorn

from board.cli import main, server_options
from board.exercises import BUILTIN_DIR
from board.settings import ROOT, Settings
from tests.serverprocess import ServerProcess

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
    assert listed == sorted(p.name for p in BUILTIN_DIR.glob("*.toml"))
    assert len(listed) == 8
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
