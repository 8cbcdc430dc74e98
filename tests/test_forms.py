"""Form fields into values: what a phone, the console and the start page send."""

from __future__ import annotations

import pytest

from board.errors import Refused
from board.forms import Form


def refused(read: object) -> tuple[str, int]:
    with pytest.raises(Refused) as error:
        read()  # type: ignore[operator]
    return error.value.key, error.value.status


def test_a_text_field_is_as_sent_and_a_missing_one_takes_the_default() -> None:
    form = Form({"title": " Retro "})
    assert form.text("title") == " Retro "
    assert form.text("question") == ""
    assert refused(lambda: form.text("question", None)) == ("bad_request", 400)


def test_a_file_where_a_text_belongs_is_refused() -> None:
    assert refused(lambda: Form({"text": object()}).text("text")) == ("bad_request", 400)


def test_whole_numbers_with_a_default_for_an_empty_field() -> None:
    form = Form({"budget": "3", "index": "", "value": "drei"})
    assert form.integer("budget") == 3
    assert form.integer("index", "1000000") == 1_000_000
    assert refused(lambda: form.integer("value")) == ("bad_request", 400)


def test_a_german_trainer_types_minutes_with_a_comma() -> None:
    assert Form({"minutes": "2,5"}).number("minutes") == 2.5
    assert Form({"minutes": "2.5"}).number("minutes") == 2.5


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan"])
def test_infinity_is_refused_as_the_caller_says(raw: str) -> None:
    form = Form({"x": raw})
    assert refused(lambda: form.number("x")) == ("bad_request", 400)
    outside = ("point_outside", 422)
    assert refused(lambda: form.number("x", not_finite=outside)) == outside
