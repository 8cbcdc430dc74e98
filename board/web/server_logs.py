"""What the server writes to its log: uvicorn's own lines, with every token redacted.

A trainer link carries its token in the query (``/w/X/trainer?token=…``); the
console trades it for a cookie at once, but the first request is still in
uvicorn's access log, and log files are read by more people than the trainer.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

import uvicorn.config

REDACTED = "[redacted]"
SECRET_PARAMETERS = {"token"}
# One query parameter of a request line: what precedes it, its name, its value.
_PARAMETER = re.compile(r"([?&])([^=&\s\"]+)=([^&\s\"]*)")


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced."""

    def one(match: re.Match[str]) -> str:
        before, name, _ = match.groups()
        if unquote_plus(name).lower() in SECRET_PARAMETERS:
            return f"{before}{name}={REDACTED}"
        return match.group(0)

    return _PARAMETER.sub(one, text) if "=" in text else text


class RedactTokens(logging.Filter):
    """Redacts tokens in a record's message and arguments (uvicorn passes the
    request line as an argument, formatted only by the handler's formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the redacting filter on each of its handlers."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"redact_tokens": {"()": RedactTokens}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_tokens"]
    return config
