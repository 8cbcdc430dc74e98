"""The application core: one write path from a command to the sockets.

command → domain (pure) → one SQLite transaction (the change, the sequence
number, a change-log row) → after the commit a change notice to every process
(board/live/notices.py) → each renders for its own sockets (board/live/render.py). Routes
and sockets call these methods and nothing else writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import jinja2

from board import (
    action_plan,
    agenda,
    cards,
    groups,
    kinds,
    pairs,
    protocol,
    snapshot,
    teams,
    topics,
    undo,
    votes,
)
from board.action_plan import ActionItem
from board.assets import shipped as shipped_assets
from board.card_lines import COLUMN_EMS, as_data
from board.cards import Card, Cluster
from board.changes import Deleted
from board.errors import Refused
from board.exercises import BUILTIN_DIR, Exercise, Library, load_library
from board.forms import Form
from board.i18n import decimal, number, text_in
from board.kinds import dots, flash
from board.kinds.scale import bar_colours
from board.known import Identities, Recent
from board.live import fragments, render, team_frames
from board.live.hub import Hub, create_hub
from board.live.notices import Notice, NoticeBus, create_notice_bus
from board.live.presence import Presence, create_presence
from board.pairs import Person
from board.ratelimit import Guard, JoinGuard, Limit, RateLimit
from board.ratelimit_redis import RedisJoinGuard, RedisRateLimit, shared_client
from board.settings import TEMPLATES_DIR, Settings, is_redis
from board.snapshot import Snapshot
from board.steps import MAX_QUESTION_LENGTH, Step, new_cards_step
from board.store import repository
from board.store.database import Connection, Database
from board.store.repository import Change
from board.suggestions import Suggester
from board.teams import Member, Team
from board.tokens import Tokens, load_or_create_key, participant_max_age
from board.topics import Topic
from board.votes import Vote
from board.workshops import (
    JOIN_DISPLAYS,
    MAX_NICKNAME_LENGTH,
    MAX_TITLE_LENGTH,
    Participant,
    Workshop,
    clean_nickname,
    clean_title,
    new_id,
    new_join_code,
    new_trainer_secret,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

Command = Callable[[Snapshot], Sequence[Change]]


@dataclass(frozen=True)
class Outcome:
    seq: int
    changes: Sequence[Change]
    # A participant's write: their snapshot as it left it, where that is plain (see
    # snapshot.after), for the answer to their phone.
    after: Snapshot | None = field(default=None, compare=False)


# What a participant's group changes: the split results and the console's list.
GROUP_REGIONS = frozenset({render.WALL, render.GROUPS})

# Participants' views kept for their answers, at most (see Service.own_view).
MAX_KEPT_VIEWS = 10_000

# A write's outcome, the screen regions it changed, and whose own phone view.
_Written = tuple[Outcome, set[str], set[str]]


# The domain's limits, for templates' maxlength/min/max: one source, never retyped.
LIMITS = {
    "title": MAX_TITLE_LENGTH,
    "nickname": MAX_NICKNAME_LENGTH,
    "question": MAX_QUESTION_LENGTH,
    "heading": cards.MAX_HEADING_LENGTH,
    "meaning": cards.MAX_MEANING_LENGTH,
    "what": action_plan.MAX_WHAT,
    "who": action_plan.MAX_WHO,
    "due": action_plan.MAX_DUE,
    "with_whom": action_plan.MAX_WITH,
    "topic": topics.MAX_TITLE_LENGTH,
    "word": votes.MAX_WORD_LENGTH,
    "statement": flash.MAX_STATEMENT_LENGTH,
    "budget": votes.MAX_BUDGET,
    "timer_minutes": agenda.MAX_TIMER_SECONDS // 60,
    "round_minutes": pairs.MAX_ROUND_MINUTES,
    "changeover_seconds": pairs.MAX_CHANGEOVER_SECONDS,
    "group_name": groups.MAX_GROUP_NAME,
    "groups": groups.MAX_GROUPS,
    "teams": teams.MAX_TEAMS,
    "team_name": teams.MAX_TEAM_NAME,
    "team_size": teams.MAX_TEAM_SIZE,
}


def make_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        # A kind's templates from its own folder (board.kinds), the rest from ours.
        loader=jinja2.ChoiceLoader([kinds.KindTemplates(), jinja2.FileSystemLoader(TEMPLATES_DIR)]),
        auto_reload=False,  # no stat() per include on every render
        autoescape=True,  # card texts are untrusted HTML: escaped everywhere
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["decimal"] = decimal
    env.filters["number"] = number
    env.filters["text_in"] = text_in
    env.globals["limits"] = LIMITS
    env.globals["asset"] = shipped_assets().url  # /static/… under its content hash
    env.globals["card_colours"] = cards.COLOURS
    env.globals["bar_colours"] = bar_colours  # every bar chart's neutral palette
    env.globals["card_meanings"] = cards.meanings  # a step's colours and what they mean
    env.globals["card_lines"] = as_data()  # the three-line rule's measure, for drafts.js
    env.globals["card_column"] = COLUMN_EMS  # fit.js's narrowest card column (em)
    env.globals["join_displays"] = JOIN_DISPLAYS
    env.globals["wall_version"] = fragments.version  # what a card frame applies to
    # and a frame of the teams' walls (board/live/team_frames.py)
    env.globals["team_walls_version"] = lambda cut: team_frames.version(team_frames.states(cut))
    env.globals["action_statuses"] = action_plan.STATUSES
    env.globals["top_default"] = topics.TOP_DEFAULT
    env.globals["team_label"] = teams.label  # "Gruppe 1" or its topic
    env.globals["dot_list"] = dots.PhoneRows(env)  # a phone's dot list, its rows kept
    env.filters["kind_label"] = lambda kind, lang: kinds.of(kind).label(lang)
    return env


class Service:
    def __init__(
        self,
        settings: Settings,
        hub: Hub | None = None,
        notices: NoticeBus | None = None,
        presence: Presence | None = None,
    ) -> None:
        """The service of one process; ``notices`` and ``presence`` are shared with the
        other processes of the same data folder (in memory by default: this one only)."""
        self.settings = settings
        self.db = Database(settings.database_url or settings.db_path)
        self.tokens = Tokens(
            load_or_create_key(settings.data_dir, settings.secret_key),
            participant_max_age(settings.retention_days),
        )
        self.hub = hub or create_hub()
        self.templates = make_templates()
        self.live = render.Live(
            self.db,
            self.hub,
            self.templates,
            settings.tick_ms / 1000,
            settings.card_max_length,
            notices or create_notice_bus(settings.hub_url),
            presence or create_presence(settings.hub_url, settings.presence_seconds),
            settings.change_poll_seconds,
        )
        limits = {
            "cards": RateLimit(settings.cards_per_minute),
            "requests": RateLimit(settings.requests_per_minute),
            # Expensive anonymous requests, per address.
            "resyncs": RateLimit(settings.resyncs_per_minute),
            "workshops": RateLimit.per_hour(settings.workshops_per_hour),
            "imports": RateLimit.per_hour(settings.imports_per_hour),
        }
        self._limits_client = (
            shared_client(settings.hub_url) if is_redis(settings.hub_url) else None
        )
        shared: dict[str, Limit] = dict(limits)
        if self._limits_client is not None:
            client = self._limits_client
            shared = {name: RedisRateLimit(client, name, rule) for name, rule in limits.items()}
        self.card_limit: Limit = shared["cards"]
        self.request_limit: Limit = shared["requests"]
        self.resync_limit: Limit = shared["resyncs"]
        self.workshop_limit: Limit = shared["workshops"]
        self.import_limit: Limit = shared["imports"]
        self.join_guard: Guard = (
            JoinGuard(free=settings.join_failures_free)
            if self._limits_client is None
            else RedisJoinGuard(self._limits_client, settings.join_failures_free)
        )
        self.identities = Identities()
        self.recent = Recent()
        self._stop_listening: Callable[[], None] | None = None
        # Each participant's view as their latest write left it, until their answer.
        self._views: dict[tuple[str, str], Outcome] = {}
        # The active step's wall as the latest write here left it, with its seq, by
        # workshop: the next write's rule decides on it unread while the seq is still
        # that (snapshot.read's ``known``).
        self._walls: dict[str, tuple[int, cards.Wall]] = {}
        # The console's Ähnliche Karten, kept per step (board.suggestions).
        self.suggestions = Suggester()
        self.library: Library = load_library(BUILTIN_DIR, settings.exercises_dir)
        for error in self.library.errors:
            log.error("exercise skipped: %s", error)

    async def close_shared(self) -> None:
        """At shutdown, on the event loop that served: let go of Redis (notices, who is
        connected, the shared limits)."""
        await self.live.notices.close()
        await self.live.presence.close()
        if self._limits_client is not None:
            await self._limits_client.aclose()
            self._limits_client = None

    def close(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
        self.live.close()
        self.db.close()

    async def _write(self, fn: Callable[[Connection], T]) -> T:
        with _refused_when_not_saved(self.db):
            return await self.db.write(fn)

    def _write_now(self, fn: Callable[[Connection], T]) -> T:
        """Blocking variant of :meth:`_write`, for the command line."""
        with _refused_when_not_saved(self.db):
            return self.db.write_now(fn)

    # -- workshops and people ---------------------------------------------
    def exercises(self, keys: Sequence[str]) -> list[Exercise]:
        found = []
        for key in keys:
            exercise = self.library.get(key)
            if exercise is None:
                raise Refused("exercise_unknown", 422, name=key)
            found.append(exercise)
        return found

    async def create_workshop(
        self,
        title: str,
        question: str = "",
        exercise_keys: Sequence[str] = (),
        group_names: str = "",
    ) -> Workshop:
        """A workshop with the chosen exercises, or one open Kartenabfrage without any;
        with participant groups, one per line of ``group_names``."""
        title = clean_title(title)
        defined = groups.define((), groups.parse_names(group_names))
        chosen = self.exercises(exercise_keys)
        agenda.check_size(chosen)

        def create(conn: Connection) -> Workshop:
            code = new_join_code()
            while repository.code_taken(conn, code):
                code = new_join_code()
            workshop_id = new_id()
            steps: list[Step] = []
            for exercise in chosen:
                steps += agenda.steps_from(exercise, workshop_id, len(steps), new_id)
            if not steps:
                steps = [new_cards_step(new_id(), workshop_id, 0, question)]
            workshop = Workshop(
                workshop_id,
                code,
                title,
                new_trainer_secret(),
                steps[0].id,
                0,
                time.time(),
                groups=defined,
                group_minimum=self.settings.group_minimum,
            )
            repository.insert_workshop(conn, workshop, steps)
            return workshop

        return await self._write(create)

    async def workshop(self, code: str) -> Workshop:
        return await self.db.read(lambda conn: repository.workshop_by_code(conn, code))

    async def known_workshop(self, code: str) -> Workshop:
        """The workshop of ``code`` as this process read it a moment ago (board.known): for
        who it is (its id, code and trainer link), never for its state."""
        self._listen()
        found = self.identities.workshop(code)
        if found is None:
            found = await self.workshop(code)
            self.identities.remember_workshop(found)
        return found

    async def known_participant(self, participant_id: str) -> Participant | None:
        """The participant as this process read them a moment ago (board.known)."""
        found = self.identities.participant(participant_id)
        if found is None:
            found = await self.participant(participant_id)
            if found is not None:
                self.identities.remember_participant(found)
        return found

    def _listen(self) -> None:
        """Hear every process's notices: the end of a workshop or of its trainer link
        forgets what was known of it, and their writes tell whether an answer is the
        newest (once is enough; on the running event loop)."""
        if self._stop_listening is None:
            self._stop_listening = self.live.notices.listen(self._heard)

    def _heard(self, notice: Notice) -> None:
        if render.ENDED in notice.regions or render.TRAINER_LINK in notice.regions:
            self.identities.forget_workshop(notice.workshop_id)
        if render.ENDED in notice.regions:
            self.recent.forget(notice.workshop_id)
            self._walls.pop(notice.workshop_id, None)
        elif notice.seq is not None:
            self.recent.wrote(notice.workshop_id, notice.seq, notice.people)

    def workshop_now(self, code: str) -> Workshop:
        """Blocking variant of :meth:`workshop`, for the command line."""
        return self.db.read_now(lambda conn: repository.workshop_by_code(conn, code))

    async def join(self, workshop: Workshop, nickname: str = "") -> Participant:
        """A new participant; while the room works in teams, placed in the smallest."""
        participant = Participant(new_id(), workshop.id, clean_nickname(nickname), time.time())

        def run(conn: Connection) -> int | None:
            repository.insert_participant(conn, participant)
            if not repository.teams(conn, workshop.id):
                return None  # the usual case: nothing more to read or lock
            repository.lock_workshop(conn, workshop.id)
            formed = repository.teams(conn, workshop.id)
            members = repository.members(conn, workshop.id)
            placed = teams.place_late_joiner(participant.id, formed, members)
            if not placed:
                return None
            seq = repository.apply(conn, workshop.id, placed)
            regions = {render.TEAMS}
            repository.log_change(conn, workshop.id, seq, regions, [participant.id], time.time())
            self.recent.wrote(workshop.id, seq, (participant.id,))
            return seq

        seq = await self._write(run)
        regions = {render.PRESENCE} if seq is None else {render.PRESENCE, render.TEAMS}
        people = frozenset() if seq is None else frozenset({participant.id})
        self.live.announce(Notice(workshop.id, seq, frozenset(regions), people))
        return participant

    async def participant(self, participant_id: str) -> Participant | None:
        return await self.db.read(lambda conn: repository.participant(conn, participant_id))

    async def set_nickname(self, participant: Participant, nickname: str) -> None:
        renamed = replace(participant, nickname=clean_nickname(nickname))
        await self._write(lambda conn: repository.rename_participant(conn, renamed))
        self.identities.forget_participant(participant.id)

    async def choose_group(self, workshop: Workshop, participant_id: str, group_id: str) -> None:
        """Put a participant in one of the workshop's groups (or none): their own
        choice, or the trainer's. The split results and the console follow."""

        def run(conn: Connection) -> int | None:
            current = repository.lock_workshop(conn, workshop.id)
            person = repository.participant(conn, participant_id)
            if person is None or person.workshop_id != workshop.id:
                raise Refused("participant_unknown", 404)
            chosen = groups.choose(person, current.groups, group_id)
            if chosen == person:
                return None
            repository.set_participant_group(conn, chosen)
            seq = repository.bump_seq(conn, workshop.id)
            repository.log_change(conn, workshop.id, seq, GROUP_REGIONS, [], time.time())
            self.recent.wrote(workshop.id, seq, ())
            return seq

        seq = await self._write(run)
        self.identities.forget_participant(participant_id)
        if seq is not None:
            self.live.announce(Notice(workshop.id, seq, GROUP_REGIONS))

    async def choose_team(self, workshop: Workshop, participant_id: str, team_id: str) -> Outcome:
        """A participant picks a team while the room chooses (board.teams.choose)."""

        def command(snap: Snapshot) -> list[Change]:
            return [*teams.choose(participant_id, team_id, snap.teams, snap.members)]

        return await self.execute(workshop, command, participant_id)

    async def volunteer(self, workshop: Workshop, participant_id: str) -> Outcome:
        """A member takes their team's free group console (board.teams.volunteer)."""

        def command(snap: Snapshot) -> list[Change]:
            team = snap.team_of_person(participant_id)
            if team is None:
                raise Refused("team_none", 409)
            return [*teams.volunteer(participant_id, team.id, snap.teams, snap.members)]

        return await self.execute(workshop, command, participant_id)

    async def snapshot(self, workshop_id: str, participant_id: str | None = None) -> Snapshot:
        """The active step; with a participant, only their own votes (see snapshot.read)."""
        return await self.db.read(lambda conn: snapshot.read(conn, workshop_id, participant_id))

    async def own_view(self, workshop_id: str, participant_id: str) -> Snapshot:
        """A participant's snapshot for the answer to their write: as their latest write
        left it while no write since changed their view (board.known.Recent), else read."""
        kept = self._views.pop((workshop_id, participant_id), None)
        if kept is not None and kept.after is not None:
            if self.recent.untouched(workshop_id, kept.seq, participant_id):
                return kept.after
        return await self.snapshot(workshop_id, participant_id)

    # -- the protocol ------------------------------------------------------------
    async def export(self, workshop: Workshop, names: bool = False) -> dict[str, Any]:
        return await self.db.read(lambda conn: protocol.export_record(conn, workshop.id, names))

    def export_now(self, workshop: Workshop, names: bool = False) -> dict[str, Any]:
        """Blocking variant of :meth:`export`, for the command line."""
        return self.db.read_now(lambda conn: protocol.export_record(conn, workshop.id, names))

    async def import_protocol(self, record: Any) -> Workshop:
        """A new workshop (new code, new trainer link) from a JSON protocol, all or nothing."""
        # Checked off the writer thread: a large file must not hold up every room's writes.
        restored = await asyncio.to_thread(self._prepared, record)
        return await self._write(lambda conn: _store_imported(conn, restored, self.db.conflict))

    def import_protocol_now(self, record: Any) -> Workshop:
        """Blocking variant of :meth:`import_protocol`, for the command line."""
        restored = self._prepared(record)
        return self._write_now(lambda conn: _store_imported(conn, restored, self.db.conflict))

    def _prepared(self, record: Any) -> protocol.Restored:
        try:
            return protocol.prepare(record, self.settings.card_max_length)
        except protocol.ProtocolError as error:
            raise Refused("import_invalid", 422, problem=str(error)) from None

    async def delete_workshop(self, workshop: Workshop) -> None:
        """Delete the workshop and everything in it, for good."""
        await self._write(lambda conn: repository.delete_workshop(conn, workshop.id))
        self._forget(workshop.id)

    def _forget(self, workshop_id: str) -> None:
        """A workshop deleted: forget what is known of it, and have every open screen, in
        every process, say so at once and close for good."""
        self.identities.forget_workshop(workshop_id)
        self.recent.forget(workshop_id)
        self._walls.pop(workshop_id, None)
        self.live.announce(Notice(workshop_id, None, frozenset({render.ENDED})))

    async def delete_older_than(self, days: int) -> int:
        """The retention rule: delete workshops created more than ``days`` days ago."""
        cutoff = time.time() - days * 86400
        deleted = await self._write(lambda conn: repository.delete_workshops_before(conn, cutoff))
        for workshop_id in deleted:  # as when its trainer deletes it: every screen ends
            self._forget(workshop_id)
        return len(deleted)

    # -- the one write path -------------------------------------------------
    async def execute(
        self,
        workshop: Workshop,
        command: Command,
        participant_id: str | None = None,
        undo_as: str | None = None,
        roster: bool = False,
    ) -> Outcome:
        """Run ``command`` on the workshop as it is now, store, and publish what changed.

        A participant's command sees only their own votes (all it may decide on). A
        trainer's undoable action names itself in ``undo_as`` (a key of undo.LABELS):
        what it changed on the wall goes into the step's undo history, in the same
        transaction. ``roster``: the command decides on everyone who joined (forming
        teams).
        """

        known = self._walls.get(workshop.id)
        outcome = await self._commit(
            workshop,
            lambda conn: _run(conn, workshop, command, participant_id, undo_as, known, roster),
        )
        self._keep_view(workshop, participant_id, outcome)
        return outcome

    def _keep_view(self, workshop: Workshop, participant_id: str | None, outcome: Outcome) -> None:
        """Keep what a participant's write left for their answer (see own_view)."""
        if participant_id is None:
            return
        # A kept view answers only the write that left it: an older one must not answer a
        # later write of the same person that left none (Recent does not name the actor).
        self._views.pop((workshop.id, participant_id), None)
        if outcome.after is None:
            return
        if len(self._views) >= MAX_KEPT_VIEWS:  # answers nobody asked for (a test, a socket)
            self._views.clear()
        self._views[(workshop.id, participant_id)] = outcome

    def _keep_wall(self, workshop_id: str, outcome: Outcome) -> None:
        """Keep the wall a committed write left, for the next write (see _walls)."""
        if outcome.after is None:
            return
        kept = self._walls.get(workshop_id)
        if kept is not None and kept[0] > outcome.seq:
            return  # a later write's is kept already
        if len(self._walls) >= MAX_KEPT_VIEWS and workshop_id not in self._walls:
            self._walls.clear()
        self._walls[workshop_id] = (outcome.seq, outcome.after.wall)

    async def undo(self, workshop: Workshop) -> undo.Reverted:
        """Take back the trainer's latest undoable action on the active step, on every
        screen at once; refused when there is none. A card a participant changed or
        deleted since keeps their newer state (``kept`` counts those cards)."""
        reverted: list[undo.Reverted] = []

        def run(conn: Connection) -> _Written:
            locked = repository.lock_workshop(conn, workshop.id)
            snap = snapshot.read(conn, workshop.id, locked=locked)
            entry = repository.last_undo(conn, snap.step.id)
            if entry is None:
                raise Refused("nothing_to_undo", 409)
            reverted.append(undo.revert(snap.wall, entry.images))
            repository.drop_undo(conn, entry.id)
            changes = reverted[0].changes
            # The history changed even when nothing else could: the button must follow.
            if changes:
                seq = repository.apply(conn, workshop.id, changes)
            else:
                seq = repository.bump_seq(conn, workshop.id)
            regions, people = _affected(snap, changes)
            regions.add(render.UNDO)
            repository.log_change(conn, workshop.id, seq, regions, people, time.time())
            self.recent.wrote(workshop.id, seq, people)
            return Outcome(seq, changes), regions, people

        outcome, regions, people = await self._write(run)
        self.live.announce(Notice(workshop.id, outcome.seq, frozenset(regions), frozenset(people)))
        return reverted[0]

    async def _commit(self, workshop: Workshop, run: Callable[[Connection], _Written]) -> Outcome:
        def recorded(conn: Connection) -> _Written:
            written = run(conn)
            # On the writer, in commit order: before any caller hears of its result.
            if written[0].changes:
                self.recent.wrote(workshop.id, written[0].seq, written[2])
            return written

        outcome, regions, people = await self._write(recorded)
        self._keep_wall(workshop.id, outcome)
        if outcome.changes:
            if outcome.after is not None and outcome.after.whole:
                self.live.offer(outcome.after)  # before the notice: its render takes it
            notice = Notice(workshop.id, outcome.seq, frozenset(regions), frozenset(people))
            self.live.announce(notice)
        return outcome

    async def execute_on_cards(
        self, workshop: Workshop, command: Callable[[cards.Wall], Sequence[Change]]
    ) -> Outcome:
        """A command on the active step's cards and clusters."""
        return await self.execute(workshop, lambda snap: command(snap.wall))

    async def on_cards(
        self,
        workshop: Workshop,
        command: Callable[[cards.Wall], Sequence[Change]],
        participant_id: str | None = None,
    ) -> Outcome:
        """A participant's command on the cards of the active step, if it takes cards
        (with their id: their phone's answer shows what it changed, see _run)."""
        return await self.execute(
            workshop, lambda snap: command(_card_wall(snap, participant_id)), participant_id
        )

    async def edit_card(
        self, workshop: Workshop, participant_id: str, card_id: str, text: str, colour: str
    ) -> Outcome:
        limit = self.settings.card_max_length
        return await self.on_cards(
            workshop,
            lambda wall: cards.edit_own_card(wall, participant_id, card_id, text, colour, limit),
            participant_id,
        )

    async def delete_card(self, workshop: Workshop, participant_id: str, card_id: str) -> Outcome:
        return await self.on_cards(
            workshop,
            lambda wall: cards.delete_own_card(wall, participant_id, card_id),
            participant_id,
        )

    async def step_input(
        self, workshop: Workshop, participant_id: str, name: str, form: Form
    ) -> Outcome:
        """A participant's input to the active step (a vote, a proposal, joining a
        SpeedMeet): read and checked by the step's kind, in the writer, on the step as it
        is then (no read before: ``workshop`` may be as known a moment ago)."""

        def command(snap: Snapshot) -> Sequence[Change]:
            if not snap.in_teams:
                return kinds.participant_command(snap.step, name, form, participant_id)(snap)
            # On a step run in teams: decided on the voter's team's part, and counted there.
            team = snap.team_of_person(participant_id)
            if team is None:
                raise Refused("team_none", 409)
            decided = on_team_wall(
                team.id,
                lambda part: kinds.participant_command(part.step, name, form, participant_id)(part),
            )(snap)
            return [
                replace(change, team_id=team.id) if isinstance(change, Vote) else change
                for change in decided
            ]

        return await self.execute(workshop, command, participant_id)

    async def propose_topic(self, workshop: Workshop, participant_id: str, title: str) -> Outcome:
        """A participant's proposal for the Themenspeicher (while the trainer allows it)."""

        def command(snap: Snapshot) -> list[Change]:
            return [
                *topics.propose(
                    snap.topics, snap.workshop, participant_id, title, new_id(), time.time()
                )
            ]

        return await self.execute(workshop, command, participant_id)

    async def add_card(
        self,
        workshop: Workshop,
        participant_id: str | None,
        client_id: str | None,
        text: str,
        colour: str,
    ) -> Card:
        added: list[Card] = []

        def command(wall: cards.Wall) -> list[Change]:
            card, changes = cards.add_card(
                wall,
                card_id=new_id(),
                participant_id=participant_id,
                client_id=client_id,
                text=text,
                colour=colour,
                now=time.time(),
                max_length=self.settings.card_max_length,
            )
            added.append(card)
            return list(changes)

        def on_cards(snap: Snapshot) -> list[Change]:
            return command(_card_wall(snap, participant_id))

        known = self._walls.get(workshop.id)

        def run(conn: Connection) -> _Written:
            # A resent draft (its acknowledgement was lost) is the card it became, on
            # whatever step that was: looked up before the active step's rules apply.
            locked = repository.lock_workshop(conn, workshop.id)
            if participant_id is not None and client_id is not None:
                earlier = repository.card_of_draft(conn, participant_id, client_id)
                if earlier is not None:
                    added.append(earlier)
                    return Outcome(locked.seq, []), set(), set()
            return _run(conn, workshop, on_cards, participant_id, None, known, locked=locked)

        self._keep_view(workshop, participant_id, await self._commit(workshop, run))
        return added[0]


