"""Load benchmark: five rooms against the real server, each beside a bare broadcast floor.

    python bench/load.py            # all five scenarios, about eight minutes
    python bench/load.py --quick    # the card storm for 20 s instead of 60 s
    python bench/load.py --only storm,switch --profile /tmp/profiles
    python bench/load.py --processes 2 --hub redis   # two server processes, one data folder
    python bench/load.py --compare --quick --switch-phones 300   # issue 14's four, side by side

Each scenario starts ``python -m board serve`` (as deployed) on 127.0.0.1 with a fresh
data folder and the rate limits at their highest, joins its phones over HTTP and opens
their sockets from separate processes (``bench/screens.py``):

- workshop: 30 phones, 1 board and the trainer's console, about 30 s of a real session
  (cards, edits, a hidden round, clusters, a scale vote, a dot vote; ``bench/room.py``);
- card storm: 500 phones and 2 boards, 10 cards/s for 60 s;
- dot burst: 1000 phones spend 3 dots each within 2 s;
- agenda switch: 1000 phones (--switch-phones), the trainer goes to the next step again and again;
- idle room: 5000 phone sockets, opened in batches, doing nothing.

Latency is *acknowledgement → arrival on every board (or every phone)*: from the moment
the HTTP answer of an action reached its sender until the last screen that should show
it got a frame showing it (all processes stamp ``time.time()``, one clock). For the
broadcast scenarios, ``bench/floor_server.py`` (plain ``websockets``, compression off)
then sends frames of the sizes our screens got, at the same moments, to as many
sockets, and the same latency (send → arrival on every receiver) gives the floor.

``--processes``, ``--hub`` and ``--database-url`` choose the configuration the scenarios
run on (``bench/cluster.py``: phones spread round robin over the processes, CPU summed
over the servers, Redis and PostgreSQL); ``--compare`` runs the four configurations of
issue 14 one after the other and prints them side by side (``bench/compare.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from statistics import median
from typing import Any, TypeAlias

import compare
import httpx
from burst import Burst, Planned, Room, Sent, on_cue, plan_votes
from burst import set_up_room as set_up_dot_vote
from cluster import HUBS, Cluster, Config, Meter, per_process, serving, the_four
from crowd import (
    DRAIN_DEADLINE,
    SWITCH_DEADLINE,
    SWITCH_GAP,
    Crowd,
    Result,
    Seen,
    Target,
    everywhere,
    latencies,
    log,
    ms,
    on_boards,
    our_watches,
    wait_for,
)
from fanout import (
    HOST,
    HTTP_TIMEOUT,
    SETTLE_SECONDS,
    Children,
    cookie_of,
    expect,
    http_client,
    join_phones,
    percentile,
    py_spy,
    raise_fd_limit,
    sender_main,
    set_up_room,
    table,
    wait_until,
)
from floor import floor_memory, run_floor, switch_frames, switch_plan, timed_plan
from room import AGENDA_STEP, Action, room_main
from wire import Wire

IDLE_PER_PROCESS = 1000  # idle sockets cost the client little: fewer, fuller processes
PINGS_PER_PROCESS = 100  # idle room: sockets per process that send one ping
IDLE_SECONDS = 10.0
ROOM_DEADLINE = 180.0
GO_LEAD = 0.3  # dot burst: from arming the senders to the first vote
Detail = tuple[str, str]


@dataclass(frozen=True)
class Options:
    quick: bool
    profile: Path | None
    switch_phones: int = 1000
    storm_phones: int = 500
    burst_phones: int = 1000
    idle_phones: int = 5000
    config: Config = Config()
    # The floor of each scenario, run once per invocation: the frames are the same
    # whatever serves them, so the configurations of --compare share it.
    floors: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


# -- servers -----------------------------------------------------------------------------
def our_servers(options: Options, name: str) -> contextlib.AbstractContextManager[Cluster]:
    """The configuration's server processes (and redis-server), on one data folder."""
    return serving(options.config, partial(log, name))


def once(options: Options, key: str, make: Callable[[], Any]) -> Any:
    if key not in options.floors:
        options.floors[key] = make()
    return options.floors[key]


