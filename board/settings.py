"""All settings in one place, read from the environment.

Every setting is documented in the README (a test checks that); the CLI flags
of `serve` override the matching variables.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from board.groups import HIGHEST_MINIMUM, LOWEST_MINIMUM, MINIMUM

# The checkout. Its top-level folders templates/, static/, exercises/ and schema/
# are mapped into the wheel as board/_data/... (see pyproject.toml).
ROOT = Path(__file__).resolve().parent.parent


def shipped_folder(name: str) -> Path:
    """A folder shipped with the board: inside the installed package, else the checkout's
    (a checkout and an editable install have no board/_data)."""
    packaged = resources.files("board") / "_data" / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return ROOT / name


TEMPLATES_DIR = shipped_folder("templates")
STATIC_DIR = shipped_folder("static")
EXERCISES_DIR = shipped_folder("exercises")
SCHEMA_DIR = shipped_folder("schema")


# More server processes than this on one host is a mistyped number, not a plan.
MOST_WORKERS = 64


class SettingError(ValueError):
    """A setting in the environment has a value we cannot use."""


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


# The single list of environment variables; README.md documents each one.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "BOARD_HOST",
        "127.0.0.1",
        "Address to listen on (0.0.0.0 to let phones in the room connect).",
    ),
    Setting("BOARD_PORT", "8000", "TCP port to listen on."),
    Setting("BOARD_DATA", "data", "Data folder: the SQLite file and the generated signing key."),
    Setting(
        "BOARD_SECRET_KEY",
        "",
        "Signing key for cookies and trainer links; generated into the data folder if empty.",
    ),
    Setting(
        "BOARD_PUBLIC_URL",
        "",
        "Base URL phones use to reach the board (for the QR code), e.g. https://board.example.org.",
    ),
    Setting(
        "BOARD_SECURE_COOKIES",
        "auto",
        "Mark cookies Secure: auto (when the request came over https), true or false.",
    ),
    Setting("BOARD_CARD_MAX_LENGTH", "120", "Longest card text in characters."),
    Setting(
        "BOARD_CARDS_PER_MINUTE",
        "30",
        "Cards (and card edits) one participant may send per minute.",
    ),
    Setting(
        "BOARD_REQUESTS_PER_MINUTE",
        "240",
        "Requests and socket messages one participant may send per minute.",
    ),
    Setting(
        "BOARD_JOIN_FAILURES_FREE",
        "10",
        "Wrong join codes one address may try before back-off starts.",
    ),
    Setting(
        "BOARD_RESYNCS_PER_MINUTE",
        "600",
        "Full renders the sockets of one address may ask for per minute.",
    ),
    Setting(
        "BOARD_WORKSHOPS_PER_HOUR",
        "30",
        "Workshops one address may create per hour (all of them at once, too).",
    ),
    Setting(
        "BOARD_IMPORTS_PER_HOUR",
        "6",
        "Protocols one address may import per hour (all of them at once, too).",
    ),
    Setting(
        "BOARD_TRUSTED_PROXIES",
        "127.0.0.1",
        "Reverse proxies whose X-Forwarded-For/-Proto headers are believed (comma-separated, * for any).",
    ),
    Setting(
        "BOARD_EXERCISES",
        "",
        "A folder of the trainer's own exercise files (*.toml), loaded after the built-in ones.",
    ),
    Setting(
        "BOARD_RETENTION_DAYS",
        "0",
        "Delete workshops older than this many days (checked hourly); 0 keeps them.",
    ),
    Setting(
        "BOARD_TICK_MS", "25", "Interval in which bursts of changes are coalesced into one update."
    ),
    Setting(
        "BOARD_GROUP_MINIMUM",
        "3",
        "Fewest answers of a participant group before its own result is shown (anonymity).",
    ),
    Setting(
        "BOARD_HUB_URL",
        "memory://",
        "Where processes tell each other what changed: `memory://` (this process only) or "
        "`redis://host:port/db` for several server processes on one data folder.",
    ),
    Setting(
        "BOARD_WORKERS",
        "1",
        "Server processes `serve` runs on one listening socket; more than 1 needs a redis:// hub.",
    ),
    Setting(
        "BOARD_CHANGE_POLL_SECONDS",
        "5",
        "How often a process looks in the change log for writes whose notice it missed.",
    ),
    Setting(
        "BOARD_DATABASE_URL",
        "",
        "Empty: the SQLite file in BOARD_DATA. `postgresql://user:password@host:port/db`: "
        "PostgreSQL, for server processes on several hosts.",
    ),
    Setting(
        "BOARD_PRESENCE_SECONDS",
        "30",
        "With Redis: how long a process's connected people count after it last renewed them "
        "(a dead process's people drop out of the count after this).",
    ),
)


def _env(name: str) -> str:
    for setting in SETTINGS:
        if setting.env == name:
            return os.environ.get(name, setting.default)
    raise KeyError(name)


def _int(name: str, low: int, high: int) -> int:
    raw = _env(name)
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingError(f"{name}={value} must be between {low} and {high}")
    return value


def is_redis(url: str) -> bool:
    """Whether a hub URL names Redis (the shared backends), not this process's memory."""
    return url.startswith(("redis://", "rediss://", "unix://"))


