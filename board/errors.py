"""The one exception the domain raises when it refuses a command."""

from __future__ import annotations


class Refused(Exception):
    """A command was refused; ``key`` names the message shown to the user.

    ``status`` is the HTTP status the web edge answers with; ``params`` fill
    the translated message (see :mod:`board.i18n`).
    """

    def __init__(self, key: str, status: int = 422, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.params = params
