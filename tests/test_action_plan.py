"""Maßnahmenplan: what, who, by when — from phones and from the trainer's console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from board.action_plan import (
    MAX_DUE,
    MAX_WHAT,
    MAX_WHO,
    MAX_WITH,
    STATUSES,
    ActionItem,
    edit,
    from_topics,
    propose,
    remove,
    set_status,
)
from board.changes import Deleted
from board.errors import Refused
from board.i18n import translate
from board.steps import Step

# -- factories ----------------------------------------------------------------


def a_step(kind: str = "actions", state: str = "open") -> Step:
    return Step("plan", "ws", 0, kind, "", state, False, False, {})


def an_item(
    item_id: str, *, position: int = 0, by: str | None = "anna", **fields: Any
) -> ActionItem:
    values = {"what": "Kundenbefragung planen", "who": "Anna", "due": "Ende März"} | fields
    return ActionItem(item_id, "plan", by, position=position, created_at=0.0, **values)


def suggest(
    items: list[ActionItem],
    what: str = "Beschwerden am selben Tag beantworten",
    who: str = "Ben",
    due: str = "ab sofort",
    *,
    step: Step | None = None,
    by: str | None = "anna",
    trainer: bool = False,
    item_id: str = "new",
) -> list[ActionItem]:
    return propose(step or a_step(), items, by, what, who, due, item_id, 50.0, by_trainer=trainer)


def refusal(command: Callable[[], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        command()
    return caught.value


# -- proposing ------------------------------------------------------------------


def test_a_phone_proposes_an_action() -> None:
    assert suggest([]) == [
        ActionItem(
            "new",
            "plan",
            "anna",
            "Beschwerden am selben Tag beantworten",
            "Ben",
            "ab sofort",
            0,
            50.0,
        )
    ]


def test_who_and_by_when_may_stay_open_what_may_not() -> None:
    [item] = suggest([], "Newsletter einstellen", "", "")
    assert (item.what, item.who, item.due) == ("Newsletter einstellen", "", "")


@pytest.mark.parametrize("what", ["", "   ", "\n\t"])
def test_an_action_without_what_is_refused(what: str) -> None:
    error = refusal(lambda: suggest([], what))
    assert (error.key, error.status) == ("what_empty", 422)


def test_spaces_and_line_breaks_are_collapsed() -> None:
    [item] = suggest([], "  Team-\n  Workshop   planen ", " Cem  und Dana ", "\tQ3 ")
    assert (item.what, item.who, item.due) == ("Team- Workshop planen", "Cem und Dana", "Q3")


@pytest.mark.parametrize(
    "field, limit, key",
    [
        ("what", MAX_WHAT, "what_too_long"),
        ("who", MAX_WHO, "who_too_long"),
        ("due", MAX_DUE, "due_too_long"),
    ],
)
def test_each_field_has_a_length_limit(field: str, limit: int, key: str) -> None:
    def fields(value: str) -> list[str]:
        values = {"what": "Etwas tun", "who": "Anna", "due": "Mai"} | {field: value}
        return [values["what"], values["who"], values["due"]]

    [item] = suggest([], *fields("x" * limit))
    assert getattr(item, field) == "x" * limit
    error = refusal(lambda: suggest([], *fields("x" * (limit + 1))))
    assert (error.key, error.status, error.params) == (key, 422, {"max": limit})


def test_a_new_action_goes_below_the_last_one() -> None:
    items = [an_item("a", position=0), an_item("b", position=4)]
    [item] = suggest(items)
    assert item.position == 5


def test_after_the_trainer_closes_the_plan_phones_cannot_add() -> None:
    error = refusal(lambda: suggest([], step=a_step(state="closed")))
    assert (error.key, error.status) == ("voting_closed", 409)


def test_the_trainer_still_types_actions_into_a_closed_plan() -> None:
    [item] = suggest([], step=a_step(state="closed"), by=None, trainer=True)
    assert item.participant_id is None
    assert item.what == "Beschwerden am selben Tag beantworten"


def test_the_trainer_edits_an_action_and_its_place_stays() -> None:
    items = [an_item("a", position=0), an_item("b", position=1)]
    [changed] = edit(items, "b", " Kundenbefragung  auswerten ", "Cem", "April")
    assert (changed.id, changed.position, changed.participant_id) == ("b", 1, "anna")
    assert (changed.what, changed.who, changed.due) == ("Kundenbefragung auswerten", "Cem", "April")


def test_an_edit_that_changes_nothing_stores_nothing() -> None:
    items = [an_item("a")]
    assert edit(items, "a", "Kundenbefragung  planen", "Anna", " Ende März") == []


def test_an_edit_follows_the_same_rules_as_a_proposal() -> None:
    items = [an_item("a")]
    assert refusal(lambda: edit(items, "a", " ", "Anna", "")).key == "what_empty"
    assert refusal(lambda: edit(items, "a", "ok", "x" * (MAX_WHO + 1), "")).key == "who_too_long"


def test_editing_or_removing_an_unknown_action_is_refused() -> None:
    for command in (
        lambda: edit([an_item("a")], "x", "w", "", ""),
        lambda: remove([an_item("a")], "x"),
    ):
        error = refusal(command)
        assert (error.key, error.status) == ("action_not_found", 404)


def test_removing_an_action_deletes_its_row() -> None:
    items = [an_item("a"), an_item("b", position=1)]
    assert remove(items, "b") == [Deleted(ActionItem, "b")]


# -- Mit wem, Status, and rows from the Themenspeicher -------------------------------
def test_mit_wem_and_status_are_set_and_kept_when_a_form_leaves_them_out() -> None:
    item = an_item("a")
    (changed,) = edit([item], "a", item.what, item.who, item.due, "Vertrieb", "doing")
    assert (changed.with_whom, changed.status) == ("Vertrieb", "doing")
    (again,) = edit([changed], "a", "Neu", changed.who, changed.due)
    assert (again.what, again.with_whom, again.status) == ("Neu", "Vertrieb", "doing")


def test_a_proposal_from_a_phone_may_name_with_whom() -> None:
    (item,) = propose(
        a_step(), [], "anna", "Leitfaden", "Anna", "Mai", "x", 1.0, with_whom="  Team   Süd "
    )
    assert (item.with_whom, item.status, item.topic_id) == ("Team Süd", "open", None)
    with pytest.raises(Refused) as refused:
        propose(a_step(), [], "anna", "L", "", "", "y", 1.0, with_whom="x" * (MAX_WITH + 1))
    assert refused.value.key == "with_too_long"


@pytest.mark.parametrize("status", ["erledigt", "closed", "", "DONE"])
def test_an_unknown_status_is_refused_with_a_clear_message_in_both_languages(status: str) -> None:
    with pytest.raises(Refused) as refused:
        set_status([an_item("a")], "a", status)
    assert refused.value.key == "action_status_unknown"
    german = translate("de", refused.value.key, **refused.value.params)
    english = translate("en", refused.value.key, **refused.value.params)
    assert "offen, in Arbeit, erledigt" in german and f"„{status}“" in german
    assert "open, in progress, done" in english


def test_each_known_status_is_taken() -> None:
    item = an_item("a")
    for status in STATUSES:
        changed = set_status([item], "a", status)
        assert changed == ([] if status == item.status else [replace(item, status=status)])


def test_top_topics_become_rows_linked_to_them_once() -> None:
    existing = [an_item("a", position=0, topic_id="t1")]
    rows = from_topics(
        a_step(),
        existing,
        [("t1", "Erreichbarkeit"), ("t2", "Rückrufe"), ("t3", "Ton")],
        iter(["n1", "n2"]),
        5.0,
    )
    assert [(r.id, r.what, r.topic_id, r.position, r.participant_id) for r in rows] == [
        ("n1", "Rückrufe", "t2", 1, None),
        ("n2", "Ton", "t3", 2, None),
    ]