def _card_wall(snap: Snapshot, participant_id: str | None) -> cards.Wall:
    """The wall a participant writes on (None: the trainer's own cards): the active
    step's, or on a step run in teams their team's (what they add is their team's)."""
    if not snap.kind.takes_cards:
        raise Refused("step_not_cards", 409)
    if not snap.in_teams:
        return snap.wall
    team = snap.team_of_person(participant_id) if participant_id is not None else None
    if team is None:  # someone in no team yet, or the trainer's own card (no team's)
        raise Refused("team_none" if participant_id else "team_wall_only", 409)
    return snap.of_team(team.id).wall


def on_team_wall(team_id: str, decide: kinds.Decide) -> kinds.Decide:
    """A command on one team's part of a step run in teams (a group console's, the
    trainer's in a team's wall, a member's vote): decided on that part alone, so nothing
    of another team can be reached; it may change cards, clusters and votes, never the
    step (whose team view is not the step)."""

    def command(snap: Snapshot) -> Sequence[Change]:
        if not snap.in_teams:
            raise Refused("team_step_not_running", 409)
        if team_id not in {team.id for team in snap.teams}:
            raise Refused("team_not_found", 404)
        changes = decide(snap.of_team(team_id))
        if any(isinstance(change, Step) for change in changes):
            raise Refused("team_wall_only", 409)
        return changes

    return command


