"""From change notices to frames on sockets: render once per audience, coalesce bursts.

After a command commits, the service publishes a notice (board/live/notices.py) of
which *regions* of the workshop changed (the step, the wall, who is connected,
a participant's own cards). Every process's :class:`Live` hears it — the one
that made the change too — and renders for the sockets of this process. The
first change is rendered at once; changes arriving while a render is under way
are merged and rendered together one tick later, so a burst of a hundred cards
becomes a few frames, not a hundred per socket.

Each frame is rendered once per audience that has a socket here, and the same
string is published to all of them through the local hub. What an audience may
see is decided before any template runs: :meth:`Live.context` renders from
``Snapshot.for_audience``, the snapshot cut to that audience (see
board.snapshot), so board and phone templates never receive hidden card texts,
hidden votes or other people's ids. A gap in a workshop's sequence numbers (a
lost notice) is filled from the change log before rendering.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import jinja2

from board import snapshot
from board.errors import Refused
from board.i18n import language_context, translate
from board.live import fragments, team_frames
from board.live.fragments import WallDelta
from board.live.hub import Frame, Hub
from board.live.notices import Notice, NoticeBus
from board.live.presence import Presence
from board.snapshot import Snapshot
from board.store import repository
from board.store.database import UNREACHABLE, Database
from board.teams import Team

log = logging.getLogger(__name__)

STEP, WALL, PRESENCE, TIMER, AGENDA = "step", "wall", "presence", "timer", "agenda"
UNDO = "undo"  # the console's undo button: the step's undo history changed
# The console's form for the trainer's own cards: only a new step changes it (what she
# types must survive every other update).
WRITE = "write"
JOIN = "join"  # how the board shows the way in (slide, box, strip)
GROUPS = "groups"  # the console's participant groups and who is in which
TOPICS = "topics"  # the Themenspeicher (board.topics), on every step
TEAMS = "teams"  # the teams of small-group work (board.teams), on every step
ALL_REGIONS = frozenset(
    {STEP, WALL, PRESENCE, TIMER, AGENDA, UNDO, WRITE, JOIN, GROUPS, TOPICS, TEAMS}
)
# A new trainer link: every open console was opened with an old one and is closed.
TRAINER_LINK = "trainer-link"
# The workshop was deleted: every screen says so and its socket closes for good.
ENDED = "ended"
EVERYONE = "*"  # in ``people``: every participant's own view changed
# While the database is away, a render is tried again after 0.1 s, doubling up to 1 s:
# screens show the database's state within about a second of its return.
RETRY_FIRST, RETRY_LAST = 0.1, 1.0
# The change-log poll takes a write's notice for lost only if it has not come this long
# after the poll saw the write (at most a quarter of the poll's interval).
NOTICE_GRACE = 0.5
# As a notice's workshop: every workshop followed here (board/live/redis_bus.py).
EVERY_WORKSHOP = "*"
# A full render serves every socket of its audience asking within this time at the
# same seq (resyncs, reconnects): a render has no more in it than seq says, except
# the server's clock for countdowns (data-now, so they may be this much off).
FULL_FRAME_SECONDS = 1.0
FULL_FRAMES_KEPT = 256  # audiences × seqs; the oldest go first

# Which partial renders which region, by role. The full pages include the same partials.
PARTIALS: dict[str, dict[str, str]] = {
    "board": {
        STEP: "board/_step.html",
        WALL: "board/_wall.html",
        PRESENCE: "_presence.html",
        TIMER: "_timer.html",
        JOIN: "board/_join_mode.html",
        TOPICS: "board/_topics.html",
        TEAMS: "board/_teams.html",
    },
    "trainer": {
        STEP: "console/_step.html",
        WALL: "console/_wall.html",
        PRESENCE: "_presence.html",
        TIMER: "_timer.html",
        AGENDA: "console/_agenda.html",
        UNDO: "console/_undo.html",
        WRITE: "console/_write.html",
        JOIN: "console/_join.html",
        GROUPS: "console/_groups.html",
        TOPICS: "console/_topics.html",
        TEAMS: "console/_teams.html",
    },
    # The teams to choose from (the same for every phone); a phone's own team is in its
    # own section.
    "phone": {STEP: "phone/_step.html", TIMER: "_timer.html", TEAMS: "phone/_teams.html"},
    # A team's group console (board.web.team_console): its header and its wall. Who holds
    # the console (TEAMS) is in the header.
    "team": {STEP: "team/_step.html", WALL: "team/_wall.html", TEAMS: "team/_step.html"},
}
# In a group console's audience, the trainer (who may step into any team's wall).
TRAINER = "trainer"


def audience(role: str, lang: str, participant_id: str | None = None) -> str:
    return f"mine/{participant_id}/{lang}" if role == "mine" else f"{role}/{lang}"


def cut_context(cut: Snapshot) -> dict[str, Any]:
    """What every template of a screen gets from its audience's cut of the snapshot."""
    return {
        "snap": cut,
        "workshop": cut.workshop,
        "wall": cut.wall,
        "step": cut.step,
        "kind": cut.kind,
        "participants": cut.participants,
    }