def _hub_url(url: str) -> str:
    if url in ("", "memory://") or is_redis(url):
        return url or "memory://"
    raise SettingError(f"BOARD_HUB_URL={url!r} must be memory:// or redis://host:port/db")


def _database_url(url: str) -> str:
    if url == "" or url.startswith(("postgresql://", "postgres://")):
        return url
    raise SettingError(
        f"BOARD_DATABASE_URL={_redacted(url)!r} must be empty (SQLite in BOARD_DATA)"
        " or postgresql://user:password@host:port/database"
    )


def _redacted(url: str) -> str:
    """A URL as it may be shown: without a password."""
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = field(default_factory=lambda: Path("data"))
    secret_key: str = ""
    public_url: str = ""
    secure_cookies: str = "auto"
    card_max_length: int = 120
    cards_per_minute: int = 30
    requests_per_minute: int = 240
    join_failures_free: int = 10
    resyncs_per_minute: int = 600
    workshops_per_hour: int = 30
    imports_per_hour: int = 6
    trusted_proxies: str = "127.0.0.1"
    exercises_dir: Path | None = None
    retention_days: int = 0
    tick_ms: int = 25
    group_minimum: int = MINIMUM  # stored with each new workshop
    hub_url: str = "memory://"
    change_poll_seconds: int = 5
    database_url: str = ""  # "": the SQLite file in data_dir
    workers: int = 1
    presence_seconds: int = 30
    # Not a variable: `serve` finds it when it listens on every interface. The
    # base URL phones use (join link, QR code) when a page is opened at loopback.
    room_url: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        secure = _env("BOARD_SECURE_COOKIES").lower()
        if secure not in ("auto", "true", "false"):
            raise SettingError(f"BOARD_SECURE_COOKIES={secure!r} must be auto, true or false")
        return cls(
            host=_env("BOARD_HOST"),
            port=_int("BOARD_PORT", 0, 65535),
            data_dir=Path(_env("BOARD_DATA")),
            secret_key=_env("BOARD_SECRET_KEY"),
            public_url=_env("BOARD_PUBLIC_URL").rstrip("/"),
            secure_cookies=secure,
            card_max_length=_int("BOARD_CARD_MAX_LENGTH", 10, 1000),
            cards_per_minute=_int("BOARD_CARDS_PER_MINUTE", 1, 10_000),
            requests_per_minute=_int("BOARD_REQUESTS_PER_MINUTE", 10, 100_000),
            join_failures_free=_int("BOARD_JOIN_FAILURES_FREE", 1, 1000),
            resyncs_per_minute=_int("BOARD_RESYNCS_PER_MINUTE", 1, 100_000),
            workshops_per_hour=_int("BOARD_WORKSHOPS_PER_HOUR", 1, 100_000),
            imports_per_hour=_int("BOARD_IMPORTS_PER_HOUR", 1, 100_000),
            trusted_proxies=_env("BOARD_TRUSTED_PROXIES"),
            exercises_dir=Path(_env("BOARD_EXERCISES")) if _env("BOARD_EXERCISES") else None,
            retention_days=_int("BOARD_RETENTION_DAYS", 0, 36500),
            tick_ms=_int("BOARD_TICK_MS", 1, 1000),
            group_minimum=_int("BOARD_GROUP_MINIMUM", LOWEST_MINIMUM, HIGHEST_MINIMUM),
            hub_url=_hub_url(_env("BOARD_HUB_URL")),
            change_poll_seconds=_int("BOARD_CHANGE_POLL_SECONDS", 1, 3600),
            database_url=_database_url(_env("BOARD_DATABASE_URL")),
            workers=_int("BOARD_WORKERS", 1, MOST_WORKERS),
            presence_seconds=_int("BOARD_PRESENCE_SECONDS", 1, 3600),
        )

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def db_path(self) -> Path:
        return self.data_dir / "board.sqlite3"