@contextlib.contextmanager
def _refused_when_not_saved(db: Database) -> Iterator[None]:
    """The store's refusals as the user's: try again later, or a definitive no."""
    try:
        yield
    except db.unavailable as error:  # disk full, read-only file, locked, database gone
        log.error("could not save: %s", error)
        raise Refused("could_not_save", 503) from error
    except db.conflict as error:  # a rule of the schema the domain did not foresee
        # Trying again cannot help: a definitive answer, never a 500.
        log.error("could not save, constraint failed: %s", error)
        raise Refused("save_conflict", 409) from error


def _store_imported(
    conn: Connection, restored: protocol.Restored, conflict: tuple[type[Exception], ...]
) -> Workshop:
    refused: tuple[type[Exception], ...] = (*conflict, UnicodeError)
    try:
        return protocol.store(conn, restored)
    except refused as error:  # still all or nothing
        raise Refused("import_invalid", 422, problem=protocol.store_problem(error)) from None


def _run(
    conn: Connection,
    workshop: Workshop,
    command: Command,
    participant_id: str | None,
    undo_as: str | None = None,
    known: tuple[int, cards.Wall] | None = None,
    roster: bool = False,
    locked: Workshop | None = None,
) -> _Written:
    """Inside the write transaction: decide on the snapshot, store, say who must hear it
    (``locked``: the workshop as the transaction already took it)."""
    if locked is None:
        locked = repository.lock_workshop(conn, workshop.id)
    snap = snapshot.read(conn, workshop.id, participant_id, known, roster, locked)
    changes = list(command(snap))
    seq = repository.apply(conn, workshop.id, changes)
    regions, people = _affected(snap, changes)
    undoable = snap.undoable
    if undo_as is not None and changes:
        images = undo.record(snap.wall, changes)
        if images:
            undoable = undo_as
            now = time.time()
            step_id = snap.step.id
            repository.push_undo(conn, workshop.id, step_id, undo_as, images, now, undo.UNDO_DEPTH)
            regions.add(render.UNDO)
    # The acting phone gets its own view in the HTTP answer: no second render.
    people.discard(participant_id or "")
    if changes:  # what a process that missed the notice reads to catch up
        repository.log_change(conn, workshop.id, seq, regions, people, time.time())
    # The acting phone's answer is rendered from what it left (Service.own_view), and
    # the screens' frames too where it read the whole snapshot (Live.offer).
    after = None
    if participant_id is not None or (changes and snap.whole):
        after = snapshot.after(snap, changes, seq)
    if after is not None and after.undoable != undoable:
        after = replace(after, undoable=undoable)  # the step's undo history: the button
    return Outcome(seq, changes, after), regions, people


