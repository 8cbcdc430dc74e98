"""Zielscheibe: a target of several criteria, each a sector; every person puts one dot
per sector, from the centre (fully agree) to the edge (not at all).

A dot is a vote: its key the criterion (0-based), its value the ring it sits in (0, the
centre, to RINGS - 1, the edge). Where in its ring a dot sits carries no meaning: the
board lays the dots of a ring out evenly (from their count alone, so a dot's place says
nothing about who set it), and a phone shows its own dot on the sector's middle line.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from board import votes
from board.errors import Refused
from board.exercise_fields import LANGS, Invalid, boolean, texts
from board.forms import Form
from board.groups import Part, Split
from board.i18n import decimal, number, text_in
from board.kinds import Decide, Kind, Translate, VoteChecker, obey
from board.markup import label_at, md_table
from board.steps import Step
from board.workshops import new_id

if TYPE_CHECKING:
    from board.snapshot import Snapshot
    from board.store.repository import Change
    from board.web.trainer import TrainerInput

MIN_CRITERIA = 2
MAX_CRITERIA = 8
MAX_CRITERION_LENGTH = 30  # a criterion is a word or two: it stands beside its sector
RINGS = 5  # ring 1 (the centre) = fully agree … ring 5 (the edge) = not at all

DEFAULT_CRITERIA = [
    {"de": "Inhalte", "en": "Content"},
    {"de": "Methoden", "en": "Methods"},
    {"de": "Atmosphäre", "en": "Atmosphere"},
    {"de": "Nutzen für mich", "en": "Use to me"},
]


# -- the rules -------------------------------------------------------------------------
def criteria(step: Step) -> list[dict[str, str]]:
    return list(step.config.get("criteria", []))


def check_criterion(step: Step, criterion: int) -> int:
    if not 0 <= criterion < len(criteria(step)):
        raise Refused("target_criterion_unknown", 422)
    return criterion


def check_distance(distance: int) -> int:
    """A ring of the target: 0 (the centre) to RINGS - 1 (the edge)."""
    if not 0 <= distance < RINGS:
        raise Refused("target_distance_outside", 422, max=RINGS)
    return distance


def place_dot(
    step: Step,
    mine: Sequence[votes.Vote],
    participant_id: str,
    criterion: int,
    distance: int,
    new_id: str,
    now: float,
) -> list[votes.Vote]:
    """One dot per person and criterion; placing it again moves it (the last tap wins)."""
    criterion = check_criterion(step, criterion)
    distance = check_distance(distance)
    for vote in mine:
        if vote.key == str(criterion):
            return [] if vote.value == distance else [replace(vote, value=distance)]
    return [
        votes.Vote(new_id, step.id, participant_id, str(criterion), distance, None, None, None, now)
    ]


def read_dot(form: Form, participant_id: str) -> Decide:
    criterion, distance = form.integer("criterion"), form.integer("distance")

    def command(snap: Snapshot) -> list[Change]:
        votes.require_voting(snap.step)
        mine = snap.mine(participant_id)
        placed = place_dot(
            snap.step, mine, participant_id, criterion, distance, new_id(), time.time()
        )
        return [*placed]

    return command


def edit_criteria(step: Step, lines: Sequence[str], lang: str, dotted: bool) -> Step:
    """The trainer's criteria, one a line in the console's language, while nobody has
    dotted (a dot belongs to the criterion it was set on). A criterion kept as it was
    keeps its other language; a new one reads the same in both."""
    if dotted:
        raise Refused("target_criteria_locked", 409)
    words = [" ".join(line.split()) for line in lines]
    words = [w for w in words if w]
    if not MIN_CRITERIA <= len(words) <= MAX_CRITERIA:
        raise Refused("target_criteria_count", 422, min=MIN_CRITERIA, max=MAX_CRITERIA)
    if any(len(w) > MAX_CRITERION_LENGTH for w in words):
        raise Refused("target_criterion_too_long", 422, max=MAX_CRITERION_LENGTH)
    kept = {text_in(c, lang): c for c in criteria(step)}
    edited = [kept.get(w) or {other: w for other in LANGS} for w in words]
    return replace(step, config=step.config | {"criteria": edited})


def set_criteria(snap: Snapshot, ctx: TrainerInput) -> list[Change]:
    lang = ctx.text("lang")
    lines = ctx.text("criteria").splitlines()
    changed = edit_criteria(snap.step, lines, lang if lang in LANGS else LANGS[0], bool(snap.votes))
    return [] if changed == snap.step else [changed]


def check_criteria(value: Any, where: str) -> list[dict[str, str]]:
    """The criteria of an exercise file or an imported step: 2 to 8 short texts."""
    checked = texts(MIN_CRITERIA, MAX_CRITERIA)(value, where)
    for i, criterion in enumerate(checked):
        for lang, words in criterion.items():
            if len(words) > MAX_CRITERION_LENGTH:
                raise Invalid(
                    f"{where}[{i}].{lang}", f"longer than {MAX_CRITERION_LENGTH} characters"
                )
    return checked


# -- the results -----------------------------------------------------------------------
@dataclass(frozen=True)
class CriterionResult:
    """One sector: how many dots sit in each ring (centre first), and their median ring."""

    criterion: int
    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def median(self) -> float | None:
        """The median ring, 1 (the centre) to RINGS (the edge); None without dots."""
        rings = [ring + 1 for ring, count in enumerate(self.counts) for _ in range(count)]
        return float(statistics.median(rings)) if rings else None


def target_result(criteria_count: int, points: Iterable[tuple[int, int]]) -> list[CriterionResult]:
    """Each criterion's dots by ring, from (criterion, distance) points; a point outside
    the target (of a step whose criteria were fewer) counts for nothing."""
    counts = [[0] * RINGS for _ in range(criteria_count)]
    for criterion, distance in points:
        if 0 <= criterion < criteria_count and 0 <= distance < RINGS:
            counts[criterion][distance] += 1
    return [CriterionResult(i, tuple(ring)) for i, ring in enumerate(counts)]


def points(found: Iterable[votes.Vote]) -> Iterator[tuple[int, int]]:
    """The (criterion, distance) of each dot among these votes."""
    for vote in found:
        if vote.key.isdecimal() and vote.value is not None:
            yield int(vote.key), vote.value


# -- the drawing (pure geometry: the templates only draw what it says) -------------------
DOT_RADIUS = 0.032  # of the target's radius 1
LABEL_GAP = 0.08  # between the target's edge and a criterion's name
LABEL_SIZE = 0.13  # a name's font size, of the target's radius
STATS_SIZE = 0.1
LINE = 1.2  # line height, in font sizes
CHAR_WIDTH = 0.6  # an average character's width, in font sizes (bold sans-serif)
WRAP = 15  # characters on a name's line before it wraps (at most two lines)
STATS_CHARS = 20  # "n = 120 · Median 2,5", the longest figures line
GROUP_FIGURES_CHARS = 12  # ": Median 2,5" after a group's name


@dataclass(frozen=True)
class Sector:
    """Where a criterion's sector is and where its name and figures stand."""

    criterion: int
    path: str  # the wedge, an SVG path
    start: float  # angles in radians, clockwise from the top
    end: float
    label_x: float
    label_y: float  # the baseline of the first line
    anchor: str  # SVG text-anchor
    lines: tuple[str, ...]

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2

    def at(self, radius: float, angle: float | None = None) -> tuple[float, float]:
        """A point of the sector (on its middle line without an angle)."""
        a = self.middle if angle is None else angle
        return round(radius * math.sin(a), 4), round(-radius * math.cos(a), 4)


