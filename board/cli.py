"""Command line: ``python -m board serve --host H --port P --data DIR``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from board import documents
from board.errors import Refused
from board.exercises import load_library
from board.i18n import translate
from board.service import Service
from board.settings import MOST_WORKERS, SettingError, Settings, is_redis
from board.web import server_logs
from board.web.addresses import (
    PROBES,
    Probe,
    base_url,
    is_loopback_host,
    listens_everywhere,
    room_addresses,
)
from board.workshops import normalise_code

if TYPE_CHECKING:
    from starlette.applications import Starlette

# What each of `serve --workers N`'s processes runs: uvicorn's supervisor starts them
# fresh (spawn), so they get the app by name, not as an object.
WORKER_APP = "board.cli:worker_app"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="board", description="Workshop moderation board")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the board (each flag overrides BOARD_*)")
    serve.add_argument("--host", help="address to listen on (env BOARD_HOST)")
    serve.add_argument("--port", type=int, help="port (env BOARD_PORT)")
    serve.add_argument("--data", type=Path, help="data folder (env BOARD_DATA)")
    serve.add_argument(
        "--workers",
        type=_workers,
        help="server processes on one port; more than 1 needs a redis:// hub (env BOARD_WORKERS)",
    )
    export = commands.add_parser("export", help="write a workshop's protocol")
    export.add_argument("code", help="the workshop's join code")
    export.add_argument("--format", choices=sorted(documents.FORMATS), default="pdf")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    export.add_argument("--names", action="store_true", help="include nicknames")
    export.add_argument("--lang", choices=["de", "en"], default="de")
    export.add_argument("--data", type=Path, help="data folder (env BOARD_DATA)")
    restore = commands.add_parser("import", help="a JSON protocol becomes a new workshop")
    restore.add_argument("file", type=Path)
    restore.add_argument("--data", type=Path, help="data folder (env BOARD_DATA)")
    exercises = commands.add_parser("exercises", help="the exercise library")
    exercise_commands = exercises.add_subparsers(dest="exercises_command", required=True)
    check = exercise_commands.add_parser("check", help="validate the exercise files in DIR")
    check.add_argument("dir", type=Path)
    return parser


def _workers(text: str) -> int:
    number = int(text)
    if not 1 <= number <= MOST_WORKERS:
        raise argparse.ArgumentTypeError(f"between 1 and {MOST_WORKERS}")
    return number


def _with_data(settings: Settings, args: argparse.Namespace) -> Settings:
    return settings.with_(data_dir=args.data) if args.data else settings


def check_exercises(folder: Path) -> int:
    """Print what is wrong with each file (file, field, problem); 0 when all are fine."""
    if not folder.is_dir():
        print(f"board: {folder} is not a folder", file=sys.stderr)
        return 2
    library = load_library(folder)
    for error in library.errors:
        print(f"{folder / error.path.name}: {error.field}: {error.problem}", file=sys.stderr)
    for exercise in library.in_order():
        kinds = " → ".join(step.kind for step in exercise.steps)
        print(f"ok  {exercise.path.name}: {exercise.key} ({kinds})")
    return 1 if library.errors else 0


def for_the_room(
    settings: Settings, probes: Sequence[Probe] = PROBES
) -> tuple[Settings, list[str]]:
    """The addresses phones can join at, and the settings with the first as room_url
    (the QR code's), when the board listens on every interface without BOARD_PUBLIC_URL."""
    if settings.public_url or not listens_everywhere(settings.host):
        return settings, []
    # A socket bound to 0.0.0.0 takes IPv4 only; "::" takes both (dual stack).
    addresses = room_addresses(probes, ipv6=settings.host != "0.0.0.0")
    if not addresses:
        return settings, []
    return settings.with_(room_url=base_url(addresses[0], settings.port)), addresses


def startup_lines(settings: Settings, addresses: Sequence[str]) -> tuple[list[str], list[str]]:
    """What `serve` prints: where to open the board and every URL a phone can join at
    (the QR code's marked); and, separately, a warning when no phone can reach it."""
    everywhere = listens_everywhere(settings.host)
    own = base_url("127.0.0.1" if everywhere else settings.host, settings.port)
    lines = [f"Moderation board: open {own}/ to create a workshop"]
    if settings.public_url:
        lines.append(
            f"Phones join at {settings.public_url}/join (BOARD_PUBLIC_URL; in the QR code)"
        )
        return lines, []
    if not everywhere and is_loopback_host(settings.host):
        return lines, [
            f"WARNING: phones cannot reach this board: it listens on {settings.host} only.",
            "  Fix: start it with --host 0.0.0.0 (or set BOARD_PUBLIC_URL to the address"
            " phones reach it at).",
        ]
    urls = [base_url(a, settings.port) for a in addresses] if everywhere else [own]
    if not urls:
        return lines, [
            "WARNING: phones cannot reach this board: this computer has no address in the"
            " room's network.",
            "  Fix: connect it to the participants' Wi-Fi and start the board again"
            " (or set BOARD_PUBLIC_URL).",
        ]
    lines.append("Phones in the room can join at:")
    lines.append(f"  {urls[0]}/join   (in the QR code)")
    lines.extend(f"  {url}/join" for url in urls[1:])
    return lines, []


def serve(settings: Settings, probes: Sequence[Probe] = PROBES) -> None:
    from board.web.routes import create_app

    if settings.workers > 1 and not is_redis(settings.hub_url):
        raise SettingError(needs_redis(settings))
    _log_our_lines()
    settings, addresses = for_the_room(settings, probes)
    lines, warning = startup_lines(settings, addresses)
    print("\n".join(lines))
    if warning:
        print("\n".join(warning), file=sys.stderr)
    print(f"Data folder: {settings.data_dir.resolve()}", flush=True)
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **server_options(settings))
        return
    print(f"{settings.workers} server processes on one port, change notices over Redis")
    _hand_down(settings)
    # The data folder made ready once (schema, signing key) before the processes start:
    # several opening a new SQLite file at once fail with "database is locked".
    Service(settings).close()
    # uvicorn's supervisor binds the socket, starts the processes, starts a new one for
    # each that dies, and on SIGTERM stops each gracefully (README: Scaled out).
    uvicorn.run(WORKER_APP, factory=True, **server_options(settings))