def _may_end_opening(snap: Snapshot, changes: Sequence[Change]) -> bool:
    """Whether the join slide the board shows by itself on an empty first step may come or
    go: the first answer ends it, a deletion may empty the step again."""
    if snap.workshop.join_display is not None or not snap.first_step:
        return False
    answers = [c for c in changes if not isinstance(c, Workshop | Step)]
    return bool(answers) and (snap.opening or any(isinstance(c, Deleted) for c in answers))


def _affected(snap: Snapshot, changes: Sequence[Change]) -> tuple[set[str], set[str]]:
    """Which regions of the screens changed, and whose own phone view."""
    regions: set[str] = set()
    people: set[str] = set()
    # Whose row a deletion took: only asked when something was deleted (a wall of 300
    # cards is not gone through for every new card).
    owners: dict[str, str | None] = {}
    if any(isinstance(change, Deleted) for change in changes):
        owners = {card.id: card.participant_id for card in snap.wall.cards}
        owners |= {vote.id: vote.participant_id for vote in snap.votes}
        owners |= {item.id: item.participant_id for item in snap.actions}
        owners |= {topic.id: topic.participant_id for topic in snap.topics}
    # Dots on the topics: a change of the Themenspeicher changes the step's options.
    on_topics = dots.on_topics(snap.step.config)
    if _may_end_opening(snap, changes):
        regions.add(render.JOIN)
    for change in changes:
        if isinstance(change, Workshop):
            if change.active_step_id != snap.workshop.active_step_id:
                regions |= render.ALL_REGIONS
                people.add(render.EVERYONE)
            if (change.timer_ends_at, change.gong) != (
                snap.workshop.timer_ends_at,
                snap.workshop.gong,
            ):
                regions.add(render.TIMER)
            if change.title != snap.workshop.title:
                regions |= {render.STEP, render.AGENDA}
            if change.trainer_secret != snap.workshop.trainer_secret:
                regions.add(render.TRAINER_LINK)
            if change.join_display != snap.workshop.join_display:
                regions.add(render.JOIN)
            if change.groups != snap.workshop.groups:
                regions |= {render.STEP, *GROUP_REGIONS}
            if change.topics_shown != snap.workshop.topics_shown:
                regions.add(render.TOPICS)
            if change.topic_proposals != snap.workshop.topic_proposals:
                regions.add(render.TOPICS)
                people.add(render.EVERYONE)  # every phone's proposal form comes or goes
        elif isinstance(change, Step):
            # A reveal may show topics parked from the step's hidden cards.
            regions |= {render.STEP, render.WALL, render.AGENDA, render.TOPICS}
            if change.config.get("colours") != snap.step.config.get("colours"):
                regions.add(render.WRITE)  # the console's own card form offers them
            if change.id == snap.step.id:
                people.add(render.EVERYONE)
        elif isinstance(change, Topic):
            regions.add(render.TOPICS)
            people.add(change.participant_id or "")
            if on_topics:
                regions.add(render.WALL)
                people.add(render.EVERYONE)
        elif isinstance(change, Card | Vote | ActionItem | Person):
            regions.add(render.WALL)
            people.add(change.participant_id or "")
            if isinstance(change, ActionItem) and change.topic_id:
                regions.add(render.TOPICS)  # the console marks topics now in a plan
        elif isinstance(change, Cluster):
            regions.add(render.WALL)
        elif isinstance(change, Team):
            regions.add(render.TEAMS)  # its name, colour or places: on every phone
            people.add(render.EVERYONE)
        elif isinstance(change, Member):
            regions.add(render.TEAMS)
            people.add(change.participant_id)
        elif isinstance(change, Deleted):
            if change.kind is Team:
                regions.add(render.TEAMS)
                people.add(render.EVERYONE)
            elif change.kind is Member:
                regions.add(render.TEAMS)
                people.add(change.id)  # Deleted(Member, participant_id)
            elif change.kind is Step:
                regions.add(render.AGENDA)
            elif change.kind is Topic:
                regions.add(render.TOPICS)
                people.add(owners.get(change.id) or "")
                if on_topics:
                    regions.add(render.WALL)
                    people.add(render.EVERYONE)
            else:
                regions.add(render.WALL)
                people.add(owners.get(change.id) or "")
    if render.TEAMS in regions and snap.kind.teamable:
        regions.add(render.WALL)  # the console offers group work once teams are formed
    for flipped in _edit_lock_flips(snap, changes):
        if flipped is None:  # every phone's cards turn read-only or back
            people.add(render.EVERYONE)
            regions.add(render.STEP)  # and the console's lock setting says so
        else:  # a team's wall: its members' cards
            people.update(teams.members_of(flipped, snap.members))
    return regions, {p for p in people if p}