@dataclass(frozen=True)
class Drawing:
    sectors: tuple[Sector, ...]
    view_box: str
    rings: tuple[float, ...]  # the rings' outer radii


def wrapped(words: str, width: int = WRAP) -> tuple[str, ...]:
    """A name on one line, or two split at the space nearest its middle."""
    if len(words) <= width or " " not in words:
        return (words,)
    spaces = [i for i, c in enumerate(words) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(words) / 2))
    return (words[:cut], words[cut + 1 :])


def _wedge(start: float, end: float) -> str:
    x0, y0 = math.sin(start), -math.cos(start)
    x1, y1 = math.sin(end), -math.cos(end)
    large = 1 if end - start > math.pi else 0
    return f"M0 0 L{x0:.4f} {y0:.4f} A1 1 0 {large} 1 {x1:.4f} {y1:.4f} Z"


def drawing(names: Sequence[str], stats: bool = True, groups: Sequence[str] = ()) -> Drawing:
    """The target with a sector per name (the first from the top, clockwise), each name
    outside its sector's edge, and a view box just large enough for the names (and,
    split by group, a figures line per group under each: "Name: Median 2,5")."""
    count = len(names)
    step = 2 * math.pi / count
    sectors = []
    left, top, right, bottom = -1.02, -1.02, 1.02, 1.02
    for i, name in enumerate(names):
        start, end = i * step, (i + 1) * step
        middle = (start + end) / 2
        sx, sy = math.sin(middle), -math.cos(middle)
        lines = wrapped(name)
        figures = (1 + len(groups)) if stats else 0
        height = len(lines) * LABEL_SIZE * LINE + figures * STATS_SIZE * LINE
        width = max(len(line) for line in lines) * LABEL_SIZE * CHAR_WIDTH
        if stats:
            chars = max([STATS_CHARS, *(len(g) + GROUP_FIGURES_CHARS for g in groups)])
            width = max(width, chars * STATS_SIZE * CHAR_WIDTH)
        x, y = (1 + LABEL_GAP) * sx, (1 + LABEL_GAP) * sy
        anchor = "middle" if abs(sx) < 0.35 else "start" if sx > 0 else "end"
        box_left = x - width / 2 if anchor == "middle" else x if anchor == "start" else x - width
        # Above the target a name ends at the edge, below it starts there, beside it is centred.
        box_top = y - height if sy < -0.35 else y if sy > 0.35 else y - height / 2
        left, right = min(left, box_left), max(right, box_left + width)
        top, bottom = min(top, box_top), max(bottom, box_top + height)
        baseline = box_top + LABEL_SIZE * 0.95
        sector = Sector(i, _wedge(start, end), start, end, x, baseline, anchor, lines)
        sectors.append(sector)
    pad = 0.04
    width, height = right - left + 2 * pad, bottom - top + 2 * pad
    box = f"{left - pad:.3f} {top - pad:.3f} {width:.3f} {height:.3f}"
    return Drawing(tuple(sectors), box, tuple((ring + 1) / RINGS for ring in range(RINGS)))


