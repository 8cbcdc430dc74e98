"""At the door: is it a protocol this board reads, of a size it stores, in the shape the
published schema (``schema/moderation-board-1.schema.json``) states?

jsonschema checks the types, the required fields, the id patterns and the lengths the
schema names; what no schema can say (references, stack cycles, the values each
step's settings allow) is checked afterwards by :mod:`~board.protocol.restore` and
:mod:`~board.protocol.validate`. A refusal names the field at fault:
``steps[2].cards[0].text: …``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from board import kinds
from board.protocol.record import FORMAT, MAX_RECORDS, SECTIONS, VERSION, ProtocolError
from board.settings import SCHEMA_DIR

SCHEMA_FILE = SCHEMA_DIR / "moderation-board-1.schema.json"
SHOWN = 40  # characters of a refused value repeated in the message


def check_format(record: Any) -> dict[str, Any]:
    """A moderation-board protocol of a version this board reads (a clearer answer than
    the schema's for a foreign or newer file)."""
    if not isinstance(record, dict):
        raise ProtocolError("not a moderation-board protocol (expected a JSON object)")
    tag = record.get("format")
    if not isinstance(tag, str) or not tag.startswith("moderation-board/"):
        raise ProtocolError("format: not a moderation-board protocol")
    version = tag.removeprefix("moderation-board/")
    if not re.fullmatch(r"[0-9]{1,9}", version):
        raise ProtocolError(f"format: unknown version {tag!r}")
    if int(version) > VERSION:
        raise ProtocolError(f"format: {tag} is newer than this board understands ({FORMAT})")
    return record


def check_size(record: dict[str, Any]) -> None:
    """Counted before the schema is: a file far beyond any workshop is refused at once."""
    raw_steps = _list(record.get("steps"))
    size = (
        len(raw_steps) + len(_list(record.get("participants"))) + len(_list(record.get("topics")))
    )
    for raw in raw_steps:
        if isinstance(raw, dict):
            size += sum(len(_list(raw.get(section))) for section in SECTIONS)
    for team in _list(record.get("teams")):  # a member is a record too
        size += 1 + (len(_list(team.get("members"))) if isinstance(team, dict) else 0)
    if size > MAX_RECORDS:
        raise ProtocolError(f"too large: {size} records, at most {MAX_RECORDS} in one workshop")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def check_shape(record: Any) -> None:
    """The record as the schema states it, or a ProtocolError naming the field at fault."""
    error = best_match(_validator(kinds.names()).iter_errors(record))
    if error is not None:
        where, problem = _explained(error)
        raise ProtocolError(f"{where}: {problem}")


@functools.cache
def _validator(kind_names: tuple[str, ...]) -> Draft202012Validator:
    """The published schema, whose steps may be of every registered kind: it names the
    built-in ones, and a kind registered from outside (board.kinds.register) comes in too."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    schema["$defs"]["step"]["properties"]["kind"] = {"enum": list(kind_names)}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _explained(error: ValidationError) -> tuple[str, str]:
    """Where (``steps[2].cards[0].text``) and what, in the words of the import's messages."""
    where = _path(error.absolute_path)
    rule, limit, value = error.validator, error.validator_value, error.instance
    if rule == "required":
        missing = next(name for name in limit if name not in value)
        return _path([*error.absolute_path, missing]), "missing"
    if rule == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = next(name for name in value if name not in known)
        return _path([*error.absolute_path, extra]), "unknown field"
    return where or "(record)", _problem(error, rule, limit, value)


def _problem(error: ValidationError, rule: Any, limit: Any, value: Any) -> str:
    if rule == "type":
        expected = [limit] if isinstance(limit, str) else limit
        return f"wrong type (expected {' or '.join(expected)})"
    if rule == "maxLength":
        return f"at most {limit} characters"
    if rule == "minLength":
        return "empty" if limit == 1 else f"at least {limit} characters"
    if rule == "pattern":
        return f"{_shown(value)} does not match {limit}"
    if rule == "enum":
        return f"{_shown(value)} is not one of {', '.join(map(str, limit))}"
    if rule in ("minimum", "maximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return f"{value} is outside {low}–{high}"
        return f"{value} is {'below' if rule == 'minimum' else 'above'} {limit}"
    if rule == "minItems":
        return f"expected at least {limit}"
    if rule == "maxItems":
        return f"expected at most {limit}"
    return str(error.message)[: SHOWN * 4]


def _path(parts: Iterable[str | int]) -> str:
    where = ""
    for part in parts:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    return where


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= SHOWN else shown[: SHOWN - 1] + "…"
