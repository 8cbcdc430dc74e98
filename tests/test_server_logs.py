"""The server's log never holds a token: uvicorn's access lines pass a redacting filter."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import pytest

from board.web.server_logs import REDACTED, RedactTokens, log_config, redact

TOKEN = "WyJ3czEiLCJzZWNyZXQiXQ.aBcD-eFgH_iJ"


def access_record(path: str, status: int = 303) -> logging.LogRecord:
    """A record as uvicorn's HTTP protocol logs it: the request line in the arguments."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("192.0.2.7:51234", "GET", path, "1.1", status),
        None,
    )


def test_the_trainer_links_token_is_redacted_in_the_access_line() -> None:
    formatter = logging.Formatter("%(message)s")
    record = access_record(f"/w/ACD346/trainer?lang=en&token={TOKEN}&seq=4")

    assert RedactTokens().filter(record)

    line = formatter.format(record)
    assert TOKEN not in line
    assert line == (
        f'192.0.2.7:51234 - "GET /w/ACD346/trainer?lang=en&token={REDACTED}&seq=4 HTTP/1.1" 303'
    )


@pytest.fixture
def uvicorn_loggers() -> Iterator[None]:
    """uvicorn's loggers as they were before the test configured them."""
    names = ("uvicorn", "uvicorn.access", "uvicorn.error")
    saved = {name: logging.getLogger(name).__dict__.copy() for name in names}
    yield
    for name, state in saved.items():
        logging.getLogger(name).__dict__.update(state)


def test_uvicorns_own_handlers_redact_what_they_print(uvicorn_loggers: None) -> None:
    """Through the configuration serve() hands to uvicorn, with uvicorn's access formatter."""
    config = log_config()
    config["handlers"]["access"]["stream"] = stream = io.StringIO()
    config["handlers"]["default"]["stream"] = errors = io.StringIO()
    logging.config.dictConfig(config)
    logging.getLogger("uvicorn.access").info(*_args(access_record(f"/t?token={TOKEN}")))
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "192.0.2.7:1", f"/w/ACD346/ws?token={TOKEN}"
    )
    assert TOKEN not in stream.getvalue() and f"token={REDACTED}" in stream.getvalue()
    assert TOKEN not in errors.getvalue() and f"token={REDACTED}" in errors.getvalue()


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    assert isinstance(record.args, tuple)
    return (record.msg, *record.args)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"/trainer?token={TOKEN}", f"/trainer?token={REDACTED}"),
        (f"/trainer?%74oken={TOKEN}", f"/trainer?%74oken={REDACTED}"),
        (f"/trainer?TOKEN={TOKEN}", f"/trainer?TOKEN={REDACTED}"),
        (f"/x?a=1&token={TOKEN}", f"/x?a=1&token={REDACTED}"),
        ("/x?token=", f"/x?token={REDACTED}"),
        ("/w/ACD346/ws?role=trainer&seq=12", "/w/ACD346/ws?role=trainer&seq=12"),
        ("/x?tokens=keep&mytoken=keep", "/x?tokens=keep&mytoken=keep"),
        ("no request line at all", "no request line at all"),
    ],
)
def test_only_token_values_are_replaced(line: str, expected: str) -> None:
    assert redact(line) == expected
