"""Workshops, their join codes and participants. No I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from board.errors import Refused
from board.groups import MINIMUM, Group

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read off a projector is typed right.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6
MAX_TITLE_LENGTH = 120
MAX_NICKNAME_LENGTH = 30
# How the board shows how to join: a full-screen slide (the start), the header box,
# or a corner strip with the code (once everyone is in). Presentation, not content:
# it stays out of the protocol.
JOIN_DISPLAYS = ("slide", "box", "strip")


@dataclass(frozen=True)
class Workshop:
    id: str
    code: str
    title: str
    trainer_secret: str
    active_step_id: str | None
    seq: int
    created_at: float
    # The countdown everyone sees (server time, seconds since the epoch).
    timer_ends_at: float | None = None
    timer_seconds: int | None = None
    # The board plays a short gong when the timer runs out (a console setting).
    gong: bool = True
    # The trainer's choice of JOIN_DISPLAYS; None: the slide on an empty first step,
    # else the box (Snapshot.join_display).
    join_display: str | None = None
    # Participant groups for results split by group (board.groups), and how many of a
    # group must have answered before its own result is shown.
    groups: tuple[Group, ...] = ()
    group_minimum: int = MINIMUM
    # The Themenspeicher (board.topics): phones may propose topics; the board shows it.
    topic_proposals: bool = False
    topics_shown: bool = False


@dataclass(frozen=True)
class Participant:
    id: str
    workshop_id: str
    nickname: str | None
    created_at: float
    # One of the workshop's groups, groups.NO_GROUP ("keine Angabe"), or None: not asked.
    group_id: str | None = None


def new_id() -> str:
    return secrets.token_urlsafe(9)


def new_trainer_secret() -> str:
    """What every trainer token of a workshop embeds: a new one revokes all earlier links."""
    return new_id() + new_id()


def renew_trainer_link(workshop: Workshop) -> Workshop:
    """A new trainer-link generation: old links and trainer cookies stop working."""
    return replace(workshop, trainer_secret=new_trainer_secret())


def show_join(workshop: Workshop, display: str) -> list[Workshop]:
    if display not in JOIN_DISPLAYS:
        raise Refused("join_display_unknown", 422)
    if display == workshop.join_display:
        return []
    return [replace(workshop, join_display=display)]


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_refusal(raw: str) -> Refused:
    """Why ``raw`` cannot be a code: characters no code has (0 and O, 1 and I …, so none
    is mistaken for another), named; else its length."""
    typed = "".join(raw.split()).replace("-", "").upper()
    foreign = sorted({ch for ch in typed if ch not in CODE_ALPHABET})
    if len(typed) == CODE_LENGTH and foreign:
        return Refused("code_foreign_characters", 404, chars=", ".join(foreign))
    return Refused("code_malformed", 404, length=CODE_LENGTH)


def normalise_code(raw: str) -> str | None:
    """The code as typed (any case, spaces, dashes) or None if it cannot be one."""
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise Refused("title_empty")
    if len(title) > MAX_TITLE_LENGTH:
        raise Refused("title_too_long", max=MAX_TITLE_LENGTH)
    return title


def clean_nickname(raw: str) -> str | None:
    nickname = " ".join(raw.split())
    if len(nickname) > MAX_NICKNAME_LENGTH:
        raise Refused("nickname_too_long", max=MAX_NICKNAME_LENGTH)
    return nickname or None
