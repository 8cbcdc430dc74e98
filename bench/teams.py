"""Group work benchmark: ten teams write cards at once, the projector shows every wall,
each group console clusters; how long until a card shows, beside a bare broadcast floor.

    python bench/teams.py                     # 10 teams of 20 phones, 10 cards/s for 60 s
    python bench/teams.py --hidden            # the step hidden: each team reveals its wall first
    python bench/teams.py --seconds 20 --profile /tmp/teams.raw   # py-spy the server meanwhile

The script starts ``python -m board serve`` on 127.0.0.1 (a fresh data folder, the rate
limits at their highest, as ``bench/fanout.py``), creates a workshop whose first step is
a Kartenabfrage, joins the phones and forms the teams (``/t/teams-form``, by count, at
random), starts the group work (``/t/teams-run``) and gives each team its own question.
Every phone reads its team from its page; the first member of each team takes the
team's group console (``POST /w/{code}/team-console``). Then, from separate processes:

- the projector: one ``role=board`` socket (every team's wall side by side);
- the group consoles: one ``role=team&team=…&as=member`` socket per team, held by its
  member, which clusters what arrives: about ``--actions`` times a second it puts the
  oldest unsorted card of its wall into a new cluster (``cluster-new`` with the card)
  or into one of its clusters (``card-move``), as its wall is seen on its socket;
- the phones: every phone's ``role=phone`` socket, open as a real phone keeps it;
- the sender: ``--rate`` cards/s from randomly chosen phones (``POST /w/{code}/cards``,
  open loop), each text with a marker ``tb-N``.

Latency is *POST sent → first frame that shows the card's text*: on the projector, and
on the group console of the writer's team. All processes stamp ``time.time()`` (one
clock). Then ``bench/floor_server.py`` (plain ``websockets``, compression off) gets as
many receivers — a projector, one console per team, the phones by team — and sends
frames of the sizes and at the moments ours got them (the projector's, each console's,
and the first phone's of each team to all that team's phones); the floor's latency is
its send → arrival of the frame that stands for the one that first showed each card.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
from fanout import (
    CONNECT_BATCH,
    HOST,
    SETTLE_SECONDS,
    Children,
    Server,
    cookie_of,
    cpu_seconds,
    expect,
    http_client,
    join_phones,
    percentile,
    py_spy,
    raise_fd_limit,
    rss_kib,
    start_server,
    stop_server,
    table,
    wait_healthy,
    wait_until,
)
from floor import floor_server
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

TARGET_MS = 100.0  # issue 15: p99 to the projector and to the group console
IDEAS = ("kürzere Wege", "ein Rückruf", "klare Zuständigkeit", "Wartemusik weg", "Chat")
MARKER = re.compile(r"\btb-(\d+)\b")
# The phone page's own team (templates/phone/_my_team.html).
MY_TEAM = re.compile(r'class="my-team team team--\w+" data-team="([^"]+)"')
# The group console's sorter (templates/kinds/cards/console.html, templates/_card.html).
CONSOLE_CARD = re.compile(r'data-card="([^"]+)"[^>]*>\s*<p class="card__text">tb-(\d+)\b')
CONSOLE_CLUSTER = re.compile(r'class="cluster cluster--target" data-cluster="([^"]+)"')
TRAY_START, TRAY_END = 'id="cards-unsorted"', '<section class="clusters"'
MAX_CLUSTERS = 6  # a team's wall ends with about this many themes
NEW_CLUSTER_CHANCE = 0.25  # else the card goes into a cluster there is
READY_DEADLINE = 120.0
DRAIN_DEADLINE = 20.0  # after the last card's answer, for every screen to show every card
REPLAY_LEAD = 0.2
PHONES_PER_PROCESS = 250
CONSOLES_PER_PROCESS = 5
SEED = 15

Sample = tuple[float, int, list[int]]  # arrival, bytes, the markers first seen in it


@dataclass(frozen=True)
class Options:
    teams: int
    per_team: int
    rate: float
    seconds: float
    actions: float  # per group console per second
    hidden: bool
    profile: Path | None

    @property
    def phones(self) -> int:
        return self.teams * self.per_team

    @property
    def cards(self) -> int:
        return int(self.rate * self.seconds)


def log(text: str) -> None:
    print(f"[teams] {text}", file=sys.stderr, flush=True)


# -- the room -------------------------------------------------------------------------------
@dataclass
class Room:
    code: str
    trainer: str  # the trainer's cookie value
    tokens: list[str]  # the phones' cookie values
    team_ids: list[str]  # in order of first appearance
    team_of: list[int]  # phone → index into team_ids
    holders: list[int]  # team → the phone holding its group console

    def cookie(self, phone: int) -> str:
        return f"mb_p_{self.code}={self.tokens[phone]}"


async def set_up(base: str, options: Options) -> Room:
    """The workshop, the phones joined and in teams, the group work running, each team's
    console taken by its first member."""
    async with http_client(base) as client:
        form = {"title": "Teams bench", "question": "Was verbessert unseren Service?"}
        created = expect(await client.post("/workshops", data=form), 303)
        code = created.headers["location"].split("/")[2]
        trainer = cookie_of(created, f"mb_t_{code}")
        tokens = await join_phones(client, code, options.phones)

        async def act(action: str, **form: str) -> None:
            headers = {"Cookie": f"mb_t_{code}={trainer}"}
            expect(await client.post(f"/w/{code}/t/{action}", data=form, headers=headers), 204)

        await act("teams-form", by="count", number=str(options.teams), how="random")
        if options.hidden:
            await act("hide")
        await act("teams-run")
        team_of_phone = await asyncio.gather(
            *(team_on_page(client, code, token) for token in tokens)
        )
        team_ids = list(dict.fromkeys(team_of_phone))
        if len(team_ids) != options.teams:
            raise RuntimeError(f"{len(team_ids)} teams on the phones, {options.teams} formed")
        for k, team_id in enumerate(team_ids):
            await act("team-question", team_id=team_id, question=f"Teilfrage {k + 1}")
        team_of = [team_ids.index(team_id) for team_id in team_of_phone]
        holders = [team_of.index(k) for k in range(len(team_ids))]
        for phone in holders:
            headers = {"Cookie": f"mb_p_{code}={tokens[phone]}"}
            expect(await client.post(f"/w/{code}/team-console", headers=headers), 200)
    return Room(code, trainer, tokens, team_ids, team_of, holders)


async def team_on_page(client: httpx.AsyncClient, code: str, token: str) -> str:
    page = expect(await client.get(f"/w/{code}", headers={"Cookie": f"mb_p_{code}={token}"}), 200)
    found = MY_TEAM.search(page.text)
    if found is None:
        raise RuntimeError("a phone's page shows no team")
    return found[1]


# -- the screens -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Socket:
    label: str  # "projector", "team-3", "phone-3" (team 3's phones)
    url: str
    cookie: str
    sampled: bool  # note every frame's time and size (the floor replays them)


def open_socket(socket: Socket, origin: str | None) -> connect:
    return connect(
        socket.url,
        origin=Origin(origin) if origin else None,
        additional_headers={"Cookie": socket.cookie} if socket.cookie else {},
        compression=None,  # as the board's server and the floor
        proxy=None,
        open_timeout=60,
        max_size=None,
        ping_interval=None,  # browsers do not ping; the servers do
    )


def card_markers(text: str) -> list[int]:
    return [int(n) for n in MARKER.findall(text)]


def floor_markers(text: str) -> list[int]:
    """A marked frame of the floor server: its tag."""
    if not text.startswith("floor "):
        return []
    _, tag, marked, _ = text[:64].split(" ", 3)
    return [int(tag)] if marked == "1" else []


PARSERS: dict[str, Callable[[str], list[int]]] = {"cards": card_markers, "floor": floor_markers}


@dataclass
class Screen:
    """What one socket saw: each marker's first arrival, and (sampled) every frame."""

    socket: Socket
    first: dict[int, float] = field(default_factory=dict)
    sample: list[Sample] = field(default_factory=list)
    frames: int = 0
    bytes: int = 0
    last: str = ""  # the last frame (a group console reads its wall from it)

    def note(self, text: str, now: float, parse: Callable[[str], list[int]]) -> int:
        """Note a frame; how many markers it showed first."""
        self.frames += 1
        self.bytes += len(text.encode())
        new = [n for n in dict.fromkeys(parse(text)) if n not in self.first]
        for n in new:
            self.first[n] = now
        if self.socket.sampled:
            self.sample.append((now, len(text.encode()), new))
        self.last = text
        return len(new)