def team_audience(team_id: str, who: str, lang: str) -> str:
    """A group console's audience: its team, who holds it (a participant id, or TRAINER;
    the frame is theirs while they may hold it) and the language."""
    return f"team/{team_id}/{who}/{lang}"


def team_state(snap: Snapshot, team_id: str) -> object | None:
    """All a group console shows of its team (its wall, question, reveal, holder, whether
    the teams still work), to compare with what it was last sent; None: no such team."""
    team = next((found for found in snap.teams if found.id == team_id), None)
    if team is None:
        return None
    part = snap.of_team(team_id)
    step = part.step
    shown = (step.question, step.hidden, step.revealed, step.state, step.id, snap.in_teams)
    return (team, part.wall.cards, part.wall.clusters, part.votes, shown)


def _team_of_audience(name: str) -> tuple[str, str, str]:
    team_id, who, lang = name.removeprefix("team/").split("/")
    return team_id, who, lang


@dataclass
class _FullRender:
    """One audience's full render at one seq, shared by every socket asking for it soon."""

    expires: float  # on the monotonic clock
    # The frame, and when (wall clock) it goes stale without a write: a timer or round ends.
    task: asyncio.Task[tuple[Frame, float | None]]

    def fresh(self, now: float) -> bool:
        if now >= self.expires:
            return False
        if not self.task.done():
            return True  # rendering: wait for it rather than render again
        if self.task.cancelled() or self.task.exception() is not None:
            return False
        stale_at = self.task.result()[1]
        return stale_at is None or time.time() < stale_at


@dataclass
class _Pending:
    regions: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    # Catch up from the change log on what came after this seq (notices were lost).
    since: int | None = None
    task: asyncio.Task[None] | None = None