def dot_places(sector: Sector, counts: Sequence[int]) -> list[tuple[float, float]]:
    """Every dot of a sector, ring by ring: rows along each ring, evenly spread, closer
    (and at last overlapping) when many share a ring. Depends on the counts alone."""
    placed: list[tuple[float, float]] = []
    for ring, count in enumerate(counts):
        if count:
            placed += _ring_places(sector, ring / RINGS, (ring + 1) / RINGS, count)
    return placed


def coloured_places(
    sector: Sector, parts: Sequence[tuple[str, Sequence[int]]]
) -> list[tuple[float, float, str]]:
    """A sector's dots split by group: the places of all dots together (as
    :func:`dot_places`), each ring's handed out to the parts in order, so a dot's colour
    says its group and its place still nothing more. ``parts`` are (class, counts)."""
    placed: list[tuple[float, float, str]] = []
    for ring in range(RINGS):
        count = sum(counts[ring] for _, counts in parts)
        if not count:
            continue
        places = iter(_ring_places(sector, ring / RINGS, (ring + 1) / RINGS, count))
        for name, counts in parts:
            placed += [(*next(places), name) for _ in range(counts[ring])]
    return placed


def _ring_places(
    sector: Sector, inner: float, outer: float, count: int
) -> list[tuple[float, float]]:
    spacing = DOT_RADIUS * 2.3
    for _ in range(12):  # closer until they fit (or overlap, which shows a crowd too)
        rows = _rows(sector, inner, outer, spacing)
        if sum(capacity for _, capacity in rows) >= count:
            break
        spacing *= 0.8
    total = sum(max(capacity, 1) for _, capacity in rows)
    places: list[tuple[float, float]] = []
    left = count
    for i, (radius, capacity) in enumerate(rows):
        share = left if i == len(rows) - 1 else min(left, round(count * max(capacity, 1) / total))
        left -= share
        margin = min(spacing / 2 / radius, (sector.end - sector.start) / 4)
        span = sector.end - sector.start - 2 * margin
        for j in range(share):
            angle = sector.start + margin + span * (j + 0.5) / share
            places.append(sector.at(radius, angle))
    return places


def _rows(sector: Sector, inner: float, outer: float, spacing: float) -> list[tuple[float, int]]:
    """Radii of rows of dots within a ring, each with how many dots fit on it."""
    first = max(inner + spacing / 2, spacing)
    radii = []
    radius = first
    while radius <= outer - spacing / 2 + 1e-9:
        radii.append(radius)
        radius += spacing
    if not radii:
        radii = [(inner + outer) / 2]
    angle = sector.end - sector.start
    return [(r, max(0, int((angle * r - spacing) / spacing) + 1)) for r in radii]


