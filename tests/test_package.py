"""``pip install .`` gives a board that starts: the wheel carries its templates,
static files, exercises and schema, and finds them outside the checkout."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from board.settings import ROOT
from tests.serverprocess import ServerProcess

SHIPPED = ("templates", "static", "exercises", "schema")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CODE_IN_LOCATION = re.compile(r"/w/([A-Z0-9]{6})/trainer")
# Where the installed board says its folders are, as JSON (run by the venv's Python).
WHERE = (
    "import json; from board import settings as s, i18n; print(json.dumps({"
    "'templates': str(s.TEMPLATES_DIR), 'static': str(s.STATIC_DIR), "
    "'exercises': str(s.EXERCISES_DIR), 'schema': str(s.SCHEMA_DIR), "
    "'locale': str(i18n.LOCALE_DIR), 'one_card': i18n.translate('en', 'cards_count', n=1)}))"
)


def files_in(folder: Path) -> list[str]:
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


def test_every_shipped_subfolder_is_a_package_of_the_wheel() -> None:
    # setuptools ships the data of listed packages only: a new folder under
    # templates/ must be listed in pyproject.toml, or the wheel lacks it.
    packages = set(PYPROJECT["tool"]["setuptools"]["packages"])
    mapped = PYPROJECT["tool"]["setuptools"]["package-dir"]
    for name in SHIPPED:
        assert mapped[f"board._data.{name}"] == name
        for folder in [ROOT / name, *(p for p in (ROOT / name).rglob("*") if p.is_dir())]:
            dotted = ".".join(folder.relative_to(ROOT).parts)
            assert f"board._data.{dotted}" in packages, f"{folder} is not in the wheel"


def _clean_copy(target: Path) -> Path:
    """The checkout as a fresh clone has it (building writes build/ into the tree)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_outside_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{command}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def _outside_environment() -> dict[str, str]:
    # Nothing may lead the installed board back to this checkout.
    return {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "VIRTUAL_ENV") and not name.startswith("BOARD_")
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a clean copy, installed into a new virtual environment."""
    base = tmp_path_factory.mktemp("package")
    source = _clean_copy(base / "source")
    dist = base / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, ".", cwd=source)
    [wheel] = dist.glob("moderation_board-*.whl")
    _run(sys.executable, "-m", "venv", base / "venv", cwd=base)
    _run(base / "venv/bin/python", "-m", "pip", "install", "-q", wheel, cwd=base)
    return base / "venv"


def test_the_installed_board_has_every_shipped_file(installed: Path, tmp_path: Path) -> None:
    where = json.loads(_run(installed / "bin/python", "-c", WHERE, cwd=tmp_path))
    for name in SHIPPED:
        folder = Path(where[name])
        assert folder.is_relative_to(installed), f"{name} is found at {folder}"
        assert files_in(folder) == files_in(ROOT / name), name
    # The text catalogs are package data of board, read with Babel (a dependency).
    locale = Path(where["locale"])
    assert locale.is_relative_to(installed)
    assert files_in(locale) == files_in(ROOT / "board/locale") != []
    assert where["one_card"] == "1 card"


def test_the_installed_board_serves_start_board_and_static_files(
    installed: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = ServerProcess(
        tmp_path / "data",
        program=[str(installed / "bin/moderation-board")],
        environment=_outside_environment(),
        cwd=elsewhere,
    )
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            start = http.get("/")
            assert start.status_code == 200, start.text

            created = http.post("/workshops", data={"title": "Aus dem Wheel"})
            assert created.status_code == 303, created.text
            match = CODE_IN_LOCATION.search(created.headers["location"])
            assert match, created.headers["location"]
            board = http.get(f"/w/{match.group(1)}/board")
            assert board.status_code == 200, board.text
            assert "Aus dem Wheel" in board.text

            script = http.get("/static/vendor/htmx-2.0.11.min.js")
            assert script.status_code == 200
            assert script.content == (ROOT / "static/vendor/htmx-2.0.11.min.js").read_bytes()
    finally:
        server.stop()