def spread(cluster: Cluster, seen: Seen, start: float, end: float, meter: Meter) -> list[Detail]:
    """Sockets and frames per server process; CPU by part."""
    return [
        ("per process: sockets, frames received", per_process(cluster, seen.reports, start, end)),
        ("CPU s by part", meter.describe()),
    ]


@contextlib.contextmanager
def profiled(options: Options, name: str, pid: int) -> Iterator[None]:
    """With ``--profile DIR``: py-spy samples the server while the actions run."""
    if options.profile is None:
        yield
        return
    options.profile.mkdir(parents=True, exist_ok=True)
    path = options.profile / f"{name.replace(' ', '-')}.txt"
    with py_spy(pid, path, partial(log, name)):
        yield


# -- workshop -----------------------------------------------------------------------------
WORKSHOP_PHONES = 30


async def open_workshop(base: str, phones: int, bases: list[str]) -> tuple[str, str, list[str]]:
    """A workshop with one open Kartenabfrage: its code, the trainer's token, the phones'."""
    async with http_client(base) as client:
        form = {"title": "Load bench", "question": "What would make our meetings better?"}
        created = expect(await client.post("/workshops", data=form), 303)
        code = created.headers["location"].split("/")[2]
        trainer = cookie_of(created, f"mb_t_{code}")
        return code, trainer, await join_phones(client, code, phones, bases)


def workshop(options: Options) -> list[Result]:
    name = "workshop"
    with our_servers(options, name) as cluster:
        opened = open_workshop(cluster.base, WORKSHOP_PHONES, cluster.bases)
        code, trainer, tokens = asyncio.run(opened)
        crowd = Crowd(our_watches(cluster.servers, code, 1, tokens, ("card", "step")))
        try:
            crowd.open(name)
            time.sleep(SETTLE_SECONDS)
            log(name, "sockets open; the session runs")
            meter, begun = Meter.start(cluster), time.time()
            with profiled(options, name, cluster.servers[0].pid):
                # The script plays every phone's action through process 0.
                crowd.children.start(
                    room_main, cluster.base, code, trainer, tokens, crowd.children.out
                )
                [(_, _, played)] = crowd.children.inbox.take({"room"}, 1, ROOM_DEADLINE)
                if "error" in played:
                    raise RuntimeError(f"the workshop script failed: {played['error']}")
                time.sleep(1.0)  # the last frames
            ended, cpu = time.time(), meter.stop()
            rss = cluster.rss()
            seen = crowd.collect()
        finally:
            crowd.end()
    result = session_result(name, played, seen, begun, ended, cpu, rss)
    result.details += spread(cluster, seen, begun, ended, meter)
    result.numbers = {"p50 ms": percentile(result.latency_ms, 50), "CPU s": cpu}
    result.numbers["p99 ms"] = percentile(result.latency_ms, 99)
    return [result]


def session_result(
    name: str,
    played: dict[str, Any],
    seen: Seen,
    started: float,
    ended: float,
    cpu: float,
    rss: int,
) -> Result:
    actions: list[Action] = [a for a in played["actions"] if a.ok]
    phones, first = seen.sockets("phone"), seen.first("phone")
    by_kind: dict[str, list[tuple[float | None, float]]] = {}
    for action in actions:
        if action.expect is not None:
            by_kind.setdefault(action.kind, []).append(
                (on_boards(seen.boards, action.expect), action.acked)
            )
        if action.step is not None:
            key = f"{action.kind} (every phone)"
            by_kind.setdefault(key, []).append(
                (everywhere(first, ("step", action.step), phones), action.acked)
            )
    board_pairs = [pair for kind, pairs in by_kind.items() if "phone" not in kind for pair in pairs]
    shown, missing = latencies(board_pairs)
    kinds: list[list[object]] = []
    for kind, pairs in by_kind.items():
        values, lost = latencies(pairs)
        kinds.append([kind, len(pairs), ms(values, 50), ms(values, 99), ms(values, 100), lost])
    refused = sum(1 for a in played["actions"] if not a.ok)
    console = sum(1 for t in played["console"] if started <= t <= ended)
    return Result(
        name,
        seen.sockets("board") + phones + 1,
        len(board_pairs),
        shown,
        missing,
        seen.frames(started, ended) + console,
        ended - started,
        cpu,
        rss,
        details=[
            ("actions acknowledged / refused", f"{len(actions)} / {refused}"),
            ("action answer p50 / p99 ms", answer_times(actions)),
            ("sockets lost", str(seen.lost)),
        ],
        kinds=kinds,
    )


