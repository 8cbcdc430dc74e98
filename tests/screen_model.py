"""A screen as a browser holds it: the frames of a socket swapped in as htmx does.

Each frame's top-level elements are out-of-band swaps (the ws extension swaps every
one, ``hx-swap-oob`` or ``true``): ``true`` replaces the element of the same id,
``delete`` removes it, ``beforeend:#sel``/``afterbegin:#sel``/``afterend:#sel`` put the
element's children there (``#a>#b``: the #b inside #a). What static/js/live.js adds:
a card frame made from another wall than the one shown is not applied and a resync is
asked for; so is one whose card or container is missing; a section carrying an older
``data-seq`` than the one shown is not swapped in.

:meth:`Screen.shows` is what the screen shows, whitespace and the server's clock left
out, to compare with a screen loaded from a fresh full render. Whatever a frame does
that a browser would show wrong is noted in ``faults``: a card put in twice, a seq
going backwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()
)  # elements without an end tag
WALL_FRAME = re.compile(r'<span id="wall-version" data-base="([^"]*)" data-version="([^"]*)"')
# The server's clock, for countdowns: not part of what a screen shows.
IGNORED_ATTRIBUTES = frozenset({"hx-swap-oob", "data-now"})
# Classes the page's own scripts set from what it shows: the console draws its cards
# small from a count on (static/js/console.js, from the count card frames keep up).
SCRIPTED_CLASSES = frozenset({"sorter--compact"})


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    def elements(self) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                found.append(child)
                found += child.elements()
        return found

    def adopt(self, index: int, nodes: list[Node | str]) -> None:
        for node in nodes:
            if isinstance(node, Node):
                node.parent = self
        self.children[index:index] = nodes

    def detach(self) -> int:
        assert self.parent is not None
        index = self.parent.children.index(self)
        del self.parent.children[index]
        return index

    def canonical(self, ignored: frozenset[str] = IGNORED_ATTRIBUTES) -> tuple[object, ...]:
        attrs = tuple(
            sorted(
                (k, _unscripted(v) if k == "class" else v)
                for k, v in self.attrs.items()
                if k not in ignored
            )
        )
        inner: list[object] = []
        for child in self.children:
            if isinstance(child, Node):
                inner.append(child.canonical(ignored))
            elif text := " ".join(child.split()):
                inner.append(text)
        return (self.tag, attrs, tuple(inner))


def _unscripted(classes: str | None) -> str | None:
    if classes is None:
        return None
    return " ".join(c for c in classes.split() if c not in SCRIPTED_CLASSES)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#fragment", {})
        self.open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), parent=self.open)
        self.open.children.append(node)
        if tag not in VOID:
            self.open = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.children.append(Node(tag, dict(attrs), parent=self.open))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.open = node.parent

    def handle_data(self, data: str) -> None:
        self.open.children.append(data)


def parse(text: str) -> list[Node]:
    """The top-level elements of a frame."""
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return [child for child in builder.root.children if isinstance(child, Node)]


def seq_of(node: Node | None) -> int | None:
    raw = node.attrs.get("data-seq") if node is not None else None
    return int(raw) if raw is not None and raw.isdigit() else None


class Screen:
    """One page's live regions, as its frames left them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.root = Node("#page", {})
        self.loaded = False
        self.seqs: list[int] = []  # the page's seq after each frame applied
        self.faults: list[str] = []
        self.resyncs = 0

    @classmethod
    def of(cls, full_frame: str, name: str = "fresh") -> Screen:
        screen = cls(name)
        screen.apply(full_frame)
        return screen

    # -- what it shows ----------------------------------------------------------------
    def find(self, selector: str) -> list[Node]:
        """``#id`` or ``#parent>#child``: the only selectors the server's frames use."""
        outer, _, inner = selector.partition(">")
        found = [n for n in self.root.elements() if n.id == outer.removeprefix("#")]
        if inner:
            found = [
                child
                for parent in found
                for child in parent.children
                if isinstance(child, Node) and child.id == inner.removeprefix("#")
            ]
        return found

    def shows(self, seq: bool = True) -> dict[str, tuple[object, ...]]:
        """Every region by its id (in no particular order: a page's layout is fixed).
        Without ``seq``: not the seq each was rendered at (a phone hears only of the
        writes that change what it shows, so its seq stays behind the room's)."""
        ignored = IGNORED_ATTRIBUTES if seq else IGNORED_ATTRIBUTES | {"data-seq"}
        return {
            str(child.id): child.canonical(ignored)
            for child in self.root.children
            if isinstance(child, Node)
        }

    @property
    def seq(self) -> int | None:
        found = self.find("#seq")
        return seq_of(found[0]) if found else None

    def wall_version(self) -> str | None:
        found = self.find("#wall-version")
        return found[0].attrs.get("data-version") if found else None

    def present(self) -> int | None:
        """The count of people connected, as the board shows it."""
        for node in self.root.elements():
            if "data-present" in node.attrs:
                text = "".join(c for c in node.children if isinstance(c, str)).strip()
                return int(text) if text.isdigit() else None
        return None

    def card_ids(self) -> list[str]:
        return [str(n.id) for n in self.root.elements() if (n.id or "").startswith("card-")]

    # -- frames -------------------------------------------------------------------------
    def apply(self, text: str) -> bool:
        """Swap a frame in; True when the page asks for a full render (a resync)."""
        if not self.loaded:  # the page as loaded: its regions as rendered
            for node in parse(text):
                node.attrs.pop("hx-swap-oob", None)
                self.root.adopt(len(self.root.children), [node])
            self.loaded = True
            self._after()
            return False
        frame = WALL_FRAME.search(text)
        if frame is not None and frame.group(1) != self.wall_version():
            self.resyncs += 1
            return True  # made from another wall than the one shown: none of it
        resync = False
        for node in parse(text):
            resync |= self._swap(node)
        for marker in self.find("#wall-version"):
            marker.attrs.pop("data-base", None)  # as a full render has it
        self._after()
        if resync:
            self.resyncs += 1
        return resync

    def _swap(self, node: Node) -> bool:
        how = node.attrs.pop("hx-swap-oob", None) or "true"
        if how == "true":
            style, selector = "outerHTML", f"#{node.id}"
        elif ":" in how:
            style, _, selector = how.partition(":")
        else:
            style, selector = how, f"#{node.id}"
        targets = self.find(selector)
        if not targets:
            # live.js asks for everything when a card or its container is missing.
            return selector.startswith(("#card-", "#cards-"))
        for target in targets:
            if style == "outerHTML":
                if (fresh := seq_of(node)) is not None and (shown := seq_of(target)) is not None:
                    if fresh < shown:
                        continue  # live.js: never an older section over a newer one
                assert target.parent is not None
                target.parent.adopt(target.detach(), [node])
            elif style == "delete":
                target.detach()
            else:
                self._insert(style, target, node.children)
        return False

    def _insert(self, style: str, target: Node, nodes: list[Node | str]) -> None:
        present = {n.id for n in self.root.elements() if n.id}
        for node in nodes:
            if isinstance(node, Node) and node.id in present:
                self.faults.append(f"{self.name}: {node.id} put in twice")
        if style == "beforeend":
            target.adopt(len(target.children), list(nodes))
        elif style == "afterbegin":
            target.adopt(0, list(nodes))
        else:
            assert style == "afterend" and target.parent is not None, style
            target.parent.adopt(target.parent.children.index(target) + 1, list(nodes))

    def _after(self) -> None:
        seq = self.seq
        if seq is None:
            return
        if self.seqs and seq < self.seqs[-1]:
            self.faults.append(f"{self.name}: seq went back from {self.seqs[-1]} to {seq}")
        self.seqs.append(seq)
        ids = self.card_ids()
        if len(ids) != len(set(ids)):
            self.faults.append(f"{self.name}: a card shown twice at seq {seq}")
