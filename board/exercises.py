"""Exercises as data: one TOML file each, validated with errors naming file, field and problem.

A file names its key, German and English title, and one or more steps. Each
step has a kind (see :data:`KINDS`), a bilingual prompt and the kind's
settings. The built-ins live in ``exercises/``; a trainer's own folder
(``BOARD_EXERCISES``) is loaded after them. A broken file is reported and
skipped; it never stops the others from loading.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from board.settings import EXERCISES_DIR
from board.votes import MAX_BUDGET

BUILTIN_DIR = EXERCISES_DIR
LANGS = ("de", "en")
KINDS = ("cards", "scale", "grid", "dots", "mood", "pairs", "actions")
WEATHER = ("sun", "sun-cloud", "cloud", "rain", "storm")
CARD_COLOURS = ("yellow", "white", "orange", "green", "blue", "pink")
KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")  # used with fullmatch

Text = dict[str, str]


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


# -- field validators: each takes (value, where) and returns the clean value ------
class _Invalid(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


def text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or set(value) != set(LANGS):
        raise _Invalid(where, 'expected German and English text: { de = "…", en = "…" }')
    for lang in LANGS:
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise _Invalid(f"{where}.{lang}", "expected a non-empty string")
        if len(value[lang]) > 300:
            raise _Invalid(f"{where}.{lang}", "longer than 300 characters")
    return {lang: " ".join(value[lang].split()) for lang in LANGS}


def texts(low: int, high: int) -> Callable[[Any, str], list[Text]]:
    def check(value: Any, where: str) -> list[Text]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise _Invalid(where, f"expected a list of {low} to {high} texts")
        return [text(item, f"{where}[{i}]") for i, item in enumerate(value)]

    return check


def integer(low: int, high: int) -> Callable[[Any, str], int]:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Invalid(where, f"expected a whole number from {low} to {high}")
        return value

    return check


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(where, "expected true or false")
    return value


def table(fields: dict[str, Callable[[Any, str], Any]]) -> Callable[[Any, str], dict[str, Any]]:
    def check(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Invalid(where, "expected a table")
        return _fields(value, where, fields, required=set(fields))

    return check


def one_of(choices: Iterable[str]) -> Callable[[Any, str], str]:
    allowed = tuple(choices)

    def check(value: Any, where: str) -> str:
        if value not in allowed:
            raise _Invalid(where, f"expected one of {', '.join(allowed)}")
        return str(value)

    return check


def list_of(
    item: Callable[[Any, str], Any], low: int, high: int
) -> Callable[[Any, str], list[Any]]:
    def check(value: Any, where: str) -> list[Any]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise _Invalid(where, f"expected a list of {low} to {high} entries")
        return [item(entry, f"{where}[{i}]") for i, entry in enumerate(value)]

    return check


def _fields(
    data: dict[str, Any],
    where: str,
    spec: dict[str, Callable[[Any, str], Any]],
    required: set[str],
) -> dict[str, Any]:
    prefix = f"{where}." if where else ""
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise _Invalid(f"{prefix}{unknown[0]}", f"unknown field (known: {', '.join(sorted(spec))})")
    for name in sorted(required - set(data)):
        raise _Invalid(f"{prefix}{name}", "missing")
    return {name: spec[name](value, f"{prefix}{name}") for name, value in data.items()}


AXIS = table({"low": text, "high": text})
QUADRANTS = table({"top_right": text, "top_left": text, "bottom_left": text, "bottom_right": text})
MOOD_OPTION = table({"icon": one_of(WEATHER), "label": text})
CARD_COLOUR = table({"colour": one_of(CARD_COLOURS), "label": text})

# For each kind: its fields, which are required, and the defaults of the others.
KIND_FIELDS: dict[str, tuple[dict[str, Callable[[Any, str], Any]], set[str], dict[str, Any]]] = {
    "cards": (
        {"hidden": boolean, "colours": list_of(CARD_COLOUR, 1, 6)},
        set(),
        {"hidden": False},
    ),
    "scale": ({"labels": texts(2, 10), "hidden": boolean}, {"labels"}, {"hidden": False}),
    "grid": (
        {
            "x_axis": AXIS,
            "y_axis": AXIS,
            "quadrants": QUADRANTS,
            "situations": texts(1, 8),
            "hidden": boolean,
        },
        {"x_axis", "y_axis", "quadrants", "situations"},
        {"hidden": True},
    ),
    "dots": (
        {
            "options": texts(2, 30),
            "options_from": one_of(["clusters"]),
            "budget": integer(1, MAX_BUDGET),
            "max_per_option": integer(1, MAX_BUDGET),
            "hidden": boolean,
        },
        set(),
        {"hidden": False},
    ),
    "mood": (
        {"options": list_of(MOOD_OPTION, 2, 7), "word": boolean},
        set(),
        {"word": True},
    ),
    "pairs": (
        {"round_minutes": integer(1, 30), "changeover_seconds": integer(0, 300)},
        set(),
        {"round_minutes": 4, "changeover_seconds": 30},
    ),
    "actions": ({}, set(), {}),
}

DEFAULT_WEATHER = [
    {"icon": "sun", "label": {"de": "Sonnenschein", "en": "Sunshine"}},
    {"icon": "sun-cloud", "label": {"de": "Heiter bis wolkig", "en": "Sunny spells"}},
    {"icon": "cloud", "label": {"de": "Bewölkt", "en": "Cloudy"}},
    {"icon": "rain", "label": {"de": "Regen", "en": "Rain"}},
    {"icon": "storm", "label": {"de": "Sturm", "en": "Storm"}},
]


def _step(data: Any, where: str) -> StepSpec:
    if not isinstance(data, dict):
        raise _Invalid(where, "expected a table ([[steps]])")
    kind = data.get("kind")
    if kind not in KINDS:
        raise _Invalid(f"{where}.kind", f"expected one of {', '.join(KINDS)}")
    fields, required, defaults = KIND_FIELDS[kind]
    spec = {"kind": one_of(KINDS), "prompt": text, "title": text, **fields}
    config = defaults | _fields(data, where, spec, required | {"prompt"})
    del config["kind"]
    return StepSpec(kind, _completed(kind, config, where))


def _completed(kind: str, config: dict[str, Any], where: str) -> dict[str, Any]:
    """What a kind needs beyond single fields, in an exercise file and an imported step."""
    if kind == "dots" and ("options" in config) == ("options_from" in config):
        raise _Invalid(f"{where}.options", 'give either options or options_from = "clusters"')
    if kind == "mood":
        config.setdefault("options", DEFAULT_WEATHER)
    return config


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not KEY.fullmatch(value):
        raise _Invalid(where, "expected lower-case letters, digits and dashes, e.g. kunde-koenig")
    return value


# Kept in a step's config while it runs (see board.votes and board.pairs).
RUNTIME_FIELDS: dict[str, Callable[[Any, str], Any]] = {
    "budget": integer(1, MAX_BUDGET),
    "started_at": lambda value, where: _number(value, where),
    "rounds": lambda value, where: _rounds(value, where),
    "round_minutes": lambda value, where: _number(value, where, 5 / 60, 30),
}


def _number(value: Any, where: str, low: float = 0, high: float = 1e12) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _Invalid(where, f"expected a number from {low:g} to {high:g}")
    return float(value)


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
    if kind not in KINDS:
        raise ValueError(f"{where}.kind: expected one of {', '.join(KINDS)}")
    if not isinstance(config, dict):
        raise ValueError(f"{where}.config: expected an object")
    fields, required, defaults = KIND_FIELDS[kind]
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


@dataclass
class Library:
    """The exercises a trainer can pick, by key, and the files that failed."""

    exercises: dict[str, Exercise]
    errors: list[ExerciseError]

    def get(self, key: str) -> Exercise | None:
        return self.exercises.get(key)


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
