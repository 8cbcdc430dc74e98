"""The floor for ``bench/load.py``: the same frames, sent by a bare ``websockets`` server.

A scenario's screens note the sizes and arrival times of the frames their first board
and first phone got. :func:`run_floor` starts ``bench/floor_server.py``, connects as
many receivers as the scenario had (same processes, same client), and sends frames of
those sizes at the same moments (card storm, dot burst) or one switch after the other
once every phone has the last one (agenda switch). The latency is the same as ours:
until every receiver has the marked frame, here counted from the server's send.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crowd import (
    DRAIN_DEADLINE,
    SWITCH_DEADLINE,
    SWITCH_GAP,
    Crowd,
    Result,
    Seen,
    everywhere,
    latencies,
    log,
    wait_for,
    watches,
)
from fanout import (
    HOST,
    SETTLE_SECONDS,
    cpu_seconds,
    end_process,
    free_port,
    rss_kib,
    wait_until,
)
from screens import Sample
from websockets.asyncio.client import connect

BENCH = Path(__file__).resolve().parent
REPLAY_LEAD = 0.2


@contextlib.contextmanager
def floor_server(folder: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [sys.executable, str(BENCH / "floor_server.py"), "--port", str(port)]
    with (folder / "floor.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.5):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"floor server did not start: {process.returncode}")
            time.sleep(0.05)
        yield port, process
    finally:
        end_process(process)


# -- the floor ---------------------------------------------------------------------------
Frames = list[tuple[str, int, bool]]  # role, bytes, marked


@dataclass(frozen=True)
class FloorPlan:
    boards: int
    phones: int
    events: list[tuple[float, Frames]]  # seconds after the start, what to send
    paced: bool = False  # each event waits until every receiver has the one before

    def receivers(self, role: str) -> int:
        return self.boards if role == "board" else self.phones


def timed_plan(
    seen: Seen, start: float, end: float, marked: str, boards: int, phones: int
) -> FloorPlan:
    """Our first board's and first phone's frames between ``start`` and ``end``, as sent."""
    frames = [(t, "board", size) for t, size, _ in seen.sample("board")]
    frames += [(t, "phone", size) for t, size, _ in seen.sample("phone")]
    events = [
        (t - start, [(role, size, role == marked)])
        for t, role, size in sorted(frames)
        if start <= t <= end
    ]
    return FloorPlan(boards, phones, events)


async def replay(port: int, plan: FloorPlan, crowd: Crowd) -> dict[int, float]:
    """Send the plan's events through the control socket; when the server sent each."""
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
        start, delivered = time.monotonic() + REPLAY_LEAD, {"board": 0, "phone": 0}
        for tag, (offset, frames) in enumerate(plan.events):
            if not plan.paced:
                await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
            await ws.send(json.dumps({"tag": tag, "frames": frames}))
            if plan.paced:
                for role, _, marked in frames:
                    delivered[role] += marked
                await wait_for(lambda: all_delivered(plan, crowd, delivered), SWITCH_DEADLINE)
                await asyncio.sleep(SWITCH_GAP)
        await asyncio.wait_for(reader, DRAIN_DEADLINE)
    return sent


def all_delivered(plan: FloorPlan, crowd: Crowd, delivered: dict[str, int]) -> bool:
    return all(crowd.of(role) >= crowd.opened[role] * n for role, n in delivered.items())


def run_floor(name: str, plan: FloorPlan) -> Result:
    """The plan on the floor server: latency until every receiver has each marked frame."""
    marked = {
        tag: role for tag, (_, frames) in enumerate(plan.events) for role, _, m in frames if m
    }
    log(name, f"floor: {len(plan.events)} events to {plan.boards + plan.phones} sockets")
    with tempfile.TemporaryDirectory(prefix="board-floor-") as folder:
        with floor_server(Path(folder)) as (port, process):
            url = f"ws://{HOST}:{port}/?role="
            crowd = Crowd(
                watches(
                    lambda role: url + role, None, plan.boards, [""] * plan.phones, ("tag", "tag")
                )
            )
            try:
                crowd.open(f"{name} floor")
                time.sleep(SETTLE_SECONDS)
                cpu, started = cpu_seconds(process.pid), time.time()
                sent = asyncio.run(replay(port, plan, crowd))
                totals = {r: sum(1 for m in marked.values() if m == r) for r in ("board", "phone")}
                wait_until(lambda: all_delivered(plan, crowd, totals), DRAIN_DEADLINE)
                ended, cpu = time.time(), cpu_seconds(process.pid) - cpu
                rss = rss_kib(process.pid)
                seen = crowd.collect()
            finally:
                crowd.end()
    firsts = {role: seen.first(role) for role in ("board", "phone")}
    pairs = [
        (everywhere(firsts[role], ("tag", tag), plan.receivers(role)), sent.get(tag, math.inf))
        for tag, role in marked.items()
    ]
    shown, missing = latencies(pairs)
    return Result(
        f"{name} floor",
        plan.boards + plan.phones,
        len(marked),
        shown,
        missing,
        seen.frames(started, ended),
        ended - started,
        cpu,
        rss,
    )


def floor_memory(name: str, sockets: int, per_process: int) -> float:
    """The floor server's RSS growth per idle socket (KiB), sockets opened as ours were."""
    with tempfile.TemporaryDirectory(prefix="board-floor-") as folder:
        with floor_server(Path(folder)) as (port, process):
            url = f"ws://{HOST}:{port}/?role="
            cookies = [""] * sockets
            kw = {"per_process": per_process}
            crowd = Crowd(watches(lambda role: url + role, None, 0, cookies, ("tag", "tag"), **kw))
            try:
                time.sleep(SETTLE_SECONDS)
                before = rss_kib(process.pid)
                crowd.open(f"{name} floor")
                time.sleep(SETTLE_SECONDS)
                after = rss_kib(process.pid)
                opened = crowd.collect().sockets("phone")
            finally:
                crowd.end()
    return (after - before) / max(1, opened)


def switch_frames(sample: list[Sample], targets: list[str]) -> list[list[int]]:
    """The sizes of the frames a phone got for each switch, the step's frame last."""
    found: list[list[int]] = []
    position = next((i for i, (_, _, step) in enumerate(sample) if step), -1)
    for target in targets:
        end = next((i for i in range(position + 1, len(sample)) if sample[i][2] == target), None)
        if end is None:
            break
        found.append([size for _, size, _ in sample[position + 1 : end + 1]])
        position = end
    return found


def switch_plan(sample: list[Sample], targets: list[str], phones: int) -> FloorPlan:
    """The cheapest way to deliver what a phone got for each switch: one frame per socket
    carrying all of it (however many frames the board sent), timed when it arrives."""
    events: list[tuple[float, Frames]] = [
        (0.0, [("phone", sum(sizes), True)]) for sizes in switch_frames(sample, targets)
    ]
    return FloorPlan(0, phones, events, paced=True)
