"""Exercises as data: one TOML file each, validated with errors naming file, field and problem.

A file names its key, German and English title, and one or more steps. Each
step has a kind (see board.kinds), a bilingual prompt and the kind's
settings. The built-ins live in ``exercises/``; a trainer's own folder
(``BOARD_EXERCISES``) is loaded after them. A broken file is reported and
skipped; it never stops the others from loading.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from board import kinds, teams
from board.cards import MAX_HEADING_LENGTH
from board.exercise_fields import LANGS as LANGS
from board.exercise_fields import Invalid as _Invalid
from board.exercise_fields import Text, Validator, boolean, integer, list_of, one_of, text
from board.exercise_fields import check_fields as _fields
from board.kinds.mood import DEFAULT_WEATHER as DEFAULT_WEATHER
from board.settings import EXERCISES_DIR
from board.steps import MAX_QUESTION_LENGTH
from board.votes import MAX_BUDGET

BUILTIN_DIR = EXERCISES_DIR
KINDS = kinds.names()  # the built-in kinds (board.kinds.register adds others)
KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")  # used with fullmatch


class ExerciseError(ValueError):
    """A problem in an exercise file: which file, which field, what is wrong."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        super().__init__(f"{path.name}: {field}: {problem}")
        self.path = path
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class StepSpec:
    kind: str
    config: dict[str, Any]  # prompt, title and the kind's settings, as stored with the step


@dataclass(frozen=True)
class Exercise:
    key: str
    title: Text
    description: Text
    steps: tuple[StepSpec, ...]
    path: Path = field(compare=False)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["de"]

    @property
    def minutes(self) -> int:
        """Its planned duration: each step's kind's rule of thumb (Kind.minutes)."""
        return sum(kinds.REGISTRY[step.kind].minutes for step in self.steps)

    @property
    def single(self) -> bool:
        """Whether it is one step of a kind chosen on its own (see :func:`single_step`)."""
        return self.key.startswith(STEP_PREFIX)


def _settings(kind: str) -> tuple[dict[str, Validator], set[str], dict[str, Any]]:
    """A kind's settings: their checks, the required ones, the defaults of the others."""
    found = kinds.REGISTRY[kind]
    return dict(found.settings), set(found.required), dict(found.defaults)


def _step(data: Any, where: str) -> StepSpec:
    if not isinstance(data, dict):
        raise _Invalid(where, "expected a table ([[steps]])")
    kind = data.get("kind")
    if kind not in kinds.REGISTRY:
        raise _Invalid(f"{where}.kind", f"expected one of {', '.join(kinds.names())}")
    fields, required, defaults = _settings(kind)
    spec = {"kind": one_of(kinds.names()), "prompt": text, "title": text, **fields}
    config = defaults | _fields(data, where, spec, required | {"prompt"})
    del config["kind"]
    return StepSpec(kind, _completed(kind, config, where))


def _completed(kind: str, config: dict[str, Any], where: str) -> dict[str, Any]:
    """What a kind needs beyond single fields, in an exercise file and an imported step."""
    return kinds.REGISTRY[kind].complete(config, where)


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not KEY.fullmatch(value):
        raise _Invalid(where, "expected lower-case letters, digits and dashes, e.g. kunde-koenig")
    return value


# Kept in a step's config while it runs (see board.votes and board.pairs).
RUNTIME_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "budget": integer(1, MAX_BUDGET),
    "started_at": lambda value, where: _number(value, where),
    "rounds": lambda value, where: _rounds(value, where),
    "circles": lambda value, where: _circles(value, where),  # board.circles
    "round_minutes": lambda value, where: _number(value, where, 5 / 60, 30),
    "split": boolean,  # results split by participant group on the screens (board.groups)
    "revealed_cards": lambda value, where: _names(value, where),  # board.reveal
    # A cards step run in small groups (board.teams); the team ids are checked against
    # the record's teams by the import.
    teams.IN_TEAMS: boolean,
    teams.TEAMS_REVEALED: lambda value, where: _names(value, where, teams.MAX_TEAMS),
    teams.TEAM_QUESTIONS: lambda value, where: _team_questions(value, where),
    teams.SHOWN_TEAM: lambda value, where: _string(value, where, 1, _ID_LENGTH),
    teams.TEAM_WALLS: lambda value, where: _team_walls(value, where),
}