class Live:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        templates: jinja2.Environment,
        tick_seconds: float,
        card_max_length: int,
        notices: NoticeBus,
        presence: Presence,
        poll_seconds: float = 5.0,
    ) -> None:
        self.db = db
        # How often the change log is looked at for writes whose notice never came.
        self.poll_seconds = poll_seconds
        self._poller: asyncio.Task[None] | None = None
        self.hub = hub
        self.templates = templates
        self.tick = tick_seconds
        self.card_max_length = card_max_length
        self.notices = notices
        self.presence = presence
        self._pending: dict[str, _Pending] = {}
        # The last seq heard of, per workshop with sockets here: a notice beyond the next
        # one means notices were lost in between.
        self._seen: dict[str, int] = {}
        self._ending: set[asyncio.Task[None]] = set()
        self._stop_listening: Callable[[], None] | None = None
        self._wakeups: dict[str, asyncio.TimerHandle] = {}
        self._full: dict[tuple[str, str, str, int], _FullRender] = {}
        # Per workshop: the whole snapshot phones' full frames were last made from (its
        # seq at least, until when, the read).
        self._snaps: dict[str, tuple[int, float, asyncio.Future[Snapshot]]] = {}
        # The card wall each workshop's screens here were last sent, and its version:
        # what the next card frame is made from (board/live/fragments.py).
        self._walls: dict[str, fragments.Sent] = {}
        # The newest state a write of this process left, per workshop (Live.offer).
        self._offered: dict[str, Snapshot] = {}
        # Per workshop: what each group console here was last sent of its team (see
        # team_state): a change on one team's wall renders no other team's console.
        self._teams_sent: dict[str, dict[str, object]] = {}
        # Per workshop: the teams' walls its boards here were last sent, side by side
        # (board/live/team_frames.py).
        self._team_walls: dict[str, team_frames.Sent] = {}

    # -- notices --------------------------------------------------------
    def listen(self) -> None:
        """Hear every notice from now on, on the running event loop (once is enough)."""
        if self._stop_listening is None:
            self._stop_listening = self.notices.listen(self.heard)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    def close(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll(self) -> None:
        """Every ``poll_seconds``: a workshop followed here whose seq moved on without a
        notice (lost on its way from another process) is caught up from the change log;
        one deleted meanwhile ends on every screen here; a count of who is connected
        that changed without a notice is shown anew."""
        while True:
            await asyncio.sleep(self.poll_seconds)
            followed = [w for w in self._seen if self.hub.audiences(w)]
            if not followed:
                continue
            await self._recount(followed)
            try:
                now = await self.db.read(partial(repository.current_seqs, workshop_ids=followed))
            except Exception:  # the next round tries again
                log.exception("could not poll the change log")
                continue
            behind: dict[str, int] = {}
            for workshop_id in followed:
                seen = self._seen.get(workshop_id)
                if workshop_id not in now:
                    self._end(workshop_id)
                elif seen is not None and now[workshop_id] > seen:
                    behind[workshop_id] = now[workshop_id]
            if behind:
                # A notice still on its way (its write committed a moment ago) arrives
                # within this: only one that did not is lost. Taking it for lost sent
                # every screen the whole wall instead of its card.
                await asyncio.sleep(min(NOTICE_GRACE, self.poll_seconds / 4))
            for workshop_id, seq in behind.items():
                seen = self._seen.get(workshop_id)
                if seen is not None and seq > seen and self.hub.audiences(workshop_id):
                    log.info(
                        "workshop %s: caught up on writes whose notice never came", workshop_id
                    )
                    self._seen[workshop_id] = seq
                    self.changed(workshop_id, (), (), since=seen)

    async def _recount(self, followed: list[str]) -> None:
        """Who is connected elsewhere changes without a notice: a dead process's people
        expire, a Redis that came back empty is told everyone again by the heartbeats."""
        for workshop_id in followed:
            before = self.presence.count(workshop_id)
            try:
                await self.presence.refresh(workshop_id)
            except Exception:  # the next round tries again
                log.exception("could not read who is connected")
                return
            if self.presence.count(workshop_id) != before:
                self.changed(workshop_id, {PRESENCE})

    def announce(self, notice: Notice) -> None:
        """Tell every process (this one too, by the same path) what changed."""
        # An app run without its lifespan (an in-process test client) starts here.
        self.listen()
        self.notices.publish(notice)

    def heard(self, notice: Notice) -> None:
        """A notice from the bus: render what changed for this process's sockets."""
        workshop_id = notice.workshop_id
        if workshop_id == EVERY_WORKSHOP:  # notices may have been lost: render everything
            for followed in list(self._seen):
                self.changed(followed, ALL_REGIONS, {EVERYONE})
            return
        if ENDED in notice.regions:
            self._end(workshop_id)
            return
        if not self.hub.audiences(workshop_id):
            self._seen.pop(workshop_id, None)  # nobody here: nothing to render or follow
            self._walls.pop(workshop_id, None)
            self._offered.pop(workshop_id, None)
            self._snaps.pop(workshop_id, None)
            return
        since = None
        if notice.seq is not None:
            seen = self._seen.get(workshop_id)
            if seen is not None and notice.seq <= seen:
                return  # already rendered: a catch-up read it from the change log
            if seen is not None and notice.seq > seen + 1:
                since = seen
            self._seen[workshop_id] = notice.seq
        self.changed(workshop_id, notice.regions, notice.people, since)

    def offer(self, snap: Snapshot) -> None:
        """The whole snapshot as a write of this process left it (board.snapshot.after),
        told before its notice: the render of that notice takes it instead of reading
        the database again, while it is the newest state heard of."""
        workshop_id = snap.workshop.id
        if not snap.whole or not self.hub.audiences(workshop_id):
            return
        kept = self._offered.get(workshop_id)
        if kept is None or kept.workshop.seq < snap.workshop.seq:
            self._offered[workshop_id] = snap

    async def _newest(self, workshop_id: str) -> Snapshot:
        """The workshop as the newest write heard of left it: as offered, else read."""
        offered = self._offered.pop(workshop_id, None)
        if offered is not None and offered.workshop.seq == self._seen.get(workshop_id):
            return offered
        return await self.db.read(lambda conn: snapshot.read(conn, workshop_id))

    def watch(self, workshop_id: str, seq: int) -> None:
        """A socket here follows the workshop from ``seq`` on (its first render is as new)."""
        self._seen.setdefault(workshop_id, seq)

    # -- presence -------------------------------------------------------
    def present(self, workshop_id: str) -> int:
        return self.presence.count(workshop_id)

    async def arrived(self, workshop_id: str, participant_id: str) -> None:
        await self.presence.arrived(workshop_id, participant_id)
        self.announce(Notice(workshop_id, None, frozenset({PRESENCE})))

    async def left(self, workshop_id: str, participant_id: str) -> None:
        await self.presence.left(workshop_id, participant_id)
        self.announce(Notice(workshop_id, None, frozenset({PRESENCE})))

    # -- changes --------------------------------------------------------
    def changed(
        self,
        workshop_id: str,
        regions: Iterable[str],
        people: Iterable[str] = (),
        since: int | None = None,
    ) -> None:
        """Render these regions (and these people's own sections) soon, with others."""
        pending = self._pending.setdefault(workshop_id, _Pending())
        pending.regions.update(regions)
        pending.people.update(p for p in people if p)
        if since is not None:
            pending.since = since if pending.since is None else min(pending.since, since)
        if pending.task is None or pending.task.done():
            pending.task = asyncio.create_task(self._run(workshop_id, pending))

    async def settled(self) -> None:
        """Wait until every pending change has been published (for tests and shutdown)."""
        while tasks := [
            *(p.task for p in self._pending.values() if p.task and not p.task.done()),
            *(t for t in self._ending if not t.done()),
        ]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, workshop_id: str, pending: _Pending) -> None:
        wait = RETRY_FIRST
        while pending.regions or pending.people or pending.since is not None:
            regions, people, since = pending.regions, pending.people, pending.since
            pending.regions, pending.people, pending.since = set(), set(), None
            try:
                if since is not None:
                    await self._catch_up(workshop_id, since, regions, people)
                await self._flush(workshop_id, regions, people)
            except Refused as refused:
                if refused.key != UNREACHABLE:
                    log.warning(
                        "could not publish changes of workshop %s: %s", workshop_id, refused
                    )
                else:
                    # The database is away (restarting): once it answers, every screen
                    # here gets everything again, since what changed meanwhile is unknown.
                    if wait == RETRY_FIRST:
                        log.warning("workshop %s: the database is away, trying again", workshop_id)
                    self.changed(workshop_id, ALL_REGIONS, {EVERYONE})
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, RETRY_LAST)
                    continue
            except Exception:  # a failed render must not stop later updates
                log.exception("could not publish changes of workshop %s", workshop_id)
            wait = RETRY_FIRST
            await asyncio.sleep(self.tick)
        if self._pending.get(workshop_id) is pending:
            del self._pending[workshop_id]

    async def _flush(self, workshop_id: str, regions: set[str], people: set[str]) -> None:
        wanted = self.hub.audiences(workshop_id)
        if not wanted:
            return
        if PRESENCE in regions:  # the count of every process, not only this one's
            await self.presence.refresh(workshop_id)
        seen = self._seen.get(workshop_id)  # before the read: a notice may come meanwhile
        snap = await self._newest(workshop_id)
        if seen is not None and snap.workshop.seq > seen:
            # Read past the writes heard of (another process's notice is still on its
            # way, or came during the read): the frame will say this seq, so it carries
            # what those writes changed.
            self._seen[workshop_id] = max(snap.workshop.seq, self._seen.get(workshop_id, 0))
            # Not lost, only late: the wall's frame is still made from the wall last sent.
            await self._catch_up(workshop_id, seen, regions, people, lost=False)
        self._wake_at(workshop_id, snap.next_change_at())
        if TRAINER_LINK in regions:
            await self._close_consoles(snap, wanted)
        delta = self._wall_delta(workshop_id, snap) if WALL in regions else None
        walls = self._teams_delta(workshop_id, snap) if WALL in regions else None
        own = sorted(name for name in wanted if name.startswith("mine/"))
        consoles = sorted(name for name in wanted if name.startswith("team/"))
        # When every phone's own section changed too (a new step), each phone gets the
        # step and its section in one frame: the shared part is rendered once per
        # language and only the sections are rendered per person. Otherwise the shared
        # frames go first, then the sections of the people named.
        everyone = EVERYONE in people and bool(own)
        phone_step: dict[str, str] = {}  # by language, for the one-frame way
        sent = self._teams_sent.setdefault(workshop_id, {})
        for name in consoles:
            team_id, who, lang = _team_of_audience(name)
            state = team_state(snap, team_id)
            if state is not None and sent.get(name) == state:
                continue  # nothing of this team's changed
            frame = self.team_frame(snap, team_id, who, lang, regions)
            if frame is not None:
                sent[name] = state
                await self.hub.publish(workshop_id, name, frame)
        for name in sorted(set(wanted).difference(own, consoles)):
            role, _, lang = name.partition("/")
            if everyone and role == "phone":
                phone_step[lang] = self.render(snap, role, lang, regions, seq=False, delta=delta)
                continue
            text = self.render(snap, role, lang, regions, delta=delta, walls=walls)
            if text:
                await self.hub.publish(workshop_id, name, Frame(snap.workshop.seq, text))
        if not people or not own:
            return
        await asyncio.sleep(0)  # let the sockets send those before rendering the rest
        # By language: the frame of everyone with nothing of their own yet, one object
        # (so it is encoded once) for all of them.
        empty: dict[str, Frame] = {}
        for count, name in enumerate(own, 1):
            participant_id, _, lang = name.removeprefix("mine/").rpartition("/")
            if not everyone and participant_id not in people:
                continue
            if snap.owns_nothing(participant_id):
                if lang not in empty:
                    text = self.render_mine(snap, lang, participant_id)
                    empty[lang] = Frame(snap.workshop.seq, phone_step.get(lang, "") + text)
                frame = empty[lang]
            else:
                text = self.render_mine(snap, lang, participant_id)
                frame = Frame(snap.workshop.seq, phone_step.get(lang, "") + text)
            await self.hub.publish(workshop_id, name, frame)
            if count % 100 == 0:
                await asyncio.sleep(0)

    async def _catch_up(
        self,
        workshop_id: str,
        since: int,
        regions: set[str],
        people: set[str],
        lost: bool = True,
    ) -> None:
        """Add what the writes after ``since`` changed, from the change log; when it no
        longer reaches back that far, everything. ``lost``: their notices were lost (not
        merely still on their way): the whole wall goes out, to be sure."""
        logged = await self.db.read(lambda conn: repository.changes_since(conn, workshop_id, since))
        if lost:
            self._walls.pop(workshop_id, None)
            self._team_walls.pop(workshop_id, None)
        self._offered.pop(workshop_id, None)  # and the state read
        if not logged or logged[0][0] != since + 1:
            log.info(
                "workshop %s: change log pruned past seq %d, rendering all", workshop_id, since
            )
            regions.update(ALL_REGIONS)
            people.add(EVERYONE)
            return
        for _, logged_regions, logged_people in logged:
            regions.update(logged_regions)
            people.update(logged_people)

    def _end(self, workshop_id: str) -> None:
        pending = self._pending.pop(workshop_id, None)
        if pending is not None:  # nothing left to render of it
            pending.regions.clear()
            pending.people.clear()
        self._seen.pop(workshop_id, None)
        self._walls.pop(workshop_id, None)
        self._offered.pop(workshop_id, None)
        self._snaps.pop(workshop_id, None)
        self._teams_sent.pop(workshop_id, None)
        self._team_walls.pop(workshop_id, None)
        wakeup = self._wakeups.pop(workshop_id, None)
        if wakeup is not None:
            wakeup.cancel()
        task = asyncio.ensure_future(self.ended(workshop_id))
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

    async def ended(self, workshop_id: str) -> None:
        """The workshop was deleted: every screen of it shows so, then its socket closes.
        (A phone's socket belongs to its role's audience too: one frame each.)"""
        for name in sorted(self.hub.audiences(workshop_id)):
            role, _, lang = name.partition("/")
            if role not in PARTIALS:  # a phone's own section: the phone audience has it
                continue
            if role == "team":
                lang = _team_of_audience(name)[2]
            text = self.templates.get_template("_ended.html").render(
                oob=True, **language_context(lang)
            )
            await self.hub.publish(workshop_id, name, Frame(0, text, final=True))

    async def _close_consoles(self, snap: Snapshot, wanted: set[str]) -> None:
        """Tell every open console why, then have it closed: it holds an old trainer link.
        The console that made the new link reloads with its new cookie."""
        for name in sorted(wanted):
            role, _, lang = name.partition("/")
            if role == "team" and _team_of_audience(name)[1] == TRAINER:
                lang = _team_of_audience(name)[2]  # the trainer in a team's wall, too
            elif role != "trainer":
                continue
            text = self.templates.get_template("_flash.html").render(
                message=translate(lang, "trainer_link_revoked"), kind="error", oob=True
            )
            frame = Frame(snap.workshop.seq, text, final=True)
            await self.hub.publish(snap.workshop.id, name, frame)

    def _wake_at(self, workshop_id: str, moment: float | None) -> None:
        """Re-render when a SpeedMeet round or the timer ends, though nobody acted."""
        previous = self._wakeups.pop(workshop_id, None)
        if previous is not None:
            previous.cancel()
        if moment is None:
            return
        delay = max(0.0, moment - time.time()) + 0.05
        self._wakeups[workshop_id] = asyncio.get_running_loop().call_later(
            delay, self.changed, workshop_id, ALL_REGIONS - {PRESENCE, WRITE}, {EVERYONE}
        )

    # -- rendering ------------------------------------------------------
    def context(
        self, snap: Snapshot, lang: str, role: str, participant_id: str | None = None
    ) -> dict[str, Any]:
        """What the templates of ``role`` (and this phone's own section) get: only the
        snapshot's cut for that audience."""
        return {
            **cut_context(snap.for_audience(role, participant_id)),
            "present": self.present(snap.workshop.id),
            "role": role,
            "card_max_length": self.card_max_length,
            **language_context(lang),
        }

    def render(
        self,
        snap: Snapshot,
        role: str,
        lang: str,
        regions: Iterable[str],
        seq: bool = True,
        delta: WallDelta | None = None,
        walls: team_frames.TeamsDelta | None = None,
    ) -> str:
        """These regions for ``role``; the wall as a card frame where ``delta`` serves,
        or a board's teams' walls as those that changed where ``walls`` does."""
        partials = PARTIALS.get(role, {})
        regions = set(regions)
        if role == "board" and walls is not None and not walls.changed:
            regions.discard(WALL)  # no team's wall changed as the room sees it
        if not partials.keys() & regions:
            return ""  # nothing of this audience's changed: no cut, no context
        context = self.context(snap, lang, role) | {"oob": True}
        cards = self.card_frame(context, role, delta) if delta is not None else None
        if role == "board" and walls is not None:
            template = self.templates.get_template("board/_team_walls_delta.html")
            cards = template.render(context | {"walls": walls})
        parts = [
            cards
            if region == WALL and cards is not None
            else self.templates.get_template(partials[region]).render(context)
            for region in sorted(regions)
            if region in partials
        ]
        if not parts:
            return ""
        if seq:  # a card frame with no card in it still tells the seq, as the wall did
            parts.append(self.templates.get_template("_seq.html").render(context))
        return "".join(parts)

    def _wall_delta(self, workshop_id: str, snap: Snapshot) -> WallDelta | None:
        """The card frame from the wall this workshop's screens were last sent to the
        wall now (None: send the whole wall), which is remembered as sent."""
        last = self._walls.pop(workshop_id, None)
        if not snap.kind.takes_cards or snap.in_teams:  # the teams' walls go out whole
            return None
        if last is None:
            self._walls[workshop_id] = fragments.Sent.of(snap.wall)
            return None
        found, self._walls[workshop_id] = fragments.delta_from(last, snap.wall)
        return found

    def _teams_delta(self, workshop_id: str, snap: Snapshot) -> team_frames.TeamsDelta | None:
        """The boards' frame of the teams' walls that changed since they were last sent
        (None: the whole wall), which are remembered as sent."""
        last = self._team_walls.pop(workshop_id, None)
        now = team_frames.sent(snap.for_audience("board")) if snap.in_teams else None
        if now is not None:
            self._team_walls[workshop_id] = now
        return team_frames.delta(last, now)

    def card_frame(self, context: dict[str, Any], role: str, delta: WallDelta) -> str | None:
        """The card frame for ``role`` from its cut of the snapshot (``context``), "" for
        no change, or None: this audience needs the whole wall.

        While a step's cards are hidden, a board's wall is the counter (and the cards
        shown one by one), always rendered whole: no card of it goes anywhere as a card
        frame. The console's gets the reveal's controls besides its cards."""
        cut: Snapshot = context["snap"]
        if role not in ("board", "trainer") or cut.split_view:
            return None
        if role == "board" and (delta.board_layout or not cut.wall.visible_to_room):
            return None
        if role == "trainer" and delta.current_changed:
            return None
        if delta.base == delta.version:
            return ""
        wanted = delta.card_ids
        cards = {card.id: card for card in cut.wall.cards if card.id in wanted}
        if len(cards) != len(wanted):
            return None  # never a card the cut does not hold
        template = self.templates.get_template("_wall_delta.html")
        return template.render(
            context | {"delta": delta, "cards": cards, "selectable": role == "trainer"}
        )

    def team_frame(
        self, snap: Snapshot, team_id: str, who: str, lang: str, regions: Iterable[str]
    ) -> Frame | None:
        """A group console's regions, from its team's cut alone (None: nothing of it
        changed). Its holder no longer holding it (handed over, moved, the teams formed
        anew) gets a last frame saying so, and its socket closes."""
        team = next((found for found in snap.teams if found.id == team_id), None)
        if team is None or (who != TRAINER and team.console_participant_id != who):
            text = self.templates.get_template("_flash.html").render(
                message=translate(lang, "team_console_gone"), kind="error", oob=True
            )
            return Frame(snap.workshop.seq, text, final=True)
        wanted = set(regions) & PARTIALS["team"].keys()
        if not wanted:
            return None
        context = self.team_context(snap, team, lang) | {"oob": True}
        names = sorted({PARTIALS["team"][region] for region in wanted})
        parts = [self.templates.get_template(name).render(context) for name in names]
        parts.append(self.templates.get_template("_seq.html").render(context))
        return Frame(snap.workshop.seq, "".join(parts))

    def team_context(self, snap: Snapshot, team: Team, lang: str) -> dict[str, Any]:
        return {
            **cut_context(snap.for_team_console(team.id)),
            "team": team,
            "running": snap.in_teams,
            "role": "team",
            "card_max_length": self.card_max_length,
            **language_context(lang),
        }

    async def team_full_frame(self, workshop_id: str, team_id: str, who: str, lang: str) -> Frame:
        """Everything a group console shows now (a new socket, a resync)."""
        seq = await self.db.read(lambda conn: repository.workshop_by_id(conn, workshop_id).seq)
        snap = await self._shared_snapshot(workshop_id, seq)
        frame = self.team_frame(snap, team_id, who, lang, ALL_REGIONS)
        return frame if frame is not None else Frame(snap.workshop.seq, "")

    def render_mine(self, snap: Snapshot, lang: str, participant_id: str, seq: bool = True) -> str:
        """The phone's own section (with the seq marker: it may be the last frame of a change)."""
        context = self.context(snap, lang, "phone", participant_id)
        context |= {"oob": True, "me": participant_id}
        text = self.templates.get_template("phone/_mine.html").render(context)
        if seq:
            text += self.templates.get_template("_seq.html").render(context)
        return text

    async def full_frame(
        self, workshop_id: str, role: str, lang: str, participant_id: str | None
    ) -> Frame:
        """Everything this audience sees now (a new socket that missed changes, a resync).

        The audience's part is rendered once per seq and shared for FULL_FRAME_SECONDS:
        a hundred sockets asking at one seq cost one render. Every write bumps the seq;
        presence does not, so it is rendered apart, fresh for each request.
        """
        if participant_id is None:
            # A deleted workshop is refused here as by snapshot.read.
            seq = await self.db.read(lambda conn: repository.workshop_by_id(conn, workshop_id).seq)
            frame = await self._shared_frame(workshop_id, role, lang, seq, None)
        else:  # the phone's own section needs the whole snapshot: one read per seq, shared
            seq = await self.db.read(lambda conn: repository.workshop_by_id(conn, workshop_id).seq)
            snap = await self._shared_snapshot(workshop_id, seq)
            frame = await self._shared_frame(workshop_id, role, lang, snap.workshop.seq, snap)
            frame = Frame(frame.seq, frame.text + self.render_mine(snap, lang, participant_id))
        # A room reconnecting at once reads the count of the other processes once.
        await self.presence.refresh(workshop_id, max_age=FULL_FRAME_SECONDS)
        return Frame(frame.seq, frame.text + self._presence(workshop_id, role, lang))

    async def _shared_frame(
        self, workshop_id: str, role: str, lang: str, seq: int, snap: Snapshot | None
    ) -> Frame:
        key = (workshop_id, role, lang, seq)
        now = time.monotonic()
        entry = self._full.get(key)
        if entry is None or not entry.fresh(now):
            self._forget_full_renders(now)
            task = asyncio.ensure_future(self._render_full(workshop_id, role, lang, snap))
            entry = self._full[key] = _FullRender(now + FULL_FRAME_SECONDS, task)
        # Shielded: a socket that goes away must not cancel the render others wait for.
        frame, _ = await asyncio.shield(entry.task)
        return frame

    async def _shared_snapshot(self, workshop_id: str, seq: int) -> Snapshot:
        """The whole snapshot at ``seq`` or newer, read once for every phone connecting
        within FULL_FRAME_SECONDS (a room of 10,000 reconnecting read it 10,000 times:
        on PostgreSQL, ten round trips each)."""
        now = time.monotonic()
        kept = self._snaps.get(workshop_id)
        if kept is not None:
            kept_seq, expires, task = kept
            usable = kept_seq >= seq and now < expires
            if usable and task.done():
                failed = task.cancelled() or task.exception() is not None
                upcoming = None if failed else task.result().next_change_at()
                usable = not failed and (upcoming is None or upcoming > time.time())
            if usable:
                return await asyncio.shield(task)
        task = asyncio.ensure_future(self.db.read(lambda conn: snapshot.read(conn, workshop_id)))
        self._snaps[workshop_id] = (seq, now + FULL_FRAME_SECONDS, task)
        return await asyncio.shield(task)

    async def _render_full(
        self, workshop_id: str, role: str, lang: str, snap: Snapshot | None
    ) -> tuple[Frame, float | None]:
        if snap is None:  # read after the seq: at least as new as the caller asked for
            snap = await self.db.read(lambda conn: snapshot.read(conn, workshop_id))
        # Without the seq marker for a phone: its own section (rendered after) carries it.
        text = self.render(snap, role, lang, ALL_REGIONS - {PRESENCE}, seq=role != "phone")
        if role == "board" and workshop_id not in self._team_walls:
            found = team_frames.sent(snap.for_audience("board"))
            if found is not None:  # what the next frame of the teams' walls is made from
                self._team_walls[workshop_id] = found
        if snap.kind.takes_cards and not snap.in_teams and workshop_id not in self._walls:
            # What the next card frame is made from; a screen with another wall asks
            # for a full render when it comes (static/js/live.js).
            self._walls[workshop_id] = fragments.Sent.of(snap.wall)
        return Frame(snap.workshop.seq, text), snap.next_change_at()

    def _forget_full_renders(self, now: float) -> None:
        for key in [k for k, e in self._full.items() if not e.fresh(now)]:
            del self._full[key]
        while len(self._full) >= FULL_FRAMES_KEPT:
            del self._full[next(iter(self._full))]

    def _presence(self, workshop_id: str, role: str, lang: str) -> str:
        template = PARTIALS.get(role, {}).get(PRESENCE)
        if template is None:
            return ""
        context = {"present": self.present(workshop_id), "oob": True, **language_context(lang)}
        return self.templates.get_template(template).render(context)
