"""Settings read from the environment, with one list of variables and their defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from board.settings import MOST_WORKERS, SETTINGS, SettingError, Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)


def test_the_documented_defaults_are_the_defaults() -> None:
    assert Settings.from_env() == Settings()


def test_every_setting_is_a_board_variable_with_a_help_text() -> None:
    names = [setting.env for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert all(name.startswith("BOARD_") for name in names)
    assert all(setting.help.strip() for setting in SETTINGS)


def test_every_variable_reaches_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "BOARD_HOST": "0.0.0.0",
        "BOARD_PORT": "9000",
        "BOARD_DATA": "/srv/board",
        "BOARD_SECRET_KEY": "s3cret",
        "BOARD_PUBLIC_URL": "https://board.example.org/",
        "BOARD_SECURE_COOKIES": "TRUE",
        "BOARD_CARD_MAX_LENGTH": "80",
        "BOARD_CARDS_PER_MINUTE": "12",
        "BOARD_REQUESTS_PER_MINUTE": "600",
        "BOARD_JOIN_FAILURES_FREE": "3",
        "BOARD_RESYNCS_PER_MINUTE": "100",
        "BOARD_WORKSHOPS_PER_HOUR": "5",
        "BOARD_IMPORTS_PER_HOUR": "2",
        "BOARD_TRUSTED_PROXIES": "10.0.0.1,10.0.0.2",
        "BOARD_EXERCISES": "/srv/my-exercises",
        "BOARD_RETENTION_DAYS": "90",
        "BOARD_TICK_MS": "50",
        "BOARD_GROUP_MINIMUM": "5",
        "BOARD_HUB_URL": "redis://cache.internal:6379/2",
        "BOARD_CHANGE_POLL_SECONDS": "2",
        "BOARD_DATABASE_URL": "postgresql://board:secret@db.internal:5432/board",
        "BOARD_WORKERS": "4",
        "BOARD_PRESENCE_SECONDS": "4",
    }
    assert set(values) == {setting.env for setting in SETTINGS}
    for name, value in values.items():
        monkeypatch.setenv(name, value)

    assert Settings.from_env() == Settings(
        host="0.0.0.0",
        port=9000,
        data_dir=Path("/srv/board"),
        secret_key="s3cret",
        public_url="https://board.example.org",  # no trailing slash: links are joined to it
        secure_cookies="true",
        card_max_length=80,
        cards_per_minute=12,
        requests_per_minute=600,
        join_failures_free=3,
        resyncs_per_minute=100,
        workshops_per_hour=5,
        imports_per_hour=2,
        trusted_proxies="10.0.0.1,10.0.0.2",
        exercises_dir=Path("/srv/my-exercises"),
        retention_days=90,
        tick_ms=50,
        group_minimum=5,
        hub_url="redis://cache.internal:6379/2",
        change_poll_seconds=2,
        database_url="postgresql://board:secret@db.internal:5432/board",
        workers=4,
        presence_seconds=4,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOARD_PORT", "eighty"),
        ("BOARD_HUB_URL", "nats://somewhere"),
        ("BOARD_DATABASE_URL", "mysql://somewhere"),
        ("BOARD_PORT", "70000"),
        ("BOARD_PORT", "-1"),
        ("BOARD_CARD_MAX_LENGTH", "9"),
        ("BOARD_GROUP_MINIMUM", "1"),  # one person's answers would show
        ("BOARD_CARD_MAX_LENGTH", "1001"),
        ("BOARD_CARDS_PER_MINUTE", "0"),
        ("BOARD_TICK_MS", "2.5"),
        ("BOARD_SECURE_COOKIES", "maybe"),
        ("BOARD_WORKERS", "0"),
        ("BOARD_WORKERS", str(MOST_WORKERS + 1)),
    ],
)
def test_a_value_we_cannot_use_stops_the_start_with_its_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=name):
        Settings.from_env()


def test_the_database_lives_in_the_data_folder() -> None:
    assert Settings(data_dir=Path("/srv/board")).db_path == Path("/srv/board/board.sqlite3")


def test_with_changes_a_copy() -> None:
    settings = Settings()
    changed = settings.with_(port=0, tick_ms=5)
    assert (changed.port, changed.tick_ms) == (0, 5)
    assert settings == Settings()


def test_a_refused_database_url_is_shown_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOARD_DATABASE_URL", "mysql://board:hunter2@db.internal/board")
    with pytest.raises(SettingError) as refused:
        Settings.from_env()
    assert "hunter2" not in str(refused.value)
    assert "mysql://board:***@db.internal/board" in str(refused.value)