class Screens:
    """The sockets of one process, read as they come."""

    def __init__(self, sockets: list[Socket], parse: str, progress: Synchronized[int]):
        self.screens = [Screen(s) for s in sockets]
        self.parse = PARSERS[parse]
        self.progress = progress
        self.dropped = 0

    async def open(self, origin: str | None) -> tuple[list[ClientConnection], list[str]]:
        """Open the sockets, ``CONNECT_BATCH`` at a time; keep the screens of those open."""
        kept: list[Screen] = []
        opened: list[ClientConnection] = []
        failures: list[str] = []
        for start in range(0, len(self.screens), CONNECT_BATCH):
            batch = self.screens[start : start + CONNECT_BATCH]
            results = await asyncio.gather(
                *(open_socket(s.socket, origin) for s in batch), return_exceptions=True
            )
            for screen, result in zip(batch, results, strict=True):
                if isinstance(result, ClientConnection):
                    kept.append(screen)
                    opened.append(result)
                else:
                    failures.append(repr(result))
        self.screens = kept
        return opened, failures

    async def read(self, screen: Screen, ws: ClientConnection, stop: Event) -> None:
        try:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode()
                shown = screen.note(text, time.time(), self.parse)
                if shown:
                    with self.progress.get_lock():
                        self.progress.value += shown
        except ConnectionClosed:
            pass
        if not stop.is_set():
            self.dropped += 1

    def report(self) -> dict[str, Any]:
        return {
            "screens": {
                s.socket.label if s.socket.sampled else f"{s.socket.label}/{i}": {
                    "first": s.first,
                    "sample": s.sample,
                    "frames": s.frames,
                    "bytes": s.bytes,
                }
                for i, s in enumerate(self.screens)
            },
            "dropped": self.dropped,
        }