def _edit_lock_flips(snap: Snapshot, changes: Sequence[Change]) -> set[str | None]:
    """Whose cards the first cluster made (or the last removed) on an open wall locks (or
    unlocks, cards.edit_lock): None for the step's wall, else a team's id (on a step run
    in teams each team's wall locks its own cards)."""
    made = {c.id for c in changes if isinstance(c, Cluster)}
    gone = {c.id for c in changes if isinstance(c, Deleted) and c.kind is Cluster}
    if not made and not gone:
        return set()
    if not snap.in_teams:
        clusters = ({c.id for c in snap.wall.clusters} | made) - gone
        flips = snap.wall.edits_lock != cards.edit_lock(snap.step, sorting=bool(clusters))
        return {None} if flips else set()
    team_of = {c.id: c.team_id for c in snap.wall.clusters}
    team_of |= {c.id: c.team_id for c in changes if isinstance(c, Cluster)}
    flipped: set[str | None] = set()
    for team_id in {team_of.get(cluster_id) for cluster_id in made | gone}:
        wall = snap.of_team(team_id).wall
        ids = {c.id for c in wall.clusters} | {i for i in made if team_of[i] == team_id}
        if team_id is not None and wall.edits_lock != cards.edit_lock(
            wall.step, sorting=bool(ids - gone)
        ):
            flipped.add(team_id)
    return flipped