def answer_times(actions: list[Action]) -> str:
    values = sorted(1000 * (a.acked - a.submitted) for a in actions)
    return f"{ms(values, 50)} / {ms(values, 99)}"


# -- card storm ---------------------------------------------------------------------------
STORM_BOARDS, STORM_RATE = 2, 10.0


def card_storm(options: Options) -> list[Result]:
    name, seconds = "card storm", 20.0 if options.quick else 60.0
    total = int(STORM_RATE * seconds)
    with our_servers(options, name) as cluster:
        code, tokens = asyncio.run(set_up_room(cluster.base, options.storm_phones, cluster.bases))
        crowd = Crowd(our_watches(cluster.servers, code, STORM_BOARDS, tokens, ("card", "step")))
        try:
            crowd.open(name)
            time.sleep(SETTLE_SECONDS)
            log(name, f"sockets open; {total} cards at {STORM_RATE:g}/s")
            meter, started = Meter.start(cluster), time.time()
            with profiled(options, name, cluster.servers[0].pid):
                out, bases = crowd.children.out, cluster.bases
                crowd.children.start(sender_main, bases, code, tokens, STORM_RATE, total, out)
                wait = seconds + 2 * HTTP_TIMEOUT + 30
                [(_, _, posts)] = crowd.children.inbox.take({"sender"}, 1, wait)
                acked = sum(1 for *_, status in posts if status == 200)
                wait_until(lambda: crowd.of("board") >= STORM_BOARDS * acked, DRAIN_DEADLINE)
            ended, cpu = time.time(), meter.stop()
            rss = cluster.rss()
            seen = crowd.collect()
        finally:
            crowd.end()
    pairs = [
        (on_boards(seen.boards, ("key", ("card", number))), answered)
        for number, _, answered, status in posts
        if status == 200
    ]
    shown, missing = latencies(pairs)
    sizes = [size for t, size, _ in seen.sample("board") if started <= t <= ended]
    ours = Result(
        name,
        STORM_BOARDS + options.storm_phones,
        len(pairs),
        shown,
        missing,
        seen.frames(started, ended),
        ended - started,
        cpu,
        rss,
        details=[
            ("cards sent / acknowledged", f"{len(posts)} / {acked}"),
            ("card answer p50 / p99 ms", post_times(posts)),
            (
                "board frames / mean KiB",
                f"{len(sizes)} / {sum(sizes) / max(1, len(sizes)) / 1024:.1f}",
            ),
            ("phone frames (the author's own cards)", str(phone_frames_in(seen, started, ended))),
            ("sockets lost", str(seen.lost)),
            *spread(cluster, seen, started, ended, meter),
        ],
    )
    plan = timed_plan(seen, started, ended, "board", STORM_BOARDS, options.storm_phones)
    ours.floor = once(options, name, partial(run_floor, name, plan))
    ours.target = Target("p99", percentile(shown, 99), 50, "ms")
    ours.numbers = {
        "card → board p50 ms": percentile(shown, 50),
        "card → board p99 ms": percentile(shown, 99),
        "p99 ÷ floor": percentile(shown, 99) / percentile(ours.floor.latency_ms, 99),
        "CPU s": cpu,
    }
    return [ours, ours.floor]


def phone_frames_in(seen: Seen, start: float, end: float) -> int:
    return sum(1 for r in seen.of("phone") for t in r["times"] if start <= t <= end)


def post_times(posts: list[tuple[int, float, float, int]]) -> str:
    values = sorted(
        1000 * (answered - sent) for _, sent, answered, status in posts if status == 200
    )
    return f"{ms(values, 50)} / {ms(values, 99)}"


