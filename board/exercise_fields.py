"""The checks of an exercise file's fields: each takes (value, where) and returns the
clean value, or raises with the field's place and the problem in words.

The exercise kinds (board.kinds) describe their settings with these; board.exercises
turns a problem into the "file: field: problem" message a trainer reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

LANGS = ("de", "en")
WEATHER = ("sun", "sun-cloud", "cloud", "rain", "storm")
CARD_COLOURS = ("yellow", "white", "orange", "green", "blue", "pink")

Text = dict[str, str]
Validator = Callable[[Any, str], Any]


class Invalid(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


def text(value: Any, where: str) -> Text:
    if not isinstance(value, dict) or set(value) != set(LANGS):
        raise Invalid(where, 'expected German and English text: { de = "…", en = "…" }')
    for lang in LANGS:
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise Invalid(f"{where}.{lang}", "expected a non-empty string")
        if len(value[lang]) > 300:
            raise Invalid(f"{where}.{lang}", "longer than 300 characters")
    return {lang: " ".join(value[lang].split()) for lang in LANGS}


def texts(low: int, high: int) -> Callable[[Any, str], list[Text]]:
    def check(value: Any, where: str) -> list[Text]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise Invalid(where, f"expected a list of {low} to {high} texts")
        return [text(item, f"{where}[{i}]") for i, item in enumerate(value)]

    return check


def integer(low: int, high: int) -> Callable[[Any, str], int]:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(where, f"expected a whole number from {low} to {high}")
        return value

    return check


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(where, "expected true or false")
    return value


def table(fields: dict[str, Callable[[Any, str], Any]]) -> Callable[[Any, str], dict[str, Any]]:
    def check(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid(where, "expected a table")
        return check_fields(value, where, fields, required=set(fields))

    return check


def one_of(choices: Iterable[str]) -> Callable[[Any, str], str]:
    allowed = tuple(choices)

    def check(value: Any, where: str) -> str:
        if value not in allowed:
            raise Invalid(where, f"expected one of {', '.join(allowed)}")
        return str(value)

    return check


def list_of(
    item: Callable[[Any, str], Any], low: int, high: int
) -> Callable[[Any, str], list[Any]]:
    def check(value: Any, where: str) -> list[Any]:
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise Invalid(where, f"expected a list of {low} to {high} entries")
        return [item(entry, f"{where}[{i}]") for i, entry in enumerate(value)]

    return check


def check_fields(
    data: dict[str, Any],
    where: str,
    spec: dict[str, Callable[[Any, str], Any]],
    required: set[str],
) -> dict[str, Any]:
    prefix = f"{where}." if where else ""
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise Invalid(f"{prefix}{unknown[0]}", f"unknown field (known: {', '.join(sorted(spec))})")
    for name in sorted(required - set(data)):
        raise Invalid(f"{prefix}{name}", "missing")
    return {name: spec[name](value, f"{prefix}{name}") for name, value in data.items()}


AXIS = table({"low": text, "high": text})
QUADRANTS = table({"top_right": text, "top_left": text, "bottom_left": text, "bottom_right": text})
MOOD_OPTION = table({"icon": one_of(WEATHER), "label": text})


def card_colour(value: Any, where: str) -> dict[str, Any]:
    """A colour a cards step offers, with what it means (``label``, optional: a step
    limited to one colour needs no meaning)."""
    if not isinstance(value, dict):
        raise Invalid(where, "expected a table")
    spec = {"colour": one_of(CARD_COLOURS), "label": text}
    return check_fields(value, where, spec, required={"colour"})


CARD_COLOUR = card_colour
