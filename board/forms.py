"""Form fields read into values: the one place a text, a whole number or a decimal
number is parsed from what a browser sent, with a refusal a person understands.

Participants' input (read by their step's kind), the trainer's actions and the
routes' own fields all read through :class:`Form`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from board.errors import Refused


@dataclass(frozen=True)
class Form:
    data: Mapping[str, Any]

    def text(self, name: str, default: str | None = "") -> str:
        """The field as sent; a missing one is ``default`` (None: refused)."""
        value = self.data.get(name, default)
        if not isinstance(value, str):  # missing without a default, or a file
            raise Refused("bad_request", 400)
        return value

    def integer(self, name: str, default: str = "") -> int:
        try:
            return int(self.text(name) or default)
        except ValueError:
            raise Refused("bad_request", 400) from None

    def number(self, name: str, *, not_finite: tuple[str, int] = ("bad_request", 400)) -> float:
        """A decimal number, with a point or a (German) comma; infinity and NaN are
        refused as ``not_finite`` (message key, status)."""
        try:
            value = float(self.text(name).replace(",", "."))
        except ValueError:
            raise Refused("bad_request", 400) from None
        if not math.isfinite(value):
            raise Refused(*not_finite)
        return value