# -- dot burst ----------------------------------------------------------------------------
BURST = Burst(phones=1000, boards=1, dots=3, window=2.0)


VOTE_SENDERS, VOTE_CONNECTIONS = 2, 500  # a connection per phone


Go: TypeAlias = "Synchronized[float]"  # the start time, once the main process sets it


async def send_dots(
    index: int, ports: list[int], room: Room, plan: list[Planned], out: Queue[Any], go: Go
) -> list[Sent]:
    """Post the planned dots once ``go`` holds the start time, each when it is due;
    phone k's to ``ports[k % n]``, the process it joined through."""
    wires = [Wire(HOST, port, VOTE_CONNECTIONS // len(ports), HTTP_TIMEOUT) for port in ports]
    await asyncio.gather(*(wire.open() for wire in wires))
    cookies = [f"mb_p_{room.code}={token}" for token in room.tokens]

    async def vote(phone: int, option: str) -> Sent:
        due, form = time.time(), {"step_id": room.step_id, "option": option, "delta": "1"}
        wire = wires[phone % len(wires)]
        status = await wire.post(f"/w/{room.code}/vote", form, cookies[phone])
        return phone, option, due, time.time(), status

    sent = await on_cue(index, plan, out, go, vote)
    await asyncio.gather(*(wire.close() for wire in wires))
    return sent


def dots_main(
    index: int, ports: list[int], room: Room, plan: list[Planned], out: Queue[Any], go: Go
) -> None:
    raise_fd_limit()
    out.put(("sender", index, asyncio.run(send_dots(index, ports, room, plan, out, go))))


def arm_senders(
    cluster: Cluster, burst: Burst, room: Room, children: Children
) -> Synchronized[float]:
    """The sender processes, connected, each with every VOTE_SENDERS-th dot of the plan."""
    plan = plan_votes(burst, room.options)
    go: Synchronized[float] = children.ctx.Value("d", 0.0)
    for index in range(VOTE_SENDERS):
        share = plan[index::VOTE_SENDERS]
        children.start(dots_main, index, cluster.ports, room, share, children.out, go)
    children.inbox.take({"armed"}, VOTE_SENDERS, 60)
    return go


def dot_burst(options: Options) -> list[Result]:
    name, burst = "dot burst", replace(BURST, phones=options.burst_phones)
    with our_servers(options, name) as cluster:
        setup = set_up_dot_vote(cluster.base, burst.phones, burst.dots, cluster.bases)
        room = asyncio.run(setup)
        crowd = Crowd(
            our_watches(cluster.servers, room.code, burst.boards, room.tokens, ("dots", "step"))
        )
        try:
            crowd.open(name)
            time.sleep(SETTLE_SECONDS)
            go = arm_senders(cluster, burst, room, crowd.children)
            log(name, f"sockets open; {burst.votes} dots within {burst.window:g} s")
            meter, started = Meter.start(cluster), time.time() + GO_LEAD
            with profiled(options, name, cluster.servers[0].pid):
                go.value = started
                wait = burst.window + 2 * HTTP_TIMEOUT + 30
                reports = crowd.children.inbox.take({"sender"}, VOTE_SENDERS, wait)
                votes = sorted((v for _, _, sent in reports for v in sent), key=lambda v: v[3])
                acked = sum(1 for *_, status in votes if status == 200)
                wait_until(lambda: crowd.of("board") >= acked, DRAIN_DEADLINE)
            ended, cpu = time.time(), meter.stop()
            rss = cluster.rss()
            time.sleep(0.5)  # a later frame must not change the total
            seen = crowd.collect()
            stored = cluster.stored_dots(room.step_id)
        finally:
            crowd.end()
    answers = [answered for _, _, _, answered, status in votes if status == 200]
    pairs = [
        (on_boards(seen.boards, ("atleast", ("dots",), n)), t) for n, t in enumerate(answers, 1)
    ]
    shown, missing = latencies(pairs)
    final = on_boards(seen.boards, ("atleast", ("dots",), acked))
    after_last = 1000 * (final - answers[-1]) if final is not None and answers else math.nan
    totals = [max((k[1] for k in board if k[0] == "dots"), default=-1) for board in seen.boards]
    ours = Result(
        name,
        burst.boards + burst.phones,
        acked,
        shown,
        missing,
        seen.frames(started, ended),
        ended - started,
        cpu,
        rss,
        details=[
            ("dots sent / acknowledged", f"{len(votes)} / {acked}"),
            (
                "first dot → last acknowledgement",
                f"{1000 * (answers[-1] - started):.0f} ms" if answers else "-",
            ),
            ("last acknowledgement → board shows total", f"{after_last:.0f} ms"),
            ("dot answer p50 / p99 ms", vote_times(votes)),
            ("board frames until the total / longest gap", board_gaps(seen, started, final)),
            (
                "total: acked / boards / database",
                f"{acked} / {'/'.join(map(str, totals))} / {stored}",
            ),
            ("sockets lost", str(seen.lost)),
            *spread(cluster, seen, started, ended, meter),
        ],
    )
    end = final if final is not None else ended
    plan = timed_plan(seen, started, end, "board", burst.boards, burst.phones)
    ours.floor = once(options, name, partial(run_floor, name, plan))
    ours.target = Target("last ack → total shown", after_last, 300, "ms")
    counted = totals == [acked] * len(totals) and stored == acked == len(votes)
    if totals != [acked] * len(totals) or stored != acked:
        ours.missing = max(ours.missing, 1)
    answered = sorted(1000 * (a - due) for _, _, due, a, status in votes if status == 200)
    ours.numbers = {
        "dot answer p50 ms": percentile(answered, 50),
        "dot answer p99 ms": percentile(answered, 99),
        "last ack → total shown ms": after_last,
        "all counted (sent = acked = boards = DB)": float(counted),
        "CPU s": cpu,
    }
    return [ours, ours.floor]


def board_gaps(seen: Seen, start: float, end: float | None) -> str:
    """How often the board got a new ranking while the burst went on."""
    times = [t for t, _, _ in seen.sample("board") if start <= t <= (end or math.inf)]
    gaps = [b - a for a, b in zip([start, *times], times, strict=False)]
    return f"{len(times)} / {1000 * max(gaps, default=math.nan):.0f} ms"


def vote_times(votes: list[tuple[int, str, float, float, int]]) -> str:
    values = sorted(1000 * (answered - sent) for _, _, sent, answered, ok in votes if ok == 200)
    return f"{ms(values, 50)} / {ms(values, 99)}"


# -- agenda switch ------------------------------------------------------------------------
AGENDA = ["kunde-koenig", "8ps-beziehungsmarketing"] * 4  # 24 steps: scales, cards, dots


async def open_agenda(
    base: str, phones: int, bases: list[str]
) -> tuple[str, str, list[str], list[str]]:
    """A workshop with a long agenda: code, trainer token, phone tokens, step ids in order."""
    async with http_client(base) as client:
        # The start page plans each exercise once: the repeats are added from the console.
        form = {"title": "Agenda switch", "exercise": AGENDA[:2]}
        created = expect(await client.post("/workshops", data=form), 303)
        code = created.headers["location"].split("/")[2]
        trainer = cookie_of(created, f"mb_t_{code}")
        as_trainer = {"Cookie": f"mb_t_{code}={trainer}"}
        for exercise in AGENDA[2:]:
            added = await client.post(
                f"/w/{code}/t/agenda-add", data={"exercise": exercise}, headers=as_trainer
            )
            expect(added, 204)
        page = await client.get(f"/w/{code}/trainer", headers=as_trainer)
        steps = AGENDA_STEP.findall(expect(page, 200).text)
        return code, trainer, await join_phones(client, code, phones, bases), steps


async def switch_steps(
    cluster: Cluster, code: str, trainer: str, targets: list[str], crowd: Crowd
) -> tuple[list[Action], float]:
    """``/t/step-next`` once per target; each waits until every phone shows the step before.
    The actions, and the CPU the cluster spent from each post until every phone showed it
    (the pauses between switches left out)."""
    done: list[Action] = []
    spent = 0.0
    async with http_client(cluster.base) as client:
        for index, step in enumerate(targets, 1):
            cpu, submitted = cluster.cpu(), time.time()
            try:
                status = (
                    await client.post(
                        f"/w/{code}/t/step-next", headers={"Cookie": f"mb_t_{code}={trainer}"}
                    )
                ).status_code
            except httpx.HTTPError:
                status = 0
            done.append(Action("step switch", None, submitted, time.time(), status, step))
            everyone = crowd.opened["phone"] * (index + 1)  # the first step came at connect
            await wait_for(partial(reached, crowd, "phone", everyone), SWITCH_DEADLINE)
            spent += cluster.cpu() - cpu
            await asyncio.sleep(SWITCH_GAP)
    return done, spent


def reached(crowd: Crowd, role: str, count: int) -> bool:
    return crowd.of(role) >= count


def agenda_switch(options: Options) -> list[Result]:
    name, switches = "agenda switch", 8 if options.quick else 20
    with our_servers(options, name) as cluster:
        agenda = open_agenda(cluster.base, options.switch_phones, cluster.bases)
        code, trainer, tokens, steps = asyncio.run(agenda)
        crowd = Crowd(our_watches(cluster.servers, code, 0, tokens, ("card", "step")))
        try:
            crowd.open(name)
            time.sleep(SETTLE_SECONDS)
            log(name, f"sockets open; {switches} switches")
            meter, started = Meter.start(cluster), time.time()
            with profiled(options, name, cluster.servers[0].pid):
                targets = steps[1 : switches + 1]
                switching = switch_steps(cluster, code, trainer, targets, crowd)
                done, in_switches = asyncio.run(switching)
            ended, cpu = time.time(), meter.stop()
            rss = cluster.rss()
            seen = crowd.collect()
        finally:
            crowd.end()
    first, phones = seen.first("phone"), seen.sockets("phone")
    acked = [a for a in done if a.ok]
    pairs = [(everywhere(first, ("step", a.step), phones), a.acked) for a in acked]
    shown, missing = latencies(pairs)
    each = sorted(1000 * (t - a.acked) for a in acked for t in first.get(("step", a.step), []))
    ours = Result(
        name,
        phones,
        len(acked),
        shown,
        missing,
        seen.frames(started, ended),
        ended - started,
        cpu,
        rss,
        details=[
            ("switches acknowledged", f"{len(acked)} of {len(done)}"),
            ("switch answer p50 / p99 ms", answer_times(acked)),
            ("per phone p50 / p99 ms", f"{ms(each, 50)} / {ms(each, 99)}"),
            ("frames per phone and switch / KiB", phone_frames(seen, targets)),
            ("sockets lost", str(seen.lost)),
            *spread(cluster, seen, started, ended, meter),
        ],
    )
    plan = switch_plan(seen.sample("phone"), [a.step or "" for a in done], phones)
    ours.floor = once(options, name, partial(run_floor, name, plan))
    ratio = percentile(ours.latency_ms, 99) / percentile(ours.floor.latency_ms, 99)
    ours.target = Target("p99 ÷ floor p99", ratio, 1.3, "×")
    # From each post until every phone showed the step; the whole run beside it (the
    # pauses between switches too: presence, polls).
    per_phone = 1e6 * in_switches / max(1, phones * len(acked))
    whole = 1e6 * cpu / max(1, phones * len(acked))
    ours.details.append(("CPU µs/phone/switch: switching / all", f"{per_phone:.1f} / {whole:.1f}"))
    ours.numbers = {
        "all phones show the step p50 ms": percentile(shown, 50),
        "all phones show the step p99 ms": percentile(shown, 99),
        "p99 ÷ floor": ratio,
        "CPU µs per phone per switch": per_phone,
    }
    return [ours, ours.floor]


def phone_frames(seen: Seen, targets: list[str]) -> str:
    frames = switch_frames(seen.sample("phone"), targets)
    if not frames:
        return "-"
    count = median(len(sizes) for sizes in frames)
    kib = median(sum(sizes) for sizes in frames) / 1024
    return f"{count:g} / {kib:.1f}"


# -- idle room ----------------------------------------------------------------------------
def idle_room(options: Options) -> list[Result]:
    name, phones = "idle room", options.idle_phones
    with our_servers(options, name) as cluster:
        log(name, f"joining {phones} phones")
        code, tokens = asyncio.run(set_up_room(cluster.base, phones, cluster.bases))
        time.sleep(SETTLE_SECONDS)
        rss_before, redis_before = cluster.rss(), cluster.redis_rss()
        connecting = Meter.start(cluster)
        kw = {"per_process": IDLE_PER_PROCESS, "pings": PINGS_PER_PROCESS}
        crowd = Crowd(our_watches(cluster.servers, code, 0, tokens, ("card", "step"), **kw))
        try:
            opening = time.time()
            crowd.open(name)
            opened = time.time() - opening
            time.sleep(SETTLE_SECONDS)
            rss_after, redis_after = cluster.rss(), cluster.redis_rss()
            connect_cpu = connecting.stop()
            log(name, f"{phones} sockets open in {opened:.0f} s; idle for {IDLE_SECONDS:g} s")
            meter, started = Meter.start(cluster), time.time()
            with profiled(options, name, cluster.servers[0].pid):
                crowd.go.value = started
                time.sleep(IDLE_SECONDS)
            ended, cpu = time.time(), meter.stop()
            rss = cluster.rss()
            seen = crowd.collect()
        finally:
            crowd.end()
    sockets = seen.sockets("phone")
    per_socket = (rss_after - rss_before) / max(1, sockets)
    redis_per_socket = (redis_after - redis_before) / max(1, sockets)
    floor = once(options, name, partial(floor_memory, name, phones, IDLE_PER_PROCESS))
    pings = seen.pings
    result = Result(
        name,
        sockets,
        len(pings),
        pings,
        sum(min(PINGS_PER_PROCESS, r["sockets"]) for r in seen.reports) - len(pings),
        seen.frames(started, ended),
        ended - started,
        cpu,
        rss,
        details=[
            ("latency", "one ping → pong per sampled socket"),
            ("RSS before / after sockets MiB", f"{rss_before / 1024:.1f} / {rss_after / 1024:.1f}"),
            ("opening the sockets", f"{opened:.1f} s, {connect_cpu:.1f} s server CPU"),
            ("KiB per socket: ours / floor server", f"{per_socket:.1f} / {floor:.1f}"),
            ("KiB per socket in redis-server", f"{redis_per_socket:.1f}"),
            ("sockets lost", str(seen.lost)),
            *spread(cluster, seen, started, ended, meter),
        ],
    )
    result.target = Target("per socket", per_socket, 30, "KiB")
    result.numbers = {
        "KiB per socket (servers summed)": per_socket,
        "KiB per socket in redis-server": redis_per_socket,
        "per socket ÷ floor": per_socket / floor if floor > 0 else math.nan,
        "ping → pong p50 ms": percentile(pings, 50),
    }
    return [result]


# -- output -------------------------------------------------------------------------------
SCENARIOS: dict[str, Callable[[Options], list[Result]]] = {
    "workshop": workshop,
    "storm": card_storm,
    "burst": dot_burst,
    "switch": agenda_switch,
    "idle": idle_room,
}
MAIN = (
    ("scenario", "<19"),
    ("sockets", ">7"),
    ("actions", ">7"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("max ms", ">7"),
    ("missing", ">7"),
    ("p50÷floor", ">9"),
    ("p99÷floor", ">9"),
    ("msg/s", ">7"),
    ("CPU s", ">6"),
    ("RSS MiB", ">7"),
    ("target", "<"),
)
FIGURES = (("scenario", "<14"), ("figure", "<42"), ("value", "<"))
KINDS = (
    ("workshop action", "<26"),
    ("n", ">4"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("max ms", ">7"),
    ("missing", ">7"),
)


def ratio(ours: Result, p: float) -> str:
    if ours.floor is None:
        return "-"
    return f"{percentile(ours.latency_ms, p) / percentile(ours.floor.latency_ms, p):.1f}×"


def main_row(r: Result) -> list[object]:
    lat = r.latency_ms
    return [
        r.name,
        r.sockets,
        r.actions,
        ms(lat, 50),
        ms(lat, 99),
        ms(lat, 100),
        r.missing,
        ratio(r, 50),
        ratio(r, 99),
        f"{r.messages / r.seconds:.0f}",
        f"{r.cpu:.1f}",
        f"{r.rss_kib / 1024:.0f}",
        target_cell(r.target),
    ]


def target_cell(t: Target | None) -> str:
    """``p99 6.3 ms ≤ 50 ms: met``"""
    if t is None:
        return ""
    space = "" if t.unit == "×" else " "
    measured, limit = f"{t.measured:.1f}{space}{t.unit}", f"{t.limit:g}{space}{t.unit}"
    return f"{t.name} {measured} ≤ {limit}: {'met' if t.met else 'MISSED'}"


def report(results: list[Result]) -> None:
    print(table(MAIN, [main_row(r) for r in results]))
    figures: list[list[object]] = []
    for r in results:
        figures += [[r.name, name, value] for name, value in r.details]
        if r.floor is not None:
            cpu = f"{r.floor.cpu:.1f} s CPU, {r.floor.rss_kib / 1024:.0f} MiB"
            figures.append([r.name, "floor server", cpu])
    print()
    print(table(FIGURES, figures))
    kinds = [row for r in results for row in r.kinds]
    if kinds:
        print()
        print(table(KINDS, kinds))


COMPARED = "switch,burst,storm,idle"  # the figures of issue 14


def parse_args(argv: list[str] | None) -> tuple[Options, list[str], list[Config]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="card storm for 20 s, 8 switches")
    parser.add_argument(
        "--only",
        help=f"comma-separated, of {', '.join(SCENARIOS)} (all; --compare: {COMPARED})",
    )
    parser.add_argument("--profile", type=Path, help="py-spy server process 0 into this folder")
    phones = [("switch", 1000, "agenda switch"), ("storm", 500, "card storm")]
    phones += [("burst", 1000, "dot burst, 3 dots each"), ("idle", 5000, "idle room")]
    for name, default, what in phones:
        parser.add_argument(
            f"--{name}-phones", type=int, default=default, help=f"phones in the {what} ({default})"
        )
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes, one data folder (1)"
    )
    parser.add_argument("--hub", choices=HUBS, default="memory", help="notice hub (memory)")
    parser.add_argument(
        "--database-url", default="", help="BOARD_DATABASE_URL for the servers (SQLite)"
    )
    parser.add_argument(
        "--database-pid", type=int, default=0, help="the database's postmaster: count its CPU"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="1 process + memory, 1 + redis, --processes (at least 2) + redis + SQLite, "
        "and + --database-url if given, side by side",
    )
    args = parser.parse_args(argv)
    only = args.only or (COMPARED if args.compare else ",".join(SCENARIOS))
    chosen = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.compare:
        configs = the_four(max(2, args.processes), args.database_url, args.database_pid)
    else:
        configs = [Config(args.processes, args.hub, args.database_url, args.database_pid)]
    options = Options(
        args.quick,
        args.profile,
        args.switch_phones,
        args.storm_phones,
        args.burst_phones,
        args.idle_phones,
    )
    return options, chosen, configs


def main(argv: list[str] | None = None) -> int:
    options, chosen, configs = parse_args(argv)
    raise_fd_limit()  # the servers inherit it
    runs: list[tuple[Config, list[Result]]] = []
    for config in configs:
        ran = replace(options, config=config)  # the floors stay shared
        runs.append((config, [result for name in chosen for result in SCENARIOS[name](ran)]))
    for config, results in runs:
        print(f"\n== {config.name}\n")
        report(results)
    if len(runs) > 1:
        print("\n== side by side\n")
        compare.report(runs)
    return 1 if any(r.missing for _, results in runs for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