def needs_redis(settings: Settings) -> str:
    return (
        f"--workers {settings.workers} needs BOARD_HUB_URL=redis://host:6379/0: with"
        f" {settings.hub_url} the processes would see each other's writes only at the"
        f" change-log poll (every {settings.change_poll_seconds} s)"
    )


def _log_our_lines() -> None:
    # Our own lines (retention, sockets dropped as too slow, errors) beside uvicorn's.
    logging.basicConfig(level=logging.INFO, format="%(levelname)-9s %(name)s: %(message)s")


def _hand_down(settings: Settings) -> None:
    """Put what the flags overrode into the environment the worker processes inherit:
    each reads its settings from there, as `serve` did (worker_app)."""
    os.environ["BOARD_HOST"] = settings.host
    os.environ["BOARD_PORT"] = str(settings.port)
    os.environ["BOARD_DATA"] = str(settings.data_dir)
    os.environ["BOARD_WORKERS"] = str(settings.workers)


def worker_app() -> Starlette:
    """The app of one of `serve --workers N`'s processes (uvicorn calls it there)."""
    from board.web.routes import create_app

    _log_our_lines()
    settings, _ = for_the_room(Settings.from_env())
    return create_app(settings)


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn runs the board."""
    return {
        "host": settings.host,
        "port": settings.port,
        # Always given: uvicorn would otherwise take WEB_CONCURRENCY from the environment.
        "workers": settings.workers,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
        # The implementation whose transport board/web/wire.py writes frames straight to.
        "ws": "websockets-sansio",
        "ws_per_message_deflate": False,  # broadcast sockets: about 4x memory, 2x CPU with it
        "ws_max_size": 64 * 1024,
        "log_level": "info",
        "log_config": server_logs.log_config(),  # no trainer token in the access log
        "server_header": False,  # no "server: uvicorn" banner for scanners
    }


def export_protocol(settings: Settings, args: argparse.Namespace) -> int:
    code = normalise_code(args.code)
    if code is None:
        print(f"board: {args.code!r} is not a join code", file=sys.stderr)
        return 2
    service = Service(settings)
    try:
        try:
            record = service.export_now(service.workshop_now(code), args.names)
        except Refused:  # no such workshop
            print(f"board: there is no workshop {code} in {settings.data_dir}", file=sys.stderr)
            return 1
        body = documents.render(record, args.format, args.lang, service.templates)
    finally:
        service.close()
    if args.output:
        args.output.write_bytes(body)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
    return 0


def import_protocol(settings: Settings, path: Path) -> int:
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        print(f"board: {path}: not a JSON protocol ({error})", file=sys.stderr)
        return 1
    service = Service(settings)
    try:
        # The web's way in: the same checks, the same one transaction.
        workshop = service.import_protocol_now(record)
        token = service.tokens.trainer(workshop.id, workshop.trainer_secret)
    except Refused as refused:
        print(f"board: {path}: {translate('en', refused.key, **refused.params)}", file=sys.stderr)
        return 1
    finally:
        service.close()
    # The trainer opens it on this machine first: 0.0.0.0 is no address a browser opens.
    host = "127.0.0.1" if listens_everywhere(settings.host) else settings.host
    base = settings.public_url or base_url(host, settings.port)
    print(f"imported as {workshop.code}: {base}/w/{workshop.code}/trainer?token={token}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "exercises":
        return check_exercises(args.dir)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            overrides = {
                name: value
                for name, value in (
                    ("host", args.host),
                    ("port", args.port),
                    ("data_dir", args.data),
                    ("workers", args.workers),
                )
                if value is not None
            }
            serve(settings.with_(**overrides))
        elif args.command == "export":
            return export_protocol(_with_data(settings, args), args)
        elif args.command == "import":
            return import_protocol(_with_data(settings, args), args.file)
    except SettingError as error:
        print(f"board: {error}", file=sys.stderr)
        return 2
    return 0
