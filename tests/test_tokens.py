"""Identity without accounts: signed participant cookies, trainer links, the signing key."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from board.settings import SettingError
from board.tokens import (
    COOKIE_MAX_AGE,
    KEY_FILE,
    ParticipantIdentity,
    Tokens,
    load_or_create_key,
    participant_max_age,
)

KEY = "k" * 48


def test_a_participant_token_names_the_workshop_and_the_participant() -> None:
    tokens = Tokens(KEY)
    token = tokens.participant("ws1", "p1")
    assert tokens.read_participant(token, "ws1") == ParticipantIdentity("ws1", "p1")


def test_a_participant_token_for_another_workshop_is_refused() -> None:
    tokens = Tokens(KEY)
    token = tokens.participant("ws1", "p1")
    assert tokens.read_participant(token, "ws2") is None


def test_no_token_or_garbage_is_no_identity() -> None:
    tokens = Tokens(KEY)
    assert tokens.read_participant(None, "ws1") is None
    assert tokens.read_participant("", "ws1") is None
    assert tokens.read_participant("not-a-token", "ws1") is None


def test_a_token_whose_payload_was_edited_is_refused() -> None:
    tokens = Tokens(KEY)
    _, signature = tokens.participant("ws1", "p1").rsplit(".", 1)
    payload = base64.urlsafe_b64encode(json.dumps(["ws1", "p2"]).encode()).rstrip(b"=").decode()
    assert tokens.read_participant(f"{payload}.{signature}", "ws1") is None


def test_a_token_signed_with_another_key_is_refused() -> None:
    forged = Tokens("x" * 48).participant("ws1", "p1")
    assert Tokens(KEY).read_participant(forged, "ws1") is None


def test_a_genuine_signature_over_a_payload_of_the_wrong_shape_is_refused() -> None:
    # Same key and salt as a participant cookie, but not [workshop, participant id].
    signer = URLSafeTimedSerializer(KEY, salt="participant")
    tokens = Tokens(KEY)
    assert tokens.read_participant(signer.dumps(["ws1", 42]), "ws1") is None
    assert tokens.read_participant(signer.dumps(["ws1", "p1", "extra"]), "ws1") is None
    assert tokens.read_participant(signer.dumps({"ws1": "p1"}), "ws1") is None


DAY = 24 * 60 * 60


def signed_days_ago(monkeypatch: pytest.MonkeyPatch, tokens: Tokens, days: float) -> str:
    """A participant token as the server signed it ``days`` ago."""
    now = time.time()
    with monkeypatch.context() as then:
        then.setattr(time, "time", lambda: now - days * DAY)
        return tokens.participant("ws1", "p1")


def test_a_participant_token_expires_with_its_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copied cookie does not outlive the Max-Age its browser was told."""
    tokens = Tokens(KEY, participant_max_age=7 * DAY)
    recent = signed_days_ago(monkeypatch, tokens, 6.9)
    expired = signed_days_ago(monkeypatch, tokens, 7.1)
    assert tokens.read_participant(recent, "ws1") == ParticipantIdentity("ws1", "p1")
    assert tokens.read_participant(expired, "ws1") is None


