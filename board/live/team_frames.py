"""The projector's frames while the room works in teams: only the walls that changed.

Every team's wall is a section of its own on the board (``team-wall-<team>``). A
change on one team's wall (a card, a cluster, its reveal) sends the boards that
section alone, not all of them: ten teams writing at once would otherwise send every
board ten walls on every card. As with card frames (board/live/fragments.py), each
frame names the state it was made from and the state it makes (:func:`version`, a
digest of what the board shows of every wall); a board showing another state applies
nothing and asks for a full render (static/js/live.js).

A change of the layout (teams formed or gone, a team presenting full-screen or no
longer, the step no longer run in teams) is no such frame: the whole wall goes out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from board.snapshot import Snapshot


@dataclass(frozen=True)
class TeamsDelta:
    base: str  # the state the boards were last sent
    version: str  # the state this frame makes
    changed: frozenset[str]  # the teams whose walls it sends


@dataclass(frozen=True)
class Sent:
    version: str
    states: Mapping[str, object]  # by team: what the board shows of its wall


def states(cut: Snapshot) -> dict[str, object]:
    """What a board shows of each team's wall, from the room's cut of a step run in
    teams: its name and colour, its question, whether revealed, its cards and clusters or
    its votes (a revealed team's) or how many it has (a hidden team's)."""
    shown: dict[str, object] = {}
    for team, part in cut.team_walls():
        step = part.step
        counted = cut.team_counts.get(team.id, 0)
        shown[team.id] = (
            team,
            step.question,
            step.results_visible,
            counted,
            part.wall.cards,
            part.wall.clusters,
            part.votes,
        )
    return shown


def version(shown: Mapping[str, object]) -> str:
    digest = hashlib.blake2b(digest_size=8)
    for team_id in sorted(shown):
        digest.update(repr(shown[team_id]).encode())
    return "t" + digest.hexdigest()


def sent(cut: Snapshot) -> Sent | None:
    """What a board is sent of the teams' walls, or None: not the walls side by side."""
    if not cut.in_teams or cut.presenting() is not None:
        return None
    shown = states(cut)
    return Sent(version(shown), shown)


def delta(last: Sent | None, now: Sent | None) -> TeamsDelta | None:
    """The frame from the walls last sent to the walls now (None: the whole wall)."""
    if last is None or now is None or last.states.keys() != now.states.keys():
        return None
    changed = frozenset(t for t, state in now.states.items() if last.states[t] != state)
    return TeamsDelta(last.version, now.version, changed)
