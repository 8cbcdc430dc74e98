"""Command line: ``python -m board serve --host H --port P --data DIR``."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from board.exercises import load_library
from board.settings import SettingError, Settings


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
    exercises = commands.add_parser("exercises", help="the exercise library")
    exercise_commands = exercises.add_subparsers(dest="exercises_command", required=True)
    check = exercise_commands.add_parser("check", help="validate the exercise files in DIR")
    check.add_argument("dir", type=Path)
    return parser


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
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        ws_per_message_deflate=False,  # broadcast sockets: about 4x memory, 2x CPU with it
        ws_max_size=64 * 1024,
        log_level="info",
    )


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
    except SettingError as error:
        print(f"board: {error}", file=sys.stderr)
        return 2
    return 0
