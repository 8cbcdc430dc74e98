"""The command line: ``python -m board exercises check DIR``."""

from __future__ import annotations

from pathlib import Path

import pytest

from board.cli import main
from board.exercises import BUILTIN_DIR
from board.settings import ROOT

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
