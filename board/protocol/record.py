"""The format of a session protocol: its name and version, its ids and times, its limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

FORMAT = "moderation-board/1"
VERSION = 1


class ProtocolError(ValueError):
    """A record that cannot be imported; the message says what and where."""


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")


def epoch(value: Any, where: str) -> float:
    if not isinstance(value, str):
        raise ProtocolError(f"{where}: expected a time like 2026-11-23T09:30:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProtocolError(f"{where}: {value!r} is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    timestamp = moment.timestamp()
    try:
        iso(timestamp)  # what is imported must export again
    except (ValueError, OverflowError, OSError):
        raise ProtocolError(f"{where}: {value!r} is out of range") from None
    return timestamp


LARGEST = 2**53  # integers and positions beyond this are no real workshop's

# Far beyond any real workshop (a day with 200 people is some 20,000 records), and
# small enough that checking and storing a file takes seconds, not minutes.
MAX_RECORDS = 100_000
SECTIONS = ("clusters", "cards", "votes", "actions", "people")

# The ids of a record: p1 for a participant, k1 for a cluster, c1 for a card, t1 for a
# Themenspeicher topic, team1 for a Kleingruppe; a dot on a cluster since merged or
# dissolved (or a topic since removed) keeps a key of its own (gone1), and counts for
# nothing.
GONE = "gone"
TEAM = "team"
ID = {prefix: re.compile(prefix + r"[0-9]{1,9}") for prefix in ("p", "k", "c", "t", TEAM, GONE)}