def test_a_token_read_before_still_expires_when_its_time_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A phone's cookie accepted a moment ago is refused once it is too old: the check
    of its signature is kept, not the answer."""
    tokens = Tokens(KEY, participant_max_age=7 * DAY)
    token = signed_days_ago(monkeypatch, tokens, 6.9)
    assert tokens.read_participant(token, "ws1") == ParticipantIdentity("ws1", "p1")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 0.2 * DAY)
    assert tokens.read_participant(token, "ws1") is None
    assert tokens.read_participant(token, "ws2") is None


def test_a_forged_token_is_refused_every_time() -> None:
    tokens = Tokens(KEY)
    genuine = tokens.participant("ws1", "p1")
    forged = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    for _ in range(2):
        assert tokens.read_participant(forged, "ws1") is None
        assert tokens.read_participant(genuine, "ws1") == ParticipantIdentity("ws1", "p1")


def test_a_participant_token_without_a_time_is_refused() -> None:
    # As signed before tokens carried their time: it could never expire.
    timeless = URLSafeSerializer(KEY, salt="participant").dumps(["ws1", "p1"])
    assert Tokens(KEY).read_participant(timeless, "ws1") is None


def test_participants_are_recognised_for_the_retention_period_else_thirty_days() -> None:
    assert participant_max_age(90) == 90 * DAY
    assert participant_max_age(1) == DAY
    assert participant_max_age(0) == COOKIE_MAX_AGE == 30 * DAY


def test_a_trainer_token_does_not_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = Tokens(KEY, participant_max_age=DAY)
    now = time.time()
    with monkeypatch.context() as then:
        then.setattr(time, "time", lambda: now - 400 * DAY)
        token = tokens.trainer("ws1", "trainer-secret")
    assert tokens.is_trainer(token, "ws1", "trainer-secret")


def test_a_trainer_link_opens_the_console_of_its_workshop() -> None:
    tokens = Tokens(KEY)
    token = tokens.trainer("ws1", "trainer-secret")
    assert tokens.is_trainer(token, "ws1", "trainer-secret")


def test_a_trainer_token_with_a_wrong_trainer_secret_is_refused() -> None:
    # The workshop was deleted and re-created: it has a new trainer secret.
    tokens = Tokens(KEY)
    token = tokens.trainer("ws1", "old-secret")
    assert not tokens.is_trainer(token, "ws1", "new-secret")


def test_a_trainer_token_for_another_workshop_is_refused() -> None:
    tokens = Tokens(KEY)
    token = tokens.trainer("ws1", "trainer-secret")
    assert not tokens.is_trainer(token, "ws2", "trainer-secret")


def test_no_trainer_token_or_a_forged_one_is_not_the_trainer() -> None:
    tokens = Tokens(KEY)
    forged = Tokens("x" * 48).trainer("ws1", "trainer-secret")
    assert not tokens.is_trainer(None, "ws1", "trainer-secret")
    assert not tokens.is_trainer("", "ws1", "trainer-secret")
    assert not tokens.is_trainer(forged, "ws1", "trainer-secret")


def test_participant_and_trainer_tokens_are_not_interchangeable() -> None:
    # If "ws1"/"secret" were a participant id, its cookie must not open the console.
    tokens = Tokens(KEY)
    assert not tokens.is_trainer(tokens.participant("ws1", "secret"), "ws1", "secret")
    assert tokens.read_participant(tokens.trainer("ws1", "secret"), "ws1") is None


# -- the signing key -------------------------------------------------------------


def test_the_key_is_generated_once_into_the_data_folder_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data" / "nested"

    key = load_or_create_key(data)

    path = data / KEY_FILE
    assert path.read_text().strip() == key
    assert len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_key_is_reused_on_the_next_start(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == first


def test_tokens_signed_before_a_restart_are_still_genuine(tmp_path: Path) -> None:
    token = Tokens(load_or_create_key(tmp_path)).participant("ws1", "p1")
    after_restart = Tokens(load_or_create_key(tmp_path))
    assert after_restart.read_participant(token, "ws1") == ParticipantIdentity("ws1", "p1")


def test_two_data_folders_get_different_keys(tmp_path: Path) -> None:
    assert load_or_create_key(tmp_path / "a") != load_or_create_key(tmp_path / "b")


def test_a_key_from_the_environment_wins_and_nothing_is_written(tmp_path: Path) -> None:
    load_or_create_key(tmp_path / "with-file")
    assert load_or_create_key(tmp_path / "with-file", from_env="from-env") == "from-env"
    assert load_or_create_key(tmp_path / "fresh", from_env="from-env") == "from-env"
    assert not (tmp_path / "fresh" / KEY_FILE).exists()


@pytest.mark.parametrize("content", ["", "\n", "short"])
def test_a_key_file_without_a_usable_key_stops_the_start(tmp_path: Path, content: str) -> None:
    # A crash or a full disk could once leave an empty key file; signing with "" would
    # let anyone forge participant cookies.
    (tmp_path / KEY_FILE).write_text(content)
    with pytest.raises(SettingError, match=KEY_FILE):
        load_or_create_key(tmp_path)


def test_creating_the_key_leaves_only_the_key_file_behind(tmp_path: Path) -> None:
    load_or_create_key(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]