_ID_LENGTH = 40  # longer than any id of ours or of a record (team123456789)


def _names(value: Any, where: str, most: int | None = None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise _Invalid(where, "expected a list of ids")
    if most is not None:
        if len(value) > most:
            raise _Invalid(where, f"expected at most {most} ids")
        for i, name in enumerate(value):
            _string(name, f"{where}[{i}]", 1, _ID_LENGTH)
    return value


def _string(value: Any, where: str, shortest: int, longest: int) -> str:
    if not isinstance(value, str):
        raise _Invalid(where, "expected a string")
    if not shortest <= len(value) <= longest:
        raise _Invalid(where, f"expected {shortest} to {longest} characters")
    return value


def _team_questions(value: Any, where: str) -> dict[str, str]:
    """Each team's own question, by team id."""
    if not isinstance(value, dict) or len(value) > teams.MAX_TEAMS:
        raise _Invalid(where, f"expected a table of at most {teams.MAX_TEAMS} questions by team")
    for team, question in value.items():
        _string(team, where, 1, _ID_LENGTH)
        _string(question, f"{where}.{team}", 1, MAX_QUESTION_LENGTH)
    return value


def _team_walls(value: Any, where: str) -> list[dict[str, Any]]:
    """Each team's wall as kept after the merge (board.teams.record). Card texts are
    checked against the workshop's card length by the import (board.protocol.validate)."""
    if not isinstance(value, list) or len(value) > teams.MAX_TEAMS:
        raise _Invalid(where, f"expected a list of at most {teams.MAX_TEAMS} team walls")
    spec = {
        "name": lambda name, at: _string(name, at, 1, teams.MAX_TEAM_NAME),
        "question": lambda question, at: _string(question, at, 0, MAX_QUESTION_LENGTH),
        "clusters": lambda clusters, at: _kept_clusters(clusters, at),
        "unsorted": lambda texts, at: _texts(texts, at),
    }
    for i, wall in enumerate(value):
        if not isinstance(wall, dict):
            raise _Invalid(f"{where}[{i}]", "expected a table")
        _fields(wall, f"{where}[{i}]", spec, set(spec))
    return value


def _kept_clusters(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _Invalid(where, "expected a list of clusters")
    spec = {
        "heading": lambda heading, at: _string(heading, at, 1, MAX_HEADING_LENGTH),
        "cards": lambda texts, at: _texts(texts, at),
    }
    for i, cluster in enumerate(value):
        if not isinstance(cluster, dict):
            raise _Invalid(f"{where}[{i}]", "expected a table")
        _fields(cluster, f"{where}[{i}]", spec, set(spec))
    return value


def _texts(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid(where, "expected a list of card texts")
    for i, text_ in enumerate(value):
        if not isinstance(text_, str) or not text_:
            raise _Invalid(f"{where}[{i}]", "expected a card's text")
    return value


def _number(value: Any, where: str, low: float = 0, high: float = 1e12) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _Invalid(where, f"expected a number from {low:g} to {high:g}")
    return float(value)


def _circles(value: Any, where: str) -> list[dict[str, Any]]:
    """A SpeedMeet's circles: people, rounds of pairs, room-wide table numbers."""
    if not isinstance(value, list):
        raise _Invalid(where, "expected a list of circles")
    for i, circle in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(circle, dict) or set(circle) != {"people", "rounds", "tables"}:
            raise _Invalid(at, "expected people, rounds and tables")
        _names(circle["people"], f"{at}.people")
        _rounds(circle["rounds"], f"{at}.rounds")
        tables = circle["tables"]
        if not isinstance(tables, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in tables
        ):
            raise _Invalid(f"{at}.tables", "expected a list of table numbers")
    return value


def _rounds(value: Any, where: str) -> list[list[list[str]]]:
    if not isinstance(value, list):
        raise _Invalid(where, "expected a list of rounds")
    for i, round_ in enumerate(value):
        if not isinstance(round_, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
            for pair in round_
        ):
            raise _Invalid(f"{where}[{i}]", "expected a list of pairs of names")
    return value


def step_config(kind: str, config: Any, where: str) -> dict[str, Any]:
    """Check a stored step's config (from an imported protocol): the kind's fields plus
    what a running step keeps. Raises ValueError naming the field."""
    if kind not in kinds.REGISTRY:
        raise ValueError(f"{where}.kind: expected one of {', '.join(kinds.names())}")
    if not isinstance(config, dict):
        raise ValueError(f"{where}.config: expected an object")
    fields, required, defaults = _settings(kind)
    spec = {"prompt": text, "title": text, **fields, **RUNTIME_FIELDS}
    try:
        checked = defaults | _fields(config, f"{where}.config", spec, set(required))
        return _completed(kind, checked, f"{where}.config")
    except _Invalid as problem:
        raise ValueError(f"{problem.where}: {problem.problem}") from None


def parse(data: dict[str, Any], path: Path) -> Exercise:
    try:
        top = _fields(
            data,
            "",
            {"key": _key, "title": text, "description": text, "steps": list_of(_step, 1, 12)},
            {"key", "title", "steps"},
        )
    except _Invalid as problem:
        raise ExerciseError(path, problem.where, problem.problem) from None
    title = top["title"]
    steps = tuple(StepSpec(s.kind, {"title": title} | s.config) for s in top["steps"])
    return Exercise(top["key"], title, top.get("description", {}), steps, path)


def load_file(path: Path) -> Exercise:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ExerciseError(path, "(file)", f"not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ExerciseError(path, "(file)", f"cannot be read: {error}") from None
    return parse(data, path)


# A single step's key: "step:scale" (no exercise file's key has a colon).
STEP_PREFIX = "step:"


def single_step(kind: str) -> Exercise | None:
    """A step of ``kind`` on its own, as its kind proposes it (Kind.alone), titled with the
    kind's name; None for a kind that needs an exercise's content."""
    found = kinds.REGISTRY.get(kind)
    if found is None or found.alone is None:
        return None
    title = {lang: found.label(lang) for lang in LANGS}
    data = {"key": "single", "title": title, "steps": [{"kind": kind, **found.alone}]}
    parsed = parse(data, Path(f"{kind} (board.kinds)"))
    return replace(parsed, key=STEP_PREFIX + kind)


def single_steps() -> list[Exercise]:
    """Every kind that can stand alone, as the start page offers it."""
    return [step for kind in kinds.names() if (step := single_step(kind)) is not None]


@dataclass
class Library:
    """The exercises a trainer can pick, by key, and the files that failed."""

    exercises: dict[str, Exercise]
    errors: list[ExerciseError]

    def get(self, key: str) -> Exercise | None:
        """An exercise by its key, or a single step by ``step:<kind>``."""
        if key.startswith(STEP_PREFIX):
            return single_step(key.removeprefix(STEP_PREFIX))
        return self.exercises.get(key)

    def in_order(self) -> list[Exercise]:
        """As the trainer sees them: by their files' numbers, so "10-…" follows "9-…"."""
        return sorted(self.exercises.values(), key=lambda e: file_order(e.path))


def file_order(path: Path) -> tuple[bool, int, str]:
    """Numbered files first, by their leading number, then the others by name."""
    number = re.match(r"\d+", path.name)
    return (number is None, int(number.group()) if number else 0, path.name)


def load_library(*folders: Path | None) -> Library:
    """Load the folders in order; a later folder's exercise replaces one with the same key."""
    exercises: dict[str, Exercise] = {}
    errors: list[ExerciseError] = []
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        seen: dict[str, Path] = {}
        for path in sorted(folder.glob("*.toml")):
            try:
                exercise = load_file(path)
            except ExerciseError as error:
                errors.append(error)
                continue
            if exercise.key in seen:
                errors.append(
                    ExerciseError(path, "key", f"already used by {seen[exercise.key].name}")
                )
                continue
            seen[exercise.key] = path
            exercises[exercise.key] = exercise
    return Library(exercises, errors)
