"""Signed tokens for identity without accounts (itsdangerous).

The signing key comes from ``BOARD_SECRET_KEY`` or is generated once into the
data folder with owner-only permissions. Cookies are scoped per workshop: a
participant cookie names its workshop and participant, a trainer token names
its workshop and the workshop's trainer secret, so deleting and re-creating a
workshop never revives an old link.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from board.settings import SettingError

KEY_FILE = "secret.key"
# Trainer and language cookies; a participant's too when no retention period is set.
COOKIE_MAX_AGE = 60 * 60 * 24 * 30


def participant_max_age(retention_days: int) -> int:
    """How long a participant stays recognised: the retention period (the workshop is
    gone after it anyway), else thirty days."""
    return retention_days * 24 * 60 * 60 if retention_days else COOKIE_MAX_AGE


def load_or_create_key(data_dir: Path, from_env: str = "") -> str:
    if from_env:
        return from_env
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write the whole key to a private temporary file, then link it into
        # place: the key file never exists half-written, and of two processes
        # starting at once exactly one key wins.
        temporary = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 16:
        raise SettingError(f"{path} holds no usable signing key: delete it to make a new one")
    return key


TOKENS_KEPT = 16_384  # participant tokens whose signature was checked: a room's phones


@dataclass(frozen=True)
class ParticipantIdentity:
    workshop_id: str
    participant_id: str


class Tokens:
    """Participant tokens carry the time they were signed and expire after
    ``participant_max_age`` seconds, like their cookie: a copied cookie does not
    outlive its Max-Age. Trainer tokens do not expire; a new trainer link (a new
    trainer secret) revokes all earlier ones."""

    def __init__(self, key: str, participant_max_age: int = COOKIE_MAX_AGE) -> None:
        self._participant = URLSafeTimedSerializer(key, salt="participant")
        self._trainer = URLSafeSerializer(key, salt="trainer")
        self.participant_max_age = participant_max_age
        # A phone sends its cookie with every tap: its signature is checked once and
        # kept (a bad one is checked again each time), its age on every read.
        self._genuine = lru_cache(maxsize=TOKENS_KEPT)(self._signed)

    def participant(self, workshop_id: str, participant_id: str) -> str:
        return self._participant.dumps([workshop_id, participant_id])

    def read_participant(self, token: str | None, workshop_id: str) -> ParticipantIdentity | None:
        """The identity in ``token`` if it is genuine, not too old and for this workshop."""
        if not token:
            return None
        try:
            data, signed_at = self._genuine(token)
        except BadSignature:
            return None
        # As itsdangerous's max_age does it: whole seconds, none from the future.
        if not 0 <= int(time.time()) - signed_at <= self.participant_max_age:
            return None
        if not (isinstance(data, list) and len(data) == 2 and data[0] == workshop_id):
            return None
        if not isinstance(data[1], str):
            return None
        return ParticipantIdentity(workshop_id, data[1])

    def _signed(self, token: str) -> tuple[Any, int]:
        """What a genuine participant token carries, and when it was signed."""
        data, signed = self._participant.loads(token, return_timestamp=True)
        return data, int(signed.timestamp())

    def trainer(self, workshop_id: str, trainer_secret: str) -> str:
        return self._trainer.dumps([workshop_id, trainer_secret])

    def is_trainer(self, token: str | None, workshop_id: str, trainer_secret: str) -> bool:
        if not token:
            return False
        try:
            data = self._trainer.loads(token)
        except BadSignature:
            return False
        return (
            isinstance(data, list)
            and len(data) == 2
            and data[0] == workshop_id
            and isinstance(data[1], str)
            and secrets.compare_digest(data[1], trainer_secret)
        )