async def until_set(stop: Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Clustering:
    """What the group consoles of one process do once the cards come."""

    base: str
    code: str
    team_ids: tuple[str, ...]  # the teams of this process's consoles, in their order
    cookies: tuple[str, ...]  # the holders' cookies
    hidden: bool  # reveal each wall first
    rate: float  # actions per console per second
    seconds: float  # for how long after the go


Action = tuple[str, float, float, int]  # kind, submitted, answered, status


class Sorter:
    """One group console's member: reads the wall off the socket, sorts its oldest card."""

    def __init__(self, screen: Screen, team_id: str, cookie: str, rng: random.Random):
        self.screen, self.team_id, self.cookie, self.rng = screen, team_id, cookie, rng
        self.pending: set[str] = set()  # cards acted on, not yet shown sorted
        self.made = 0

    def wall(self) -> tuple[list[str], list[str]]:
        """The unsorted cards (oldest first) and the clusters of the last whole wall."""
        text = self.screen.last
        if TRAY_START not in text:
            return [], []
        tray = text.split(TRAY_START, 1)[1].split(TRAY_END, 1)[0]
        unsorted = [card_id for card_id, n in sorted(CONSOLE_CARD.findall(tray), key=number)]
        return unsorted, CONSOLE_CLUSTER.findall(text)

    async def act(self, client: httpx.AsyncClient, code: str) -> Action | None:
        unsorted, clusters = self.wall()
        waiting = [card for card in unsorted if card not in self.pending]
        self.pending &= set(unsorted)
        if not waiting:
            return None
        card = waiting[0]
        if not clusters or (
            len(clusters) < MAX_CLUSTERS and self.rng.random() < NEW_CLUSTER_CHANCE
        ):
            self.made += 1
            kind, form = "cluster-new", {"card_id": card, "heading": f"Thema {self.made}"}
        else:
            kind, form = "card-move", {"card_id": card, "cluster_id": self.rng.choice(clusters)}
        self.pending.add(card)
        path = f"/w/{code}/g/{self.team_id}/{kind}"
        return await post(client, kind, path, form, self.cookie)


def number(found: tuple[str, str]) -> int:
    return int(found[1])


async def post(
    client: httpx.AsyncClient, kind: str, path: str, form: dict[str, str], cookie: str
) -> Action:
    submitted = time.time()
    try:
        answer = await client.post(path, data=form, headers={"Cookie": cookie})
        status = answer.status_code
    except httpx.HTTPError:
        status = 0
    return kind, submitted, time.time(), status


async def cluster_loop(
    sorter: Sorter, client: httpx.AsyncClient, plan: Clustering, start: float
) -> list[Action]:
    """About ``plan.rate`` actions a second, each console at its own phase."""
    actions: list[Action] = []
    step = 1 / plan.rate
    moment = start + sorter.rng.random() * step
    while moment < start + plan.seconds:
        await asyncio.sleep(max(0.0, moment - time.time()))
        done = await sorter.act(client, plan.code)
        if done is not None:
            actions.append(done)
        moment += step * sorter.rng.uniform(0.7, 1.3)
    return actions


async def watch(
    sockets: list[Socket],
    origin: str | None,
    parse: str,
    clustering: Clustering | None,
    out: Queue[Any],
    stop: Event,
    progress: Synchronized[int],
    go: Synchronized[float],
) -> dict[str, Any]:
    screens = Screens(sockets, parse, progress)
    opened, failures = await screens.open(origin)
    readers = [
        asyncio.create_task(screens.read(screen, ws, stop))
        for screen, ws in zip(screens.screens, opened, strict=True)
    ]
    actions: list[Action] = []
    if clustering is None:
        out.put(("ready", len(opened), failures))
        await until_set(stop)
    else:
        async with http_client(clustering.base) as client:
            rng = random.Random(f"{SEED}-{clustering.team_ids[0]}")
            sorters = [
                Sorter(screen, team_id, cookie, rng)
                for screen, team_id, cookie in zip(
                    screens.screens, clustering.team_ids, clustering.cookies, strict=True
                )
            ]
            if clustering.hidden:  # each team reveals its own wall before the cards come
                for sorter in sorters:
                    path = f"/w/{clustering.code}/g/{sorter.team_id}/reveal"
                    actions.append(await post(client, "reveal", path, {}, sorter.cookie))
            out.put(("ready", len(opened), failures))
            while not go.value:
                await asyncio.sleep(0.01)
            loops = [cluster_loop(s, client, clustering, go.value) for s in sorters]
            for done in await asyncio.gather(*loops):
                actions += done
        await until_set(stop)
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    return screens.report() | {"actions": actions, "failed": len(failures)}


def watch_main(
    index: int,
    sockets: list[Socket],
    origin: str | None,
    parse: str,
    clustering: Clustering | None,
    out: Queue[Any],
    stop: Event,
    progress: Synchronized[int],
    go: Synchronized[float],
) -> None:
    """Entry point of a screens process; reports ``("screens", index, report)``."""
    raise_fd_limit()
    report = asyncio.run(watch(sockets, origin, parse, clustering, out, stop, progress, go))
    out.put(("screens", index, report))


# -- the sender ------------------------------------------------------------------------------
Post = tuple[int, int, float, float, int]  # card number, phone, submitted, answered, status


async def send_cards(base: str, room: Room, rate: float, total: int, go: float) -> list[Post]:
    rng = random.Random(SEED)
    nonce = uuid.uuid4().hex[:8]

    async def send(client: httpx.AsyncClient, number: int, phone: int) -> Post:
        form = {
            "text": f"tb-{number} {rng.choice(IDEAS)}",
            "colour": "yellow",
            "client_id": f"tb-{nonce}-{number}",
        }
        _, submitted, answered, status = await post(
            client, "card", f"/w/{room.code}/cards", form, room.cookie(phone)
        )
        return number, phone, submitted, answered, status

    async with http_client(base, connections=64) as client:
        tasks = []
        for n in range(total):
            await asyncio.sleep(max(0.0, go + n / rate - time.time()))
            tasks.append(asyncio.create_task(send(client, n, rng.randrange(len(room.tokens)))))
        return list(await asyncio.gather(*tasks))


def sender_main(
    base: str, room: Room, rate: float, total: int, go: Synchronized[float], out: Queue[Any]
) -> None:
    raise_fd_limit()
    while not go.value:
        time.sleep(0.01)
    out.put(("sender", 0, asyncio.run(send_cards(base, room, rate, total, go.value))))


# -- one run on either server -------------------------------------------------------------------
@dataclass
class Group:
    """The client processes of one run, their counters, and what they reported."""

    children: Children = field(default_factory=Children)
    progress: list[tuple[str, Synchronized[int]]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    def start(
        self,
        role: str,
        sockets: list[Socket],
        origin: str | None,
        parse: str,
        clustering: Clustering | None,
        go: Synchronized[float],
    ) -> None:
        counter: Synchronized[int] = self.children.ctx.Value("i", 0)
        index = len(self.progress)
        self.progress.append((role, counter))
        c = self.children
        c.start(watch_main, index, sockets, origin, parse, clustering, c.out, c.stop, counter, go)

    def ready(self) -> int:
        """Wait for every process's sockets; how many opened."""
        reports = self.children.inbox.take({"ready"}, len(self.progress), READY_DEADLINE)
        for _, _, failures in reports:
            if failures:
                raise RuntimeError(f"{len(failures)} socket(s) did not open: {failures[0]}")
        return sum(opened for _, opened, _ in reports)

    def shown(self, role: str) -> int:
        return sum(counter.value for r, counter in self.progress if r == role)

    def collect(self) -> None:
        self.children.stop.set()
        taken = self.children.inbox.take({"screens"}, len(self.progress), 120)
        self.reports = [report for _, _, report in sorted(taken, key=lambda r: r[1])]

    def screens(self) -> dict[str, dict[str, Any]]:
        return {label: s for r in self.reports for label, s in r["screens"].items()}

    def actions(self) -> list[Action]:
        return [a for r in self.reports for a in r["actions"]]

    def dropped(self) -> int:
        return sum(r["dropped"] + r["failed"] for r in self.reports)

    def end(self) -> None:
        self.children.end()


def waited(pid: int) -> float:
    """Seconds the process's threads have waited for a CPU, runnable but not running
    (``/proc/PID/task/*/schedstat``, second field): on this shared machine, the part of
    the latency that is other programs' turn, not the server's work."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):  # the thread ended meanwhile
            continue
    return total / 1e9


def layout(
    url: Callable[[str, int], tuple[str, str]], room: Room | None, teams: int, per_team: int
) -> dict[str, list[Socket]]:
    """The sockets by process kind: the projector, the consoles, the phones.

    ``url(kind, n)`` gives the address and cookie of socket n of a kind (our server or the
    floor's). The first phone of each team is sampled (the floor replays its frames to
    the team's phones)."""
    projector = [Socket("projector", *url("projector", 0), sampled=True)]
    consoles = [Socket(f"team-{k}", *url("team", k), sampled=True) for k in range(teams)]
    members = room.team_of if room else [p % teams for p in range(teams * per_team)]
    phones, sampled = [], set[int]()
    for phone, k in enumerate(members):
        phones.append(Socket(f"phone-{k}", *url("phone", phone), sampled=k not in sampled))
        sampled.add(k)
    return {"projector": projector, "consoles": consoles, "phones": phones}


def chunks(items: list[Socket], size: int) -> Iterator[list[Socket]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def profiled(path: Path | None, pid: int) -> Iterator[None]:
    """With ``--profile PATH``: py-spy samples the server (raw stacks) while the cards come."""
    if path is None:
        yield
        return
    with py_spy(pid, path, log):
        yield


@dataclass
class Ours:
    room: Room
    posts: list[Post]
    screens: dict[str, dict[str, Any]]
    actions: list[Action]
    dropped: int
    start: float
    end: float
    cpu: float
    waited: float  # for a CPU, runnable
    rss: int


def run_ours(options: Options) -> Ours:
    with tempfile.TemporaryDirectory(prefix="board-teams-") as folder:
        server = start_server(Path(folder))
        group = Group()
        try:
            wait_healthy(server)
            return measure(options, server, group)
        except Exception:
            print(f"server log:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            group.end()
            stop_server(server)


def our_url(server: Server, room: Room) -> Callable[[str, int], tuple[str, str]]:
    base = f"ws://{HOST}:{server.port}/w/{room.code}/ws?role="

    def url(kind: str, n: int) -> tuple[str, str]:
        if kind == "projector":
            return base + "board", ""
        if kind == "team":
            holder = room.holders[n]
            return f"{base}team&team={room.team_ids[n]}&as=member", room.cookie(holder)
        return base + "phone", room.cookie(n)

    return url


def measure(options: Options, server: Server, group: Group) -> Ours:
    room = asyncio.run(set_up(server.base, options))
    log(f"workshop {room.code}: {options.phones} phones in {len(room.team_ids)} teams")
    sockets = layout(our_url(server, room), room, options.teams, options.per_team)
    go: Synchronized[float] = group.children.ctx.Value("d", 0.0)
    group.start("projector", sockets["projector"], server.base, "cards", None, go)
    for first in range(0, options.teams, CONSOLES_PER_PROCESS):
        teams = range(first, min(options.teams, first + CONSOLES_PER_PROCESS))
        plan = Clustering(
            server.base,
            room.code,
            tuple(room.team_ids[k] for k in teams),
            tuple(room.cookie(room.holders[k]) for k in teams),
            options.hidden,
            options.actions,
            options.seconds,
        )
        mine = [sockets["consoles"][k] for k in teams]
        group.start("consoles", mine, server.base, "cards", plan, go)
    for share in chunks(sockets["phones"], PHONES_PER_PROCESS):
        group.start("phones", share, server.base, "cards", None, go)
    log(f"{group.ready()} sockets open")
    time.sleep(SETTLE_SECONDS)
    c = group.children
    c.start(sender_main, server.base, room, options.rate, options.cards, go, c.out)
    cpu, wait = cpu_seconds(server.pid), waited(server.pid)
    with profiled(options.profile, server.pid):
        go.value = start = time.time() + 0.1
        log(f"{options.cards} cards over {options.seconds:.0f} s")
        [(_, _, posts)] = c.inbox.take({"sender"}, 1, options.seconds + 60)
        acked = sum(1 for p in posts if p[4] == 200)
        wait_until(
            lambda: group.shown("projector") >= acked and group.shown("consoles") >= acked,
            DRAIN_DEADLINE,
        )
        end = time.time()
    cpu, rss = cpu_seconds(server.pid) - cpu, rss_kib(server.pid)
    wait = waited(server.pid) - wait
    group.collect()
    screens, actions, dropped = group.screens(), group.actions(), group.dropped()
    return Ours(room, posts, screens, actions, dropped, start, end, cpu, wait, rss)


# -- the floor ----------------------------------------------------------------------------------
Frame = tuple[str, int, bool]  # receivers, bytes, marked


@dataclass
class Plan:
    events: list[tuple[float, Frame]]  # seconds after the start
    card_tags: dict[str, dict[int, int]]  # "projector"/"consoles": card number → event tag


def floor_plan(ours: Ours) -> Plan:
    """Every sampled frame of our run as a floor event; which event first showed each card."""
    frames: list[tuple[float, str, int, list[int]]] = []
    for label, screen in ours.screens.items():
        if "/" in label:  # not sampled
            continue
        role = "board" if label == "projector" else label
        frames += [(t, role, size, new) for t, size, new in screen["sample"]]
    frames = sorted(f for f in frames if ours.start <= f[0] <= ours.end)
    events: list[tuple[float, Frame]] = []
    tags: dict[str, dict[int, int]] = {"projector": {}, "consoles": {}}
    for tag, (t, role, size, new) in enumerate(frames):
        marked = bool(new) and not role.startswith("phone")
        events.append((t - ours.start, (role, size, marked)))
        if marked:
            path = "projector" if role == "board" else "consoles"
            tags[path] |= dict.fromkeys(new, tag)
    return Plan(events, tags)


async def replay(port: int, plan: Plan) -> dict[int, float]:
    """The plan's events through the floor's control socket; when the server sent each."""
    url = f"ws://{HOST}:{port}/?role=control"
    sent: dict[int, float] = {}
    async with connect(url, compression=None, proxy=None, max_size=None, ping_interval=None) as ws:

        async def read_acks() -> None:
            async for message in ws:
                answer = json.loads(message)
                sent[answer["tag"]] = answer["sent"]
                if len(sent) == len(plan.events):
                    return

        reader = asyncio.create_task(read_acks())
        start = time.monotonic() + REPLAY_LEAD
        for tag, (offset, frame) in enumerate(plan.events):
            await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
            await ws.send(json.dumps({"tag": tag, "frames": [frame]}))
        await asyncio.wait_for(reader, DRAIN_DEADLINE)
    return sent


@dataclass
class Floor:
    plan: Plan
    sent: dict[int, float]
    screens: dict[str, dict[str, Any]]
    cpu: float
    rss: int
    dropped: int


def run_floor(options: Options, ours: Ours) -> Floor:
    plan = floor_plan(ours)
    marked = sum(1 for _, (_, _, m) in plan.events if m)
    receivers = options.phones + options.teams + 1
    log(f"floor: {len(plan.events)} frames ({marked} marked) to {receivers} sockets")
    group = Group()
    with tempfile.TemporaryDirectory(prefix="board-floor-") as folder:
        with floor_server(Path(folder)) as (port, process):
            base = f"ws://{HOST}:{port}/?role="

            def url(kind: str, n: int) -> tuple[str, str]:
                if kind == "projector":
                    return base + "board", ""
                k = n if kind == "team" else ours.room.team_of[n]
                return f"{base}{kind}-{k}", ""

            sockets = layout(url, ours.room, options.teams, options.per_team)
            go: Synchronized[float] = group.children.ctx.Value("d", 0.0)
            try:
                group.start("projector", sockets["projector"], None, "floor", None, go)
                for share in chunks(sockets["consoles"], CONSOLES_PER_PROCESS):
                    group.start("consoles", share, None, "floor", None, go)
                for share in chunks(sockets["phones"], PHONES_PER_PROCESS):
                    group.start("phones", share, None, "floor", None, go)
                group.ready()
                time.sleep(SETTLE_SECONDS)
                cpu = cpu_seconds(process.pid)
                sent = asyncio.run(replay(port, plan))
                wait_until(lambda: group.shown("projector") + group.shown("consoles") >= marked, 10)
                cpu, rss = cpu_seconds(process.pid) - cpu, rss_kib(process.pid)
                group.collect()
            finally:
                group.end()
    return Floor(plan, sent, group.screens(), cpu, rss, group.dropped())


# -- the figures --------------------------------------------------------------------------------
@dataclass
class Latency:
    name: str
    ms: list[float]  # ascending, one per acknowledged card shown
    missing: int  # acknowledged cards never shown
    floor_ms: list[float]  # the floor's, one per card


def latencies(ours: Ours, floor: Floor) -> list[Latency]:
    """Card → projector and card → the group console of the writer's team, ours and the
    floor's, per acknowledged card."""
    acked = {n: (phone, sent) for n, phone, sent, _, status in ours.posts if status == 200}
    projector = ours.screens["projector"]["first"]
    on_projector = [(projector.get(n), sent) for n, (_, sent) in acked.items()]
    on_console = [
        (ours.screens[f"team-{ours.room.team_of[phone]}"]["first"].get(n), sent)
        for n, (phone, sent) in acked.items()
    ]
    found = []
    for name, path, pairs in (
        ("card → projector", "projector", on_projector),
        ("card → group console", "consoles", on_console),
    ):
        shown = sorted(1000 * (t - sent) for t, sent in pairs if t is not None)
        found.append(Latency(name, shown, len(pairs) - len(shown), floor_ms(floor, path)))
    return found


def floor_ms(floor: Floor, path: str) -> list[float]:
    """Per card: the floor's send → arrival of the frame that stands for ours that first
    showed it (the tags are unique, so the consoles' arrivals can be merged)."""
    arrivals: dict[int, float] = {}
    for label, screen in floor.screens.items():
        if (label == "projector") == (path == "projector") and not label.startswith("phone"):
            arrivals |= screen["first"]
    return sorted(
        1000 * (arrivals[tag] - floor.sent[tag])
        for tag in floor.plan.card_tags[path].values()
        if tag in arrivals and tag in floor.sent
    )


def p(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.1f}"


def ratio(ours: list[float], floor: list[float], q: float) -> str:
    low = percentile(floor, q)
    return f"{percentile(ours, q) / low:.1f}×" if low > 0 else "-"


COLUMNS = (
    ("path", "<22"),
    ("cards", ">5"),
    ("p50 ms", ">7"),
    ("p95 ms", ">7"),
    ("p99 ms", ">7"),
    ("max ms", ">7"),
    ("missing", ">7"),
    ("floor p50", ">9"),
    ("floor p99", ">9"),
    ("p50÷floor", ">9"),
    ("p99÷floor", ">9"),
    ("target", "<24"),
)


def row(latency: Latency) -> list[object]:
    worst = percentile(latency.ms, 99)
    met = "met" if worst <= TARGET_MS and not latency.missing else "MISSED"
    return [
        latency.name,
        len(latency.ms),
        p(latency.ms, 50),
        p(latency.ms, 95),
        p(latency.ms, 99),
        f"{max(latency.ms, default=math.nan):.1f}",
        latency.missing,
        p(latency.floor_ms, 50),
        p(latency.floor_ms, 99),
        ratio(latency.ms, latency.floor_ms, 50),
        ratio(latency.ms, latency.floor_ms, 99),
        f"p99 ≤ {TARGET_MS:.0f} ms: {met}",
    ]


def frames_of(screens: dict[str, dict[str, Any]], prefix: str) -> tuple[int, int, float]:
    """Sockets, frames per socket, KiB per frame of the screens whose label starts so."""
    chosen = [s for label, s in screens.items() if label.startswith(prefix)]
    frames = sum(s["frames"] for s in chosen)
    size = sum(s["bytes"] for s in chosen)
    return len(chosen), frames // max(1, len(chosen)), size / max(1, frames) / 1024


def by_status(items: list[tuple[str, int]]) -> str:
    counts: dict[str, int] = {}
    for kind, status in items:
        key = f"{kind} {status or 'no answer'}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n}× {key}" for key, n in sorted(counts.items()))


SCREENS = (("projector", "projector"), ("group console", "team-"), ("phone", "phone-"))


def details(options: Options, ours: Ours, floor: Floor) -> list[tuple[str, str]]:
    window = ours.end - ours.start
    answers = sorted(1000 * (a - s) for _, _, s, a, status in ours.posts if status == 200)
    acts = [a for a in ours.actions if a[0] != "reveal"]
    act_ms = sorted(1000 * (a - s) for _, s, a, status in acts if status == 204)
    lines = [
        ("cards sent: answers", by_status([("card", status) for *_, status in ours.posts])),
        ("card answer p50 / p99 ms", f"{p(answers, 50)} / {p(answers, 99)}"),
        ("group console actions", by_status([(a[0], a[3]) for a in acts]) or "none"),
        ("action answer p50 / p99 ms", f"{p(act_ms, 50)} / {p(act_ms, 99)}"),
    ]
    if options.hidden:
        reveals = [(a[0], a[3]) for a in ours.actions if a[0] == "reveal"]
        lines.append(("reveals before the cards", by_status(reveals)))
    for name, prefix in SCREENS:
        sockets, frames, kib = frames_of(ours.screens, prefix)
        lines.append(
            (f"{name}: sockets, frames each, KiB/frame", f"{sockets}, {frames}, {kib:.1f}")
        )
    lines += [
        ("server CPU s (share of one core)", f"{ours.cpu:.1f} ({100 * ours.cpu / window:.0f} %)"),
        ("server waited for a CPU s (runnable)", f"{ours.waited:.1f}"),
        ("server RSS MiB at the end", f"{ours.rss / 1024:.0f}"),
        ("floor server CPU s, RSS MiB", f"{floor.cpu:.1f}, {floor.rss / 1024:.0f}"),
        ("sockets lost (ours / floor)", f"{ours.dropped} / {floor.dropped}"),
        ("measured window s", f"{window:.1f}"),
        ("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f}"),
    ]
    return lines


def report(options: Options, ours: Ours, floor: Floor) -> bool:
    """Print the tables; whether every acknowledged card reached both screens."""
    found = latencies(ours, floor)
    mode = "hidden, each team reveals first" if options.hidden else "open"
    print(
        f"{options.teams} teams × {options.per_team} phones, {options.rate:g} cards/s for "
        f"{options.seconds:g} s, {options.actions:g} actions/s per group console, step {mode}"
    )
    print(table(COLUMNS, [row(latency) for latency in found]))
    print()
    width = max(len(name) for name, _ in details(options, ours, floor))
    for name, value in details(options, ours, floor):
        print(f"{name:<{width}}  {value}")
    return not any(latency.missing for latency in found)


# -- command line -------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=10, help="teams (default 10)")
    parser.add_argument("--per-team", type=int, default=20, help="phones per team (default 20)")
    parser.add_argument("--rate", type=float, default=10.0, help="cards/s in all (default 10)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default 60)")
    parser.add_argument(
        "--actions", type=float, default=1.0, help="per group console per second (default 1)"
    )
    parser.add_argument("--hidden", action="store_true", help="the teams reveal their walls first")
    parser.add_argument("--profile", type=Path, help="py-spy the server into this file (raw)")
    args = parser.parse_args(argv)
    if not (1 <= args.teams <= 50 and 1 <= args.per_team <= 100):
        parser.error("--teams 1–50, --per-team 1–100")
    if not (args.rate > 0 and args.seconds > 0 and args.actions > 0):
        parser.error("--rate, --seconds and --actions must be positive")
    return Options(
        args.teams, args.per_team, args.rate, args.seconds, args.actions, args.hidden, args.profile
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    raise_fd_limit()  # the server inherits it
    ours = run_ours(options)
    floor = run_floor(options, ours)
    print()
    return 0 if report(options, ours, floor) else 1


if __name__ == "__main__":
    sys.exit(main())
