"""How many lines a card's text takes on the board: the Metaplan rule "at most three
lines" measured at the card's width, not counted in characters. No I/O.

The board sets card text in one font stack (base.css: ``.card__text``, weight 600)
and never makes a card column narrower than :data:`COLUMN_EMS` (fit.js reads it from
the wall's ``data-card-column``). A line holds :data:`LINE_EMS` of text: the column
less the card's padding. Each character's width (in em) is rounded up from the widest
face of that stack on the machines we checked (DejaVu Sans Bold: Segoe UI, Roboto and
Arial set the same text narrower), so a text this rule accepts fits in its lines on
any of them. The phone runs the same measure in drafts.js, from the same numbers
(:func:`as_data`), to warn while the participant types.
"""

from __future__ import annotations

import json

MAX_LINES = 3
# The narrowest card column on the board, in em of the card text (fit.js), and the
# text's width in it: the column less the card's padding (board.css: .4em each side)
# and a little air for rounding.
COLUMN_EMS = 11.0
LINE_EMS = COLUMN_EMS - 1.0
SPACE_EM = 0.3
# Characters by width (em, rounded up to 0.05); anything else counts as OTHER_EM.
WIDTHS: dict[str, str] = {
    "0.25": "'",
    "0.3": " ,./I\\ijl|",
    "0.35": "!()-:;[]`ft",
    "0.4": "*r{}°",
    "0.5": '"z„“”‚‘’',
    "0.6": "0123456789#$+<=>J^_aceksvxy~äéèàáâçêë€–«»§",
    "0.65": "?FLTZbdghnopquöüßñóòôú",
    "0.7": "EPSVXY",
    "0.75": "&ABCDHKNRUÄÜÉ",
    "0.8": "GOQwÖ",
    "0.85": "M",
    "0.9": "%m",
    "0.95": "W",
}
OTHER_EM = 1.0
# Emoji and the scripts of East Asia: wider than any letter above.
WIDE_FROM, WIDE_EM = 0x2E80, 1.3

_EMS = {char: float(width) for width, chars in WIDTHS.items() for char in chars}


def char_em(char: str) -> float:
    if char in _EMS:
        return _EMS[char]
    return WIDE_EM if ord(char) >= WIDE_FROM else OTHER_EM


def width(word: str) -> float:
    return sum(char_em(char) for char in word)


def lines_of(text: str) -> int:
    """Lines ``text`` takes at the card's width: each of its own lines wrapped at
    spaces, a word too long for a line broken where it reaches the edge."""
    return sum(_wrapped(line) for line in text.split("\n"))


def _wrapped(line: str) -> int:
    count, used = 0, 0.0
    for word in line.split():
        size = width(word)
        if count and used + SPACE_EM + size <= LINE_EMS:
            used += SPACE_EM + size
            continue
        pieces = _pieces(word)
        count += len(pieces)
        used = pieces[-1]
    return max(count, 1)


def _pieces(word: str) -> list[float]:
    """The widths of the lines a word fills, broken character by character."""
    pieces, used = [], 0.0
    for char in word:
        size = char_em(char)
        if used and used + size > LINE_EMS:
            pieces.append(used)
            used = 0.0
        used += size
    return [*pieces, used]


def fits(text: str) -> bool:
    return lines_of(text) <= MAX_LINES


def as_data() -> str:
    """The measure for drafts.js (a data attribute): the same numbers, one source."""
    return json.dumps(
        {
            "lines": MAX_LINES,
            "line": LINE_EMS,
            "space": SPACE_EM,
            "widths": WIDTHS,
            "other": OTHER_EM,
            "wideFrom": WIDE_FROM,
            "wide": WIDE_EM,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
