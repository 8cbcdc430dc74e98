"""Fan-out benchmark: phones send cards, boards show them; how long until every board has them?

    python bench/fanout.py --scenario both     # the two default scenarios
    python bench/fanout.py --scenario large --rate 20 --seconds 30
    python bench/fanout.py --phones 100 --boards 3

Each scenario starts its own server (``python -m board serve``) on 127.0.0.1 with a
fresh data folder, creates a workshop, joins the phones over HTTP, then connects
the sockets from separate processes: one process per board, one per
``PHONES_PER_PROCESS`` phones. A sender process posts cards at a fixed rate
(open loop: a slow server does not slow the schedule down) from randomly chosen
joined phones. Every card text carries a marker ``bench-N``; each board records
the first frame in which the marker appears. All processes are on this machine
and stamp times with ``time.time()``, so latency = arrival on a board − submit.

Printed: per scenario the cards sent, acknowledged (HTTP 200) and seen by every
board; p50/p99/max latency over all (card, board) pairs; the server's RSS before
and after the sockets connect (KiB per connection) and its CPU time while the
cards were sent. The exit status is 1 when an acknowledged card never reached a board.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing as mp
import os
import queue
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from http.cookiejar import CookieJar, DefaultCookiePolicy
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
COLOURS = ("yellow", "white", "orange", "green", "blue", "pink")  # board.cards.COLOURS
IDEAS = ("more breaks", "shorter meetings", "clear goals", "coffee", "a real kickoff")
MARKER = re.compile(r'class="card__text">bench-(\d+)\b')

PHONES_PER_PROCESS = 250
CONNECT_BATCH = 50  # sockets opened at once; the rest wait for the batch
JOIN_CONCURRENCY = 16
HTTP_TIMEOUT = 15.0  # bounds every request, so the sender always finishes
STARTUP_DEADLINE = 30.0
CONNECT_DEADLINE = 120.0
DRAIN_DEADLINE = 15.0  # after the last ack, time the boards get to show every card
SETTLE_SECONDS = 2.0  # let presence frames and allocations settle before measuring
SERVER_ENV = {
    "BOARD_CARDS_PER_MINUTE": "10000",  # the highest value the settings accept
    "BOARD_REQUESTS_PER_MINUTE": "100000",
    "BOARD_SECRET_KEY": "bench-secret-key",
}


@dataclass(frozen=True)
class Scenario:
    phones: int
    boards: int
    rate: float
    seconds: float

    @property
    def name(self) -> str:
        plural = "" if self.boards == 1 else "s"
        return f"{self.phones} phones / {self.boards} board{plural}"

    @property
    def cards(self) -> int:
        return int(self.rate * self.seconds)


SCENARIOS = {
    "small": Scenario(phones=30, boards=1, rate=10, seconds=20),
    "large": Scenario(phones=500, boards=2, rate=10, seconds=20),
}


# -- this machine -------------------------------------------------------------
def raise_fd_limit() -> None:
    """Hundreds of sockets per process: lift the soft limit to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = 65536 if hard == resource.RLIM_INFINITY else hard  # Linux refuses "unlimited"
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system time of the process and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def py_spy(pid: int, path: Path, say: Callable[[str], None]) -> Iterator[None]:
    """py-spy samples the process (raw stacks into ``path``) while the block runs."""
    # py-spy comes with the bench extra, beside this Python if the venv is not activated.
    spy_path = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [spy_path, "record", "-p", str(pid), "-r", "100", "-f", "raw", "-o", str(path)]
    spy = subprocess.Popen(
        [*command, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
        say(f"profile in {path}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# -- the server -----------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_server(folder: Path, name: str = "server", env: dict[str, str] | None = None) -> Server:
    """``python -m board serve`` on a free port, its data in ``folder``/data (shared by every
    server started on ``folder``), its log in ``folder``/``name``.log; ``env`` adds settings."""
    port, data, log = free_port(), folder / "data", folder / f"{name}.log"
    command = [sys.executable, "-m", "board", "serve", "--host", HOST, "--port", str(port)]
    command += ["--data", str(data)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=os.environ | SERVER_ENV | (env or {}), stdout=out, stderr=out
        )
    return Server(process, port, data, log)


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    with httpx.Client(base_url=server.base, trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited with {server.process.returncode}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"server not healthy after {STARTUP_DEADLINE:.0f} s")


def stop_server(server: Server) -> None:
    end_process(server.process)


def end_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it is still there 10 s later."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# -- HTTP: the room ---------------------------------------------------------------
def http_client(base: str, connections: int = 32) -> httpx.AsyncClient:
    # No cookie jar: every phone is a different person, cookies go in by hand.
    return httpx.AsyncClient(
        base_url=base,
        headers={"Origin": base},
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        trust_env=False,  # stay on 127.0.0.1 whatever proxy the environment names
        timeout=HTTP_TIMEOUT,
        limits=httpx.Limits(max_connections=connections),
    )


def cookie_of(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        key, _, rest = header.partition("=")
        if key.strip() == name:
            return rest.split(";", 1)[0]
    raise RuntimeError(f"{response.request.url}: no cookie {name} ({response.status_code})")


def expect(response: httpx.Response, status: int) -> httpx.Response:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: "
            f"{response.status_code}, expected {status}: {response.text[:200]}"
        )
    return response


async def set_up_room(base: str, phones: int, bases: Sequence[str] = ()) -> tuple[str, list[str]]:
    """Create a workshop whose cards the room sees, and join the phones (through ``bases``
    in turn if given); their cookies."""
    async with http_client(base) as client:
        form = {"title": "Fan-out bench", "question": "What would make our meetings better?"}
        created = expect(await client.post("/workshops", data=form), 303)
        code = created.headers["location"].split("/")[2]
        trainer = {"Cookie": f"mb_t_{code}={cookie_of(created, f'mb_t_{code}')}"}
        for action in ("open", "unhide"):  # the defaults already, made explicit
            expect(await client.post(f"/w/{code}/t/{action}", headers=trainer), 204)
        # A plain card step offers one colour; the bench's cards come in all six.
        every = {f"colour_{colour}": "on" for colour in COLOURS}
        expect(await client.post(f"/w/{code}/t/card-colours", data=every, headers=trainer), 204)
        tokens = await join_phones(client, code, phones, bases)
    return code, tokens


async def join_phones(
    client: httpx.AsyncClient, code: str, phones: int, bases: Sequence[str] = ()
) -> list[str]:
    """Join ``phones`` people with ``GET /join/{code}``; their participant cookies.

    With ``bases`` (several server processes), phone k joins through ``bases[k % n]``."""
    limit = asyncio.Semaphore(JOIN_CONCURRENCY)

    async def join(phone: int) -> str:
        url = f"{bases[phone % len(bases)]}/join/{code}" if bases else f"/join/{code}"
        async with limit:
            joined = expect(await client.get(url), 303)
            return cookie_of(joined, f"mb_p_{code}")

    return list(await asyncio.gather(*(join(phone) for phone in range(phones))))


# -- sockets ------------------------------------------------------------------------
def ws_connect(base: str, code: str, role: str, cookie: str | None = None) -> connect:
    headers = {"Cookie": cookie} if cookie else {}
    return connect(
        f"{base.replace('http://', 'ws://', 1)}/w/{code}/ws?role={role}",
        origin=Origin(base),
        additional_headers=headers,
        compression=None,  # the server refuses per-message deflate anyway
        proxy=None,
        open_timeout=30,
        max_size=None,
    )


async def until_set(stop: Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.1)


async def watch_board(
    base: str, code: str, out: Queue[Any], stop: Event, count: Synchronized[int]
) -> dict[str, Any]:
    seen: dict[int, float] = {}
    frames = size = 0
    closed = ""
    try:
        ws = await ws_connect(base, code, "board")
    except Exception as error:
        out.put(("ready", "board", 0, 1, repr(error)))
        raise
    out.put(("ready", "board", 1, 0, ""))
    async with ws:
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 0.2)
            except TimeoutError:
                continue
            except ConnectionClosed as error:
                closed = f"closed by server: {error}"
                break
            now = time.time()
            frames += 1
            size += len(text)
            for match in MARKER.finditer(str(text)):
                seen.setdefault(int(match[1]), now)
            count.value = len(seen)
    return {"seen": seen, "frames": frames, "bytes": size, "closed": closed}


def board_main(
    index: int, base: str, code: str, out: Queue[Any], stop: Event, count: Synchronized[int]
) -> None:
    raise_fd_limit()
    result = asyncio.run(watch_board(base, code, out, stop, count))
    out.put(("board", index, result))


async def hold_phones(
    base: str, code: str, tokens: list[str], out: Queue[Any], stop: Event
) -> dict[str, Any]:
    """Keep the phones' sockets open as the room would; read and discard their frames."""
    sockets: list[ClientConnection] = []
    failures: list[str] = []
    for start in range(0, len(tokens), CONNECT_BATCH):
        batch = tokens[start : start + CONNECT_BATCH]
        opened = await asyncio.gather(
            *(ws_connect(base, code, "phone", f"mb_p_{code}={t}") for t in batch),
            return_exceptions=True,
        )
        sockets += [ws for ws in opened if isinstance(ws, ClientConnection)]
        failures += [repr(e) for e in opened if isinstance(e, BaseException)]
    out.put(("ready", "phones", len(sockets), len(failures), failures[0] if failures else ""))
    tally = {"frames": 0, "bytes": 0, "dropped": 0}

    async def discard(ws: ClientConnection) -> None:
        try:
            async for message in ws:
                tally["frames"] += 1
                tally["bytes"] += len(message)
        except ConnectionClosed:
            pass
        if not stop.is_set():
            tally["dropped"] += 1

    readers = [asyncio.create_task(discard(ws)) for ws in sockets]
    await until_set(stop)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)
    return tally


def phones_main(
    index: int, base: str, code: str, tokens: list[str], out: Queue[Any], stop: Event
) -> None:
    raise_fd_limit()
    out.put(("phones", index, asyncio.run(hold_phones(base, code, tokens, out, stop))))


# -- the sender -------------------------------------------------------------------------
Post = tuple[int, float, float, int]  # card number, submitted, answered, HTTP status


async def send_cards(
    bases: Sequence[str], code: str, tokens: list[str], rate: float, total: int, seed: int
) -> list[Post]:
    """Post ``total`` cards at ``rate``/s; (number, submitted, answered, status) for each.
    Phone k posts to ``bases[k % n]``, the server process it joined through."""
    rng = random.Random(seed)
    nonce = uuid.uuid4().hex[:8]

    async def post(client: httpx.AsyncClient, number: int) -> Post:
        form = {
            "text": f"bench-{number} {rng.choice(IDEAS)}",
            "colour": rng.choice(COLOURS),
            "client_id": f"bench-{nonce}-{number}",
        }
        phone = rng.randrange(len(tokens))
        base = bases[phone % len(bases)]
        headers = {"Cookie": f"mb_p_{code}={tokens[phone]}", "Origin": base}
        submitted = time.time()
        try:
            answer = await client.post(f"{base}/w/{code}/cards", data=form, headers=headers)
            status = answer.status_code
        except httpx.HTTPError:
            status = 0
        return number, submitted, time.time(), status

    async with http_client(bases[0], connections=64 * len(bases)) as client:
        start = time.monotonic()
        tasks = []
        for number in range(total):
            await asyncio.sleep(max(0.0, start + number / rate - time.monotonic()))
            tasks.append(asyncio.create_task(post(client, number)))
        return list(await asyncio.gather(*tasks))


def sender_main(
    bases: Sequence[str], code: str, tokens: list[str], rate: float, total: int, out: Queue[Any]
) -> None:
    raise_fd_limit()
    out.put(("sender", 0, asyncio.run(send_cards(bases, code, tokens, rate, total, seed=42))))


# -- one scenario ------------------------------------------------------------------------
@dataclass
class Outcome:
    scenario: Scenario
    posts: list[Post]
    boards: list[dict[str, Any]]
    phones: list[dict[str, Any]]
    failed_connects: int
    rss_idle: int
    rss_connected: int
    rss_end: int
    connect_cpu: float
    send_cpu: float
    send_wall: float

    @property
    def acked(self) -> dict[int, float]:
        """Submit time of each acknowledged card."""
        return {number: sent for number, sent, _, status in self.posts if status == 200}

    @property
    def latencies_ms(self) -> list[float]:
        """Board arrival − submit for each (acknowledged card, board), ascending."""
        return sorted(
            (board["seen"][number] - sent) * 1000
            for board in self.boards
            for number, sent in self.acked.items()
            if number in board["seen"]
        )

    @property
    def ack_ms(self) -> list[float]:
        return sorted((answered - sent) * 1000 for _, sent, answered, ok in self.posts if ok == 200)

    @property
    def seen_by_all(self) -> int:
        return sum(1 for n in self.acked if all(n in board["seen"] for board in self.boards))

    def missing(self) -> dict[int, list[int]]:
        """Acknowledged cards a board never showed, by board."""
        acked = set(self.acked)
        gaps = {i: sorted(acked - set(board["seen"])) for i, board in enumerate(self.boards)}
        return {i: numbers for i, numbers in gaps.items() if numbers}

    @property
    def dropped(self) -> int:
        """Sockets the server closed during the run (for example as too slow)."""
        phones: int = sum(p["dropped"] for p in self.phones)
        return phones + sum(bool(b["closed"]) for b in self.boards)


class Inbox:
    """Reports from the children, by kind, in whatever order they arrive."""

    def __init__(self, out: Queue[Any]) -> None:
        self.out = out
        self.held: list[tuple[Any, ...]] = []

    def take(self, kinds: set[str], count: int, seconds: float) -> list[tuple[Any, ...]]:
        """``count`` reports of ``kinds``, or an error after ``seconds``."""
        deadline = time.monotonic() + seconds
        taken = [m for m in self.held if m[0] in kinds][:count]
        self.held = [m for m in self.held if not any(m is t for t in taken)]
        while len(taken) < count:
            try:
                message = self.out.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                missing = count - len(taken)
                raise RuntimeError(
                    f"no {missing} {'/'.join(kinds)} report(s) in {seconds:.0f} s"
                ) from None
            (taken if message[0] in kinds else self.held).append(message)
        return taken


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def log(scenario: Scenario, text: str) -> None:
    print(f"[{scenario.name}] {text}", file=sys.stderr, flush=True)


class Children:
    """The client processes of one scenario, all stopped when it ends."""

    def __init__(self) -> None:
        self.ctx: SpawnContext = mp.get_context("spawn")
        self.out: Queue[Any] = self.ctx.Queue()
        self.stop = self.ctx.Event()
        self.processes: list[SpawnProcess] = []
        self.inbox = Inbox(self.out)

    def start(self, target: Callable[..., None], *args: Any) -> None:
        process = self.ctx.Process(target=target, args=args, daemon=True)
        process.start()
        self.processes.append(process)

    def end(self) -> None:
        self.stop.set()
        for process in self.processes:
            process.join(15)
            if process.is_alive():
                process.terminate()
                process.join(5)


def run(scenario: Scenario) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="board-bench-") as folder:
        server = start_server(Path(folder))
        children = Children()
        try:
            return measure(scenario, server, children)
        except Exception:
            print(f"server log:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            children.end()
            stop_server(server)


def open_sockets(
    scenario: Scenario, server: Server, code: str, tokens: list[str], children: Children
) -> tuple[list[Synchronized[int]], int, int]:
    """Boards and phones connected: the boards' counters, phone processes, failed sockets."""
    counters = [children.ctx.Value("i", 0) for _ in range(scenario.boards)]
    for index, counter in enumerate(counters):
        children.start(board_main, index, server.base, code, children.out, children.stop, counter)
    shares = [tokens[i : i + PHONES_PER_PROCESS] for i in range(0, len(tokens), PHONES_PER_PROCESS)]
    for index, share in enumerate(shares):
        children.start(phones_main, index, server.base, code, share, children.out, children.stop)
    failed = 0
    for _, role, _, failures, error in children.inbox.take(
        {"ready"}, len(counters) + len(shares), CONNECT_DEADLINE
    ):
        if failures and role == "board":
            raise RuntimeError(f"a board could not connect: {error}")
        if failures:
            log(scenario, f"{failures} phone socket(s) failed to connect, e.g. {error}")
        failed += failures
    return counters, len(shares), failed


def measure(scenario: Scenario, server: Server, children: Children) -> Outcome:
    wait_healthy(server)
    log(scenario, f"server pid {server.pid} on port {server.port}; joining phones")
    code, tokens = asyncio.run(set_up_room(server.base, scenario.phones))
    time.sleep(SETTLE_SECONDS)
    rss_idle, cpu_idle = rss_kib(server.pid), cpu_seconds(server.pid)

    counters, phone_processes, failed = open_sockets(scenario, server, code, tokens, children)
    time.sleep(SETTLE_SECONDS)
    rss_connected, cpu_connected = rss_kib(server.pid), cpu_seconds(server.pid)
    log(scenario, f"sockets open; sending {scenario.cards} cards at {scenario.rate:g}/s")

    started = time.monotonic()
    total = scenario.cards
    children.start(sender_main, (server.base,), code, tokens, scenario.rate, total, children.out)
    wait = scenario.seconds + 2 * HTTP_TIMEOUT + 30
    [(_, _, posts)] = children.inbox.take({"sender"}, 1, wait)
    acked = sum(1 for *_, status in posts if status == 200)
    wait_until(lambda: all(c.value >= acked for c in counters), DRAIN_DEADLINE)
    send_wall = time.monotonic() - started
    cpu_end, rss_end = cpu_seconds(server.pid), rss_kib(server.pid)

    children.stop.set()
    reports = children.inbox.take({"board", "phones"}, len(counters) + phone_processes, 60)
    boards = [report for kind, _, report in sorted(reports, key=lambda r: r[1]) if kind == "board"]
    refused = sorted({status for *_, status in posts if status != 200})
    if refused:
        log(scenario, f"{total - acked} card(s) not acknowledged; statuses {refused}")
    return Outcome(
        scenario=scenario,
        posts=posts,
        boards=boards,
        phones=[report for kind, _, report in reports if kind == "phones"],
        failed_connects=failed,
        rss_idle=rss_idle,
        rss_connected=rss_connected,
        rss_end=rss_end,
        connect_cpu=cpu_connected - cpu_idle,
        send_cpu=cpu_end - cpu_connected,
        send_wall=send_wall,
    )


# -- output -------------------------------------------------------------------------------
COLUMNS = (
    ("scenario", "<24"),
    ("phones", ">6"),
    ("boards", ">6"),
    ("sent", ">5"),
    ("acked", ">5"),
    ("seen by all", ">11"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("max ms", ">7"),
    ("RSS before MiB", ">14"),
    ("RSS after MiB", ">13"),
    ("KiB/conn", ">8"),
    ("CPU s", ">6"),
)
DETAILS = (
    ("scenario", "<24"),
    ("ack p50 ms", ">10"),
    ("ack p99 ms", ">10"),
    ("frames/board", ">12"),
    ("KiB/frame", ">9"),
    ("phone frames", ">12"),
    ("dropped", ">7"),
    ("RSS end MiB", ">11"),
    ("connect CPU s", ">13"),
    ("send CPU %", ">10"),
)


def row(spec: tuple[tuple[str, str], ...], cells: list[object]) -> str:
    return "  ".join(f"{cell:{fmt}}" for cell, (_, fmt) in zip(cells, spec, strict=True))


def table(spec: tuple[tuple[str, str], ...], rows: list[list[object]]) -> str:
    header = row(spec, [name for name, _ in spec])
    return "\n".join([header, "-" * len(header), *(row(spec, r) for r in rows)])


def main_row(o: Outcome) -> list[object]:
    s, lat, connections = o.scenario, o.latencies_ms, o.scenario.phones + o.scenario.boards
    return [
        s.name,
        s.phones,
        s.boards,
        len(o.posts),
        len(o.acked),
        o.seen_by_all,
        f"{percentile(lat, 50):.1f}",
        f"{percentile(lat, 99):.1f}",
        f"{max(lat, default=math.nan):.1f}",
        f"{o.rss_idle / 1024:.1f}",
        f"{o.rss_connected / 1024:.1f}",
        f"{(o.rss_connected - o.rss_idle) / connections:.1f}",
        f"{o.send_cpu:.2f}",
    ]


def detail_row(o: Outcome) -> list[object]:
    frames = sum(b["frames"] for b in o.boards)
    per_frame = sum(b["bytes"] for b in o.boards) / max(1, frames) / 1024
    return [
        o.scenario.name,
        f"{percentile(o.ack_ms, 50):.1f}",
        f"{percentile(o.ack_ms, 99):.1f}",
        f"{frames / max(1, len(o.boards)):.0f}",
        f"{per_frame:.1f}",
        sum(p["frames"] for p in o.phones),
        o.dropped + o.failed_connects,
        f"{o.rss_end / 1024:.1f}",
        f"{o.connect_cpu:.2f}",
        f"{100 * o.send_cpu / o.send_wall:.0f}",
    ]


def report(outcomes: list[Outcome]) -> bool:
    """Print the tables; whether every acknowledged card reached every board."""
    print(table(COLUMNS, [main_row(o) for o in outcomes]))
    print()
    print(table(DETAILS, [detail_row(o) for o in outcomes]))
    complete = True
    for o in outcomes:
        missing = o.missing()
        if missing or o.seen_by_all != len(o.acked):
            complete = False
            for board, numbers in missing.items():
                print(f"{o.scenario.name}: board {board} never showed cards {numbers[:20]}")
    print()
    print("every acknowledged card was seen by every board" if complete else "CARDS MISSING")
    return complete


# -- command line -------------------------------------------------------------------------
def bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{raw} is not between {low:g} and {high:g}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        choices=("small", "large", "both"),
        help="small: 30 phones / 1 board; large: 500 phones / 2 boards (default both)",
    )
    parser.add_argument("--phones", type=bounded(int, 1, 2000), help="phones (overrides)")
    parser.add_argument("--boards", type=bounded(int, 1, 20), help="boards (overrides)")
    parser.add_argument("--rate", type=bounded(float, 0.1, 200), help="cards/s (default 10)")
    parser.add_argument("--seconds", type=bounded(float, 1, 300), help="duration (default 20)")
    return parser.parse_args(argv)


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The chosen scenarios with the figures given on the command line."""
    custom = args.scenario is None and (args.phones or args.boards)
    names = ["small"] if custom else ["small", "large"]
    if args.scenario in SCENARIOS:
        names = [args.scenario]
    overrides = {
        name: value
        for name in ("phones", "boards", "rate", "seconds")
        if (value := getattr(args, name)) is not None
    }
    return [replace(SCENARIOS[name], **overrides) for name in names]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit()  # the server inherits it
    outcomes = [run(scenario) for scenario in scenarios(args)]
    print()
    return 0 if report(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
