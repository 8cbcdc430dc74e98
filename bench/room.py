"""The workshop of ``bench/load.py``: a trainer and thirty phones for about thirty seconds.

Runs in a process of its own. It holds the trainer's console socket (``role=trainer``)
and reads card, cluster and step ids from its frames, as the console's JavaScript
would. It posts what the room does, in this order: cards; edits of own cards; a hidden
round (``/t/hide``, cards, ``/t/reveal``); clusters and card moves; the exercise
``kunde-koenig`` added to the agenda and its scale vote; ``8ps-beziehungsmarketing``
added and its dot vote. Every action is noted with the times it was sent and
acknowledged, and with what shows it on the board (:data:`Expect`).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.queues import Queue
from typing import Any

import httpx
from burst import OPTION, STEP_ID, Burst, plan_votes
from fanout import COLOURS, IDEAS, http_client, raise_fd_limit
from screens import Key, Watch, open_socket

# What shows an action on a board: ("key", key), all of ("keys", [key, …]), or
# ("atleast", prefix, n): a key prefix + (value,) with value ≥ n, for counts.
Expect = tuple[Any, ...]

CARDS, EDITS, HIDDEN_CARDS, CLUSTERS, MOVES, DOTS = 45, 10, 15, 3, 15, 3
PAUSE = 0.5  # between the parts, as a trainer would take a breath
ID_DEADLINE = 15.0  # for an id to show up on the console
SEED = 30

# The console (templates/_card.html, _wall_clusters.html, console/_agenda.html).
CONSOLE_CARD = re.compile(
    r'data-card="([^"]+)"[^>]*>\s*<p class="card__text">bench(?:edit)?-(\d+)\b'
)
# A cluster of the console's sorter (templates/kinds/cards/console.html): its id, then
# the name on its heading button.
CONSOLE_CLUSTER = re.compile(
    r'class="cluster cluster--target" data-cluster="([^"]+)"'
    r'.*?<span class="cluster__name">([^<]*)</span>',
    re.S,
)
AGENDA_STEP = re.compile(r'<li class="agenda__step[^"]*" data-step="([^"]+)"')


@dataclass
class Action:
    kind: str
    expect: Expect | None
    submitted: float
    acked: float
    status: int
    step: str | None = None  # a step switch: the step every phone must show

    @property
    def ok(self) -> bool:
        return self.status in (200, 204)


class Console:
    """The ids the trainer's console shows, and when its frames came."""

    def __init__(self) -> None:
        self.cards: dict[int, str] = {}
        self.clusters: dict[str, str] = {}
        self.steps: list[str] = []
        self.times: list[float] = []

    async def read(self, watch: Watch) -> None:
        async with open_socket(watch, watch.cookies[0]) as ws:
            async for message in ws:
                self.times.append(time.time())
                self.note(str(message))

    def note(self, text: str) -> None:
        self.cards |= {int(n): card_id for card_id, n in CONSOLE_CARD.findall(text)}
        self.clusters |= {heading: cid for cid, heading in CONSOLE_CLUSTER.findall(text)}
        if 'id="agenda"' in text:
            self.steps = AGENDA_STEP.findall(text)

    async def until(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + ID_DEADLINE
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the console never showed {what}")
            await asyncio.sleep(0.01)


async def paced(
    calls: Sequence[Callable[[], Coroutine[Any, Any, Action]]], seconds: float
) -> list[Action]:
    """Start the calls evenly over ``seconds`` without waiting for answers (open loop)."""
    start, tasks = time.monotonic(), list[asyncio.Task[Action]]()
    for index, call in enumerate(calls):
        await asyncio.sleep(max(0.0, start + index * seconds / len(calls) - time.monotonic()))
        tasks.append(asyncio.create_task(call()))
    return list(await asyncio.gather(*tasks))


def ranked(actions: list[Action], prefix: Key, base: int) -> list[Action]:
    """Counted actions: the n-th acknowledgement is shown by a count of at least base + n."""
    for rank, action in enumerate(sorted((a for a in actions if a.ok), key=lambda a: a.acked)):
        action.expect = ("atleast", prefix, base + rank + 1)
    return actions


class Room:
    """Posts as the phones and as the trainer; notes each action."""

    def __init__(self, client: httpx.AsyncClient, code: str, trainer: str, tokens: list[str]):
        self.client, self.code, self.trainer_token, self.tokens = client, code, trainer, tokens
        self.rng = random.Random(SEED)
        self.owners: dict[int, int] = {}  # card number → phone

    async def post(self, kind: str, path: str, form: dict[str, str], cookie: str) -> Action:
        submitted = time.time()
        try:
            response = await self.client.post(path, data=form, headers={"Cookie": cookie})
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        return Action(kind, None, submitted, time.time(), status)

    async def phone(self, who: int, kind: str, path: str, form: dict[str, str]) -> Action:
        cookie = f"mb_p_{self.code}={self.tokens[who]}"
        return await self.post(kind, f"/w/{self.code}{path}", form, cookie)

    async def trainer(self, kind: str, action: str, form: dict[str, str] | None = None) -> Action:
        cookie = f"mb_t_{self.code}={self.trainer_token}"
        return await self.post(kind, f"/w/{self.code}/t/{action}", form or {}, cookie)

    async def card(self, number: int, kind: str) -> Action:
        who = self.owners.setdefault(number, self.rng.randrange(len(self.tokens)))
        form = {
            "text": f"bench-{number} {self.rng.choice(IDEAS)}",
            "colour": self.rng.choice(COLOURS),
            "client_id": f"load-{self.code}-{number}",
        }
        action = await self.phone(who, kind, "/cards", form)
        action.expect = ("key", ("card", number))
        return action

    async def edit(self, number: int, card_id: str) -> Action:
        form = {"text": f"benchedit-{number} {self.rng.choice(IDEAS)}", "colour": "blue"}
        action = await self.phone(self.owners[number], "edit", f"/cards/{card_id}", form)
        action.expect = ("key", ("edit", number))
        return action

    async def move(self, number: int, card_id: str, heading: str, cluster_id: str) -> Action:
        form = {"card_id": card_id, "cluster_id": cluster_id}
        action = await self.trainer("card move", "card-move", form)
        action.expect = ("key", ("in", number, cluster_id))
        return action

    async def vote(self, who: int, kind: str, form: dict[str, str]) -> Action:
        return await self.phone(who, kind, "/vote", form)


async def cards_and_edits(room: Room, console: Console) -> list[Action]:
    actions = await paced([partial(room.card, n, "card") for n in range(CARDS)], 7.0)
    acked = [n for n, a in enumerate(actions) if a.ok]
    await console.until("the cards' ids", lambda: set(acked) <= set(console.cards))
    await asyncio.sleep(PAUSE)
    chosen = room.rng.sample(acked, min(EDITS, len(acked)))
    edits = [partial(room.edit, n, console.cards[n]) for n in chosen]
    return actions + await paced(edits, 2.0)


async def hidden_round(room: Room, visible: int) -> list[Action]:
    """Hide, cards the room does not see yet (the board counts them), reveal."""
    await asyncio.sleep(PAUSE)
    hide = await room.trainer("hide", "hide")
    hide.expect = ("key", ("count", "cards", visible))
    numbers = range(CARDS, CARDS + HIDDEN_CARDS)
    cards = await paced([partial(room.card, n, "hidden card") for n in numbers], 4.0)
    ranked(cards, ("count", "cards"), visible)
    await asyncio.sleep(PAUSE)
    reveal = await room.trainer("reveal", "reveal")
    reveal.expect = ("keys", [("card", n) for n, a in zip(numbers, cards, strict=True) if a.ok])
    return [hide, *cards, reveal]


async def clustering(room: Room, console: Console, edited: set[int]) -> list[Action]:
    await asyncio.sleep(PAUSE)
    actions = []
    for k in range(1, CLUSTERS + 1):
        action = await room.trainer("new cluster", "cluster-new", {"heading": f"bench-cluster-{k}"})
        action.expect = ("key", ("cluster", f"bench-cluster-{k}"))
        actions.append(action)
    headings = [f"bench-cluster-{k}" for k in range(1, CLUSTERS + 1)]
    await console.until("the clusters", lambda: set(headings) <= set(console.clusters))
    movable = sorted(set(console.cards) - edited)
    chosen = [
        (n, room.rng.choice(headings)) for n in room.rng.sample(movable, min(MOVES, len(movable)))
    ]
    moves = [partial(room.move, n, console.cards[n], h, console.clusters[h]) for n, h in chosen]
    return actions + await paced(moves, 4.0)


async def go_to(room: Room, console: Console, exercise: str, index: int, kind: str) -> list[Action]:
    """Add an exercise to the agenda and go to its first step (the ``index``-th)."""
    await asyncio.sleep(PAUSE)
    added = await room.trainer("agenda add", "agenda-add", {"exercise": exercise})
    await console.until(f"step {index + 1} of the agenda", lambda: len(console.steps) > index)
    step_id = console.steps[index]
    if index == 1:
        switch = await room.trainer("step switch", "step-next")
    else:
        switch = await room.trainer("step switch", "step-go", {"step_id": step_id})
    switch.expect, switch.step = ("key", ("kind", kind)), step_id
    return [added, switch]


async def scale_vote(room: Room, step_id: str) -> list[Action]:
    """Everyone places their dot on the scale; the board counts the votes (hidden)."""
    votes = [
        partial(room.vote, who, "scale vote", {"step_id": step_id, "value": str(value)})
        for who, value in enumerate(room.rng.choices(range(5), k=len(room.tokens)))
    ]
    return ranked(await paced(votes, 3.0), ("count", "scale"), 0)


async def dot_vote(room: Room, step_id: str) -> list[Action]:
    """Everyone spends ``DOTS`` dots; the board's ranking sums them."""
    page = await room.client.get(
        f"/w/{room.code}", headers={"Cookie": f"mb_p_{room.code}={room.tokens[0]}"}
    )
    step, options = STEP_ID.search(page.text), list(dict.fromkeys(OPTION.findall(page.text)))
    if step is None or step[1] != step_id or not options:
        raise RuntimeError("the phone page shows no dot vote")
    plan = plan_votes(Burst(len(room.tokens), 1, DOTS, 3.0), options)
    votes = [
        partial(room.vote, who, "dot", {"step_id": step_id, "option": option, "delta": "1"})
        for _, who, option in plan
    ]
    return ranked(await paced(votes, 3.0), ("dots",), 0)


async def play(base: str, code: str, trainer: str, tokens: list[str]) -> dict[str, Any]:
    console = Console()
    url = f"{base.replace('http://', 'ws://', 1)}/w/{code}/ws?role=trainer"
    watch = Watch(url, base, (f"mb_t_{code}={trainer}",), "board", "")
    reader = asyncio.create_task(console.read(watch))
    try:
        async with http_client(base) as client:
            room = Room(client, code, trainer, tokens)
            # A plain card step offers one colour; the bench's cards come in all six.
            every = {f"colour_{colour}": "on" for colour in COLOURS}
            offered = await room.trainer("colours", "card-colours", every)
            if not offered.ok:
                raise RuntimeError(f"the trainer could not offer every colour: {offered.status}")
            actions = await cards_and_edits(room, console)
            edited = {a.expect[1][1] for a in actions if a.kind == "edit" and a.expect}
            visible = sum(1 for a in actions if a.kind == "card" and a.ok)
            actions += await hidden_round(room, visible)
            actions += await clustering(room, console, edited)
            actions += await go_to(room, console, "kunde-koenig", 1, "scale")
            actions += await scale_vote(room, console.steps[1])
            # The 8 Ps ask for the goal first (step 5), then weigh the instruments (6).
            actions += await go_to(room, console, "8ps-beziehungsmarketing", 6, "dots")
            actions += await dot_vote(room, console.steps[6])
            await asyncio.sleep(PAUSE)
    finally:
        reader.cancel()
    return {"actions": actions, "console": console.times}


def room_main(base: str, code: str, trainer: str, tokens: list[str], out: Queue[Any]) -> None:
    """Entry point of the workshop process; reports ``("room", 0, result)``."""
    raise_fd_limit()
    try:
        result = asyncio.run(play(base, code, trainer, tokens))
    except Exception as error:  # the main process reports it and stops the run
        result = {"error": repr(error)}
    out.put(("room", 0, result))