# -- the kind --------------------------------------------------------------------------
class Target(Kind):
    name = "target"
    minutes = 10
    hideable = True
    splits = True
    # For the templates: the limits and the drawing's sizes, one source.
    RINGS = RINGS
    MIN_CRITERIA = MIN_CRITERIA
    MAX_CRITERIA = MAX_CRITERIA
    MAX_CRITERION_LENGTH = MAX_CRITERION_LENGTH
    DOT_RADIUS = DOT_RADIUS
    LABEL_SIZE = LABEL_SIZE
    STATS_SIZE = STATS_SIZE
    LINE = LINE
    alone: ClassVar[dict[str, Any]] = {
        "prompt": {
            "de": "Wie erleben Sie den Workshop? Ein Punkt je Feld – Mitte heißt: voll und ganz.",
            "en": "How do you find the workshop? One dot per field; the centre means: fully.",
        },
        "criteria": DEFAULT_CRITERIA,
    }
    settings = {"criteria": check_criteria, "hidden": boolean}
    required = frozenset({"criteria"})
    defaults: ClassVar[dict[str, Any]] = {"hidden": False}
    inputs = {"vote": read_dot}
    trainer_actions = {"target-criteria": set_criteria}
    results_link = "show_results"
    vote_fields = ("value",)

    def results(self, snap: Snapshot) -> list[CriterionResult]:
        return target_result(len(criteria(snap.step)), points(snap.votes))

    def drawing(
        self, step: Step, lang: str, stats: bool = True, split: Split | None = None
    ) -> Drawing:
        names = [p.group.name for p in split.groups if p.group] if split else []
        return drawing([text_in(c, lang) for c in criteria(step)], stats, names)

    def drawing_numbers(self, step: Step) -> Drawing:
        """A phone's target: its sectors numbered (the names stand in the list below it)."""
        return drawing([str(i + 1) for i in range(len(criteria(step)))], stats=False)

    def dot_places(self, sector: Sector, result: CriterionResult) -> list[tuple[float, float]]:
        return dot_places(sector, result.counts)

    def split_scopes(self, cast: Sequence[votes.Vote]) -> list[list[votes.Vote]]:
        """Each criterion on its own: a person may leave a sector empty, and a group's
        median there must not be fewer people's than the minimum."""
        by_criterion: dict[str, list[votes.Vote]] = {}
        for vote in cast:
            by_criterion.setdefault(vote.key, []).append(vote)
        return list(by_criterion.values())

    def split_dots(self, sector: Sector, split: Split) -> list[tuple[float, float, str]]:
        """A sector's dots in their groups' colours; grey for everyone in no shown group
        (the rest, which the anonymity rule keeps empty or large enough)."""
        c = sector.criterion
        parts = [(f"split-dot--g{p.colour}", p.result[c].counts) for p in split.groups]
        return coloured_places(sector, [*parts, ("split-dot--rest", split.rest.result[c].counts)])

    def group_figures(self, part: Part, criterion: int, lang: str, t: Translate) -> str:
        """A group's figures line in a sector: its name and median."""
        assert part.group is not None
        result: CriterionResult = part.result[criterion]
        median = decimal(result.median, lang) if result.n else "–"
        return f"{part.group.name}: {t('median')} {median}"

    def my_dots(self, step: Step, mine: Iterable[votes.Vote]) -> dict[int, int]:
        """A phone's own dots: criterion → ring."""
        return dict(points(mine))

    def stats(self, result: CriterionResult, lang: str, t: Translate) -> str:
        return stats_line(result, lang, t)

    def vote_checker(self, snap: Snapshot) -> VoteChecker:
        def check(vote: votes.Vote, where: str) -> votes.Vote:
            last = len(criteria(snap.step)) - 1
            if not vote.key.isdecimal() or len(vote.key) > 1:
                raise ValueError(f"{where}.key: expected a criterion number, not {vote.key!r}")
            problem = f"{vote.key} is outside 0–{last}"
            obey(f"{where}.key", check_criterion, snap.step, int(vote.key), problem=problem)
            distance = vote.value if vote.value is not None else -1
            problem = f"{distance} is outside 0–{RINGS - 1}"
            obey(f"{where}.value", check_distance, distance, problem=problem)
            return vote

        return check

    def markdown(self, snap: Snapshot, lang: str, t: Translate) -> Iterator[str]:
        names = [text_in(c, lang) for c in criteria(snap.step)]
        rings = [t("target_ring_centre")] + [str(r) for r in range(2, RINGS)]
        edge = t("target_ring_edge", ring=RINGS)
        header = [t("target_criterion"), *rings, edge, "n", t("median")]
        rows = [[names[r.criterion], *r.counts, r.n, decimal(r.median, lang)] for r in snap.results]
        yield from md_table(header, rows)
        yield ""
        yield t("target_rings_note", max=RINGS)

    def csv_vote(self, snap: Snapshot, vote: votes.Vote, lang: str) -> dict[str, object]:
        if not vote.key.isdecimal() or vote.value is None:
            return {}
        return {
            "text": label_at(criteria(snap.step), int(vote.key), lang),
            "value": vote.value + 1,
        }


def stats_line(result: CriterionResult, lang: str, t: Translate) -> str:
    """A sector's figures beside its name: how many dots, their median ring."""
    if not result.n:
        return "n = 0"
    return f"n = {number(result.n, lang)} · {t('median')} {decimal(result.median, lang)}"


KIND = Target()
