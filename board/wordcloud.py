"""A Blitzlicht's word cloud: the words a room repeats, counted and laid out. No I/O.

Statements are split into words (letters, with inner hyphens and apostrophes), compared
case-folded, stop words (board.stopwords) dropped, and counted; a word's count puts it
in one of a few size classes. The words are then packed into centred rows of a fixed
box, the heaviest in the middle rows, each word's width estimated from its letters.

The board draws the box as an SVG that scales to the wall, and stretches every word to
exactly its estimated width (``textLength``): the layout holds in any font, so no word
overlaps another or leaves the box, on a 1024×768 projector as on a 4K screen. The
server lays it out once per change, no external service and no script in the browser.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from board.stopwords import STOP_WORDS

# A word: letters, joined by inner hyphens or apostrophes ("Kunden-Feedback", "don't").
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
MIN_WORD_LENGTH = 2  # a single letter says nothing
MAX_CLOUD_WORDS = 40  # the most words a cloud shows (the protocol lists as many)
# The font size of each size class, in multiples of the smallest (class 0).
CLASS_SCALE = (1.0, 1.3, 1.7, 2.2, 2.8)
# The box the words are laid out in, in SVG units (about a wall's shape under the header).
BOX_WIDTH, BOX_HEIGHT = 1200.0, 600.0
# The smallest class's font size, in box units: the largest that fits, within these.
# 24 units of a 600-unit box on a 768-pixel projector are still over 1/45 of its height.
MIN_FONT, MAX_FONT = 24.0, 60.0
# A word's box, in its font size: from the baseline up (ascent) and down (descent), so a
# row's height is LINE times its largest font size; and the gap between two words.
ASCENT, DESCENT = 1.1, 0.35  # roomy: Noto Sans reaches 1.07 above its baseline
LINE = ASCENT + DESCENT
GAP, ROW_GAP = 0.5, 0.15  # in the smallest class's font size

# Advance widths of a sans-serif face, in em (about Arial's / DejaVu Sans's).
_NARROW = frozenset("iIjlí.,;:!'’|")
_SLIM = frozenset("frtJ-")
_WIDE = frozenset("mwMWÄÖÜ")


@dataclass(frozen=True)
class CloudWord:
    text: str  # as most people wrote it ("Team", not "team")
    count: int


@dataclass(frozen=True)
class Placed:
    """A word in the box: its left edge and baseline, its size and width (box units)."""

    text: str
    count: int
    size_class: int
    x: float
    baseline: float
    font_size: float
    width: float

    @property
    def top(self) -> float:
        return self.baseline - ASCENT * self.font_size

    @property
    def bottom(self) -> float:
        return self.baseline + DESCENT * self.font_size


@dataclass(frozen=True)
class Cloud:
    words: tuple[Placed, ...]
    width: float = BOX_WIDTH
    height: float = BOX_HEIGHT


def words_of(text: str) -> list[str]:
    """The words of a statement that may say something: no stop words, no single letters."""
    return [
        word
        for word in WORD.findall(text)
        if len(word) >= MIN_WORD_LENGTH and word.casefold() not in STOP_WORDS
    ]


def count_words(
    texts: Iterable[str], most: int = MAX_CLOUD_WORDS, echo: Iterable[str] = ()
) -> list[CloudWord]:
    """The ``most`` words said most often, most first (ties in alphabetical order), but
    none of ``echo`` (the question's own words: "Ich nehme mit …" answers "Was nehme ich
    mit?" and says nothing); each
    in the spelling most people used (on a tie: capitalised, as a German noun, then lower
    case, then the first in alphabetical order)."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    ignored = {word.casefold() for word in echo}
    for text in texts:
        for word in words_of(text):
            folded = word.casefold()
            if folded in ignored:
                continue
            counts[folded] += 1
            spellings.setdefault(folded, Counter())[word] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:most]
    return [CloudWord(_usual(spellings[folded]), n) for folded, n in ranked]


def _usual(spellings: Counter[str]) -> str:
    def preference(item: tuple[str, int]) -> tuple[int, int, str]:
        word, n = item
        shape = 0 if word[:1].isupper() and word[1:].islower() else 1 if word.islower() else 2
        return (-n, shape, word)

    return min(spellings.items(), key=preference)[0]


def size_class(count: int, most: int) -> int:
    """0 (said once, or as often as every other word) … the largest (said most), on a
    logarithmic scale: twice as often reads as a step, not as twice the size."""
    if most <= 1:
        return 0
    top = len(CLASS_SCALE) - 1
    return round(top * math.log(count) / math.log(most))


