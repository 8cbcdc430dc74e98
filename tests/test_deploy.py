"""deploy/: the systemd units, their environment file and nginx in front of two board
processes — read as files, checked by systemd itself, and nginx run for real."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from board.cli import _parser
from board.settings import ROOT, SETTINGS
from board.web.routes import MAX_IMPORT_BYTES
from tests.conftest import create_workshop, join
from tests.redis_server import RedisServer
from tests.serverprocess import ServerProcess, free_port

DEPLOY = ROOT / "deploy"
UNITS = ("board@.service", "board.service")
DEADLINE = 15.0


def directives(unit: str) -> dict[str, list[str]]:
    """A unit file's directives, each with every value it is given."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            name, _, value = line.partition("=")
            found.setdefault(name, []).append(value)
    return found


def environment_file() -> dict[str, str]:
    lines = (DEPLOY / "board.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_starts_the_installed_board_command(unit: str) -> None:
    [start] = directives(unit)["ExecStart"]
    program, *arguments = shlex.split(start.replace("%i", "8001"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert Path(program).name in scripts  # the console script pip installs
    args = _parser().parse_args(arguments)
    assert args.command == "serve"
    if unit == "board@.service":
        assert args.port == 8001  # the instance is the port
        assert args.workers is None  # one process each
    else:
        assert args.workers > 1


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_reads_the_environment_file_and_may_write_its_data_folder_only(
    unit: str,
) -> None:
    found = directives(unit)
    assert found["EnvironmentFile"] == ["/etc/board/board.env"]
    assert found["ProtectSystem"] == ["strict"]
    assert found["NoNewPrivileges"] == ["yes"]
    assert found["Restart"] == ["on-failure"]
    assert found["ReadWritePaths"] == [environment_file()["BOARD_DATA"]]


def test_the_environment_file_sets_only_settings_the_board_knows() -> None:
    values = environment_file()
    assert set(values) <= {setting.env for setting in SETTINGS}
    assert values["BOARD_HUB_URL"].startswith("redis://")  # several processes need it


def test_nginx_spreads_over_the_ports_the_unit_names() -> None:
    example = set(re.findall(r"board@(\d+)", (DEPLOY / "board@.service").read_text()))
    upstream = re.search(r"upstream board \{(.*?)\}", (DEPLOY / "nginx.conf").read_text(), re.S)
    assert upstream is not None
    assert "least_conn;" in upstream.group(1)
    assert set(re.findall(r"server 127\.0\.0\.1:(\d+);", upstream.group(1))) == example


def test_nginx_lets_through_the_largest_body_the_board_takes() -> None:
    size = re.search(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx.conf").read_text())
    assert size is not None
    assert int(size.group(1)) * 1024 * 1024 > MAX_IMPORT_BYTES


def test_systemd_finds_nothing_wrong_in_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian's systemd package)")
    installed = Path(sys.executable).parent / "moderation-board"
    assert installed.exists(), "pip install -e . puts the console script beside python"
    names = {"board@.service": "board@8001.service", "board.service": "board.service"}
    for unit, name in names.items():
        text = (DEPLOY / unit).read_text()
        (tmp_path / name).write_text(
            text.replace("/opt/board/.venv/bin/moderation-board", str(installed))
        )
    checked = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / name) for name in names.values())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ""  # an unknown or misspelt directive is only a warning


# -- nginx in front of two board processes, for real ---------------------------------------


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def replaced_once(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` (which must occur exactly once) replaced by ``new``."""
    assert text.count(old) == 1, f"deploy/nginx.conf no longer has one {old!r}"
    return text.replace(old, new)


class Nginx:
    """deploy/nginx.conf with this test's ports and certificate, in nginx run in the
    foreground as this test's child: its own configuration, pid, logs and temp files."""

    def __init__(self, folder: Path, backends: tuple[int, int]) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        site = (DEPLOY / "nginx.conf").read_text()
        for example, port in zip(("8001", "8002"), backends, strict=True):
            site = replaced_once(site, f"server 127.0.0.1:{example};", f"server 127.0.0.1:{port};")
        site = replaced_once(site, "listen 80;", f"listen 127.0.0.1:{free_port()};")
        site = replaced_once(site, "listen 443 ssl;", f"listen 127.0.0.1:{self.port} ssl;")
        live = "/etc/letsencrypt/live/board.example.org"
        site = replaced_once(site, f"{live}/fullchain.pem", str(folder / "cert.pem"))
        site = replaced_once(site, f"{live}/privkey.pem", str(folder / "key.pem"))
        (folder / "board.conf").write_text(site)
        temp = "\n".join(
            f"    {kind}_temp_path {folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temp}\n"
            f"    include {folder / 'board.conf'};\n}}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, binary: str) -> None:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            + ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
            + ["-keyout", str(self.folder / "key.pem"), "-out", str(self.folder / "cert.pem")],
            check=True,
            capture_output=True,
        )
        command = [binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        command += ["-e", str(self.folder / "error.log")]
        self.process = subprocess.Popen(command, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.folder / "error.log").read_text())
            try:
                if httpx.get(f"{self.url}/healthz", verify=False, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("nginx did not pass requests on")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def behind_nginx(tmp_path: Path, redis_server: RedisServer) -> Iterator[tuple[Nginx, list[Path]]]:
    """Two ``board serve`` processes on one data folder and Redis (the change-log poll
    too slow to help), each on its own port, and nginx in front of both."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx; scripts/test does)")
    environment = dict(os.environ) | {
        "BOARD_HUB_URL": redis_server.url,
        "BOARD_CHANGE_POLL_SECONDS": "3600",
    }
    boards = [ServerProcess(tmp_path / "data", environment=environment) for _ in range(2)]
    for number, board in enumerate(boards):
        board.log = tmp_path / f"board-{number}.log"
    nginx = Nginx(tmp_path, (boards[0].port, boards[1].port))
    try:
        for board in boards:  # one after the other: a new data folder is set up once
            board.start()
        nginx.start(binary)
        yield nginx, [board.log for board in boards]
    finally:
        nginx.stop()
        for board in boards:
            board.stop()


def no_verification() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    return context


async def open_board(nginx: Nginx, code: str) -> ClientConnection:
    return await connect(
        f"{nginx.url.replace('https://', 'wss://')}/w/{code}/ws?role=board",
        origin=nginx.url,  # type: ignore[arg-type]
        ssl=no_verification(),
        compression=None,
    )


def boards_accepted(log: Path, code: str) -> int:
    return log.read_text().count(f'"WebSocket /w/{code}/ws?role=board" [accepted]')


async def test_a_card_posted_through_nginx_reaches_boards_on_both_processes(behind_nginx):
    nginx, logs = behind_nginx
    async with httpx.AsyncClient(
        base_url=nginx.url, headers={"origin": nginx.url}, verify=False
    ) as trainer:
        code = await create_workshop(trainer, "Hinter nginx")
    boards = []
    async with asyncio.timeout(DEADLINE):  # least_conn: the second goes to the other one
        while not all(boards_accepted(log, code) for log in logs):
            boards.append(await open_board(nginx, code))
            await asyncio.sleep(0.05)  # the accepting process writes its log line

    async with httpx.AsyncClient(
        base_url=nginx.url, headers={"origin": nginx.url}, verify=False
    ) as phone:
        await join(phone, code)
        # X-Forwarded-Proto from nginx is believed: the cookie is for https only.
        cookies = list(phone.cookies.jar)
        assert cookies and all(cookie.secure for cookie in cookies)
        card = {"text": "Durch nginx", "colour": "yellow"}
        written = await phone.post(f"/w/{code}/cards", data=card)
        assert written.status_code == 200, written.text

    async def shows(board: ClientConnection) -> None:
        while "Durch nginx" not in await board.recv():
            pass

    async with asyncio.timeout(DEADLINE):
        await asyncio.gather(*(shows(board) for board in boards))
    for board in boards:
        await board.close()
