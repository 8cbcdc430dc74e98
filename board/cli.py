"""Command line: ``python -m board serve --host H --port P --data DIR``."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from board import documents, protocol, repository, server_logs
from board.errors import Refused
from board.exercises import load_library
from board.service import Service
from board.settings import SettingError, Settings
from board.workshops import normalise_code


def lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses, found without sending anything."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    found = {str(info[4][0]) for info in infos}
    return sorted(a for a in found if not a.startswith("127."))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="board", description="Workshop moderation board")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the board (each flag overrides BOARD_*)")
    serve.add_argument("--host", help="address to listen on (env BOARD_HOST)")
    serve.add_argument("--port", type=int, help="port (env BOARD_PORT)")
    serve.add_argument("--data", type=Path, help="data folder (env BOARD_DATA)")
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
    for exercise in sorted(library.exercises.values(), key=lambda e: e.path.name):
        kinds = " → ".join(step.kind for step in exercise.steps)
        print(f"ok  {exercise.path.name}: {exercise.key} ({kinds})")
    return 1 if library.errors else 0


def serve(settings: Settings) -> None:
    from board.web import create_app

    # Our own lines (retention, sockets dropped as too slow, errors) beside uvicorn's.
    logging.basicConfig(level=logging.INFO, format="%(levelname)-9s %(name)s: %(message)s")

    public = settings.public_url
    if not public and settings.host in ("0.0.0.0", "::"):
        addresses = lan_addresses()
        if addresses:
            # Phones cannot reach 127.0.0.1: the QR code needs the room-facing address.
            public = f"http://{addresses[0]}:{settings.port}"
            settings = settings.with_(public_url=public)
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    print(f"Moderation board: open http://{shown_host}:{settings.port}/ to create a workshop")
    if public:
        print(f"Phones in the room join via {public}/join")
    print(f"Data folder: {settings.data_dir.resolve()}", flush=True)
    uvicorn.run(create_app(settings), **server_options(settings))


def server_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn runs the board."""
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.trusted_proxies,
        "ws_per_message_deflate": False,  # broadcast sockets: about 4x memory, 2x CPU with it
        "ws_max_size": 64 * 1024,
        "log_level": "info",
        "log_config": server_logs.log_config(),  # no trainer token in the access log
        "server_header": False,  # no "server: uvicorn" banner for scanners
    }


def export_protocol(settings: Settings, args: argparse.Namespace) -> int:
    service = Service(settings)
    try:
        code = normalise_code(args.code)
        if code is None:
            print(f"board: {args.code!r} is not a join code", file=sys.stderr)
            return 2
        try:
            workshop = service.db.read_now(lambda conn: repository.workshop_by_code(conn, code))
        except Refused:
            print(f"board: there is no workshop {code} in {settings.data_dir}", file=sys.stderr)
            return 1
        record = service.db.read_now(
            lambda conn: protocol.export_record(conn, workshop.id, args.names)
        )
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
        limit = settings.card_max_length
        workshop = service.db.write_now(lambda conn: protocol.import_record(conn, record, limit))
        token = service.tokens.trainer(workshop.id, workshop.trainer_secret)
    except protocol.ProtocolError as error:
        print(f"board: {path}: import refused, nothing was created: {error}", file=sys.stderr)
        return 1
    except (sqlite3.IntegrityError, UnicodeError) as error:
        problem = protocol.store_problem(error)
        print(f"board: {path}: import refused, nothing was created: {problem}", file=sys.stderr)
        return 1
    finally:
        service.close()
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
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