def text_width(text: str) -> float:
    """The estimated width of ``text`` at a font size of 1 (the board stretches it to this)."""
    return sum(_advance(char) for char in text)


def _advance(char: str) -> float:
    if char in _NARROW:
        return 0.28
    if char in _SLIM:
        return 0.36
    if char in _WIDE:
        return 0.86
    if char.isupper():
        return 0.68
    return 0.56


def layout(words: Sequence[CloudWord]) -> Cloud:
    """The words in centred rows of the box, with the largest font size that fits (words
    beyond what fits at the smallest size are left out, the rarest first; so is a word
    too long for a row even at the smallest size)."""
    kept = [word for word in words if text_width(word.text) * MIN_FONT <= BOX_WIDTH]
    while kept:
        most = max(word.count for word in kept)
        sized = [(word, size_class(word.count, most)) for word in kept]
        ordered = _heaviest_in_the_middle(sized)
        font = _largest_fitting_font(ordered)
        if font is not None:
            return Cloud(tuple(_placed(ordered, font)))
        kept.pop()  # the rarest word (the list comes most first)
    return Cloud(())


def _heaviest_in_the_middle(
    sized: Sequence[tuple[CloudWord, int]],
) -> list[tuple[CloudWord, int]]:
    """Heaviest first, then alternately to the right and the left of it, so the rows in
    the middle of the box carry the words said most."""
    by_weight = sorted(sized, key=lambda pair: (-pair[0].count, pair[0].text.casefold()))
    ordered: list[tuple[CloudWord, int]] = []
    for i, pair in enumerate(by_weight):
        if i % 2:
            ordered.insert(0, pair)
        else:
            ordered.append(pair)
    return ordered


def _rows(
    ordered: Sequence[tuple[CloudWord, int]], font: float
) -> list[list[tuple[CloudWord, int, float, float]]] | None:
    """Words broken into rows no wider than the box: (word, class, size, width) each;
    a long word of a large class is made as small as a row is wide, not smaller than its
    smallest class (None: then it does not fit at this size)."""
    rows: list[list[tuple[CloudWord, int, float, float]]] = []
    used = BOX_WIDTH
    for word, level in ordered:
        size = min(font * CLASS_SCALE[level], BOX_WIDTH / max(text_width(word.text), 1e-9))
        if size < font:
            return None
        width = text_width(word.text) * size
        if rows and used + GAP * font + width <= BOX_WIDTH:
            rows[-1].append((word, level, size, width))
            used += GAP * font + width
        else:
            rows.append([(word, level, size, width)])
            used = width
    return rows


def _height(rows: Sequence[Sequence[tuple[CloudWord, int, float, float]]], font: float) -> float:
    tallest = sum(LINE * max(size for _, _, size, _ in row) for row in rows)
    return tallest + ROW_GAP * font * (len(rows) - 1)


def _fits(ordered: Sequence[tuple[CloudWord, int]], font: float) -> bool:
    rows = _rows(ordered, font)
    return rows is not None and _height(rows, font) <= BOX_HEIGHT


def _largest_fitting_font(ordered: Sequence[tuple[CloudWord, int]]) -> float | None:
    """Bisection over the smallest class's size; only a size checked to fit is returned."""
    if not _fits(ordered, MIN_FONT):
        return None
    if _fits(ordered, MAX_FONT):
        return MAX_FONT
    low, high = MIN_FONT, MAX_FONT
    for _ in range(12):
        middle = (low + high) / 2
        if _fits(ordered, middle):
            low = middle
        else:
            high = middle
    return low


def _placed(ordered: Sequence[tuple[CloudWord, int]], font: float) -> list[Placed]:
    rows = _rows(ordered, font)
    assert rows is not None  # the font was checked to fit
    top = (BOX_HEIGHT - _height(rows, font)) / 2
    placed: list[Placed] = []
    for row in rows:
        tallest = max(size for _, _, size, _ in row)
        baseline = top + ASCENT * tallest
        x = (BOX_WIDTH - sum(w for *_, w in row) - GAP * font * (len(row) - 1)) / 2
        for word, level, size, width in row:
            placed.append(Placed(word.text, word.count, level, x, baseline, size, width))
            x += width + GAP * font
        top += LINE * tallest + ROW_GAP * font
    return placed
