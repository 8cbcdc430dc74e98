"""Themenspeicher: topics across the whole day — added, parked, proposed, ranked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from board import topics
from board.cards import Card, Cluster, Wall
from board.changes import Deleted
from board.errors import Refused
from board.steps import Step
from board.topics import Topic
from board.workshops import Workshop


def a_workshop(proposals: bool = False) -> Workshop:
    return Workshop("ws", "ACDEFG", "Tag", "secret", "s1", 0, 0.0, topic_proposals=proposals)


def a_step(step_id: str = "s1", hidden: bool = False, revealed: bool = False) -> Step:
    return Step(step_id, "ws", 0, "cards", "", "open", hidden, revealed)


def a_wall(step: Step | None = None) -> Wall:
    step = step or a_step()
    cards = (
        Card(
            "c1", step.id, "anna", None, "Rückruf binnen 24 h", "yellow", "k1", None, 0, False, 1.0
        ),
        Card(
            "c2", step.id, "ben", None, "Freundlich am Telefon", "yellow", "k1", None, 1, False, 2.0
        ),
        Card("c3", step.id, "ben", None, "Kaffee", "yellow", None, None, 0, False, 3.0),
    )
    return Wall(step, cards, (Cluster("k1", step.id, "Erreichbarkeit", 0, 1.0),))


def a_topic(topic_id: str, position: int, **fields: object) -> Topic:
    return replace(Topic(topic_id, "ws", f"Thema {topic_id}", position, float(position)), **fields)


def stored(*changes: list[Topic]) -> list[Topic]:
    return [topic for changed in changes for topic in changed]


# -- the trainer's own topics ------------------------------------------------------
def test_the_trainer_adds_a_topic_at_the_end() -> None:
    store = [a_topic("a", 0), a_topic("b", 1)]
    (added,) = topics.add(store, "ws", "  Reklamationen   am Telefon ", "new", 5.0)
    assert (added.title, added.position, added.proposed) == ("Reklamationen am Telefon", 2, False)


@pytest.mark.parametrize(
    ("title", "key"),
    [("   ", "topic_empty"), ("x" * (topics.MAX_TITLE_LENGTH + 1), "topic_too_long")],
)
def test_an_empty_or_too_long_topic_is_refused(title: str, key: str) -> None:
    with pytest.raises(Refused) as refused:
        topics.add([], "ws", title, "new", 0.0)
    assert refused.value.key == key


def test_the_store_holds_at_most_its_limit() -> None:
    store = [a_topic(str(i), i) for i in range(topics.MAX_TOPICS)]
    with pytest.raises(Refused) as refused:
        topics.add(store, "ws", "Noch eins", "new", 0.0)
    assert refused.value.key == "topics_full"


def test_renaming_and_removing() -> None:
    store = [a_topic("a", 0)]
    (renamed,) = topics.rename(store, "a", "Beschwerden")
    assert renamed.title == "Beschwerden"
    assert topics.rename([renamed], "a", "Beschwerden") == []
    assert topics.remove(store, "a") == [Deleted(Topic, "a")]
    with pytest.raises(Refused):
        topics.remove(store, "nope")


def test_moving_a_topic_renumbers_the_store() -> None:
    store = [a_topic("a", 0), a_topic("b", 1), a_topic("c", 2)]
    moved = {t.id: t.position for t in topics.move(store, "c", 0)}
    assert moved == {"c": 0, "a": 1, "b": 2}
    assert [t.id for t in topics.ordered([*moved_into(store, moved)])] == ["c", "a", "b"]
    beyond = topics.move(store, "a", 99)  # clamped to the end
    assert {t.id: t.position for t in beyond} == {"b": 0, "c": 1, "a": 2}


def moved_into(store: list[Topic], positions: dict[str, int]) -> list[Topic]:
    return [replace(t, position=positions.get(t.id, t.position)) for t in store]


# -- the Parkplatz ------------------------------------------------------------------
def test_a_card_is_parked_with_a_link_to_where_it_came_from() -> None:
    wall = a_wall()
    (parked,) = topics.park_card([], wall, "c3", "t1", 9.0)
    assert parked.title == "Kaffee"
    assert (parked.origin, parked.origin_id, parked.origin_step_id) == ("card", "c3", "s1")
    assert parked.origin_text == "Kaffee"
    # The card stays on its wall: parking changes nothing but the Themenspeicher.
    assert wall.cards[2].text == "Kaffee"


def test_a_cluster_is_parked_whole_under_its_heading_with_its_cards() -> None:
    (parked,) = topics.park_cluster([], a_wall(), "k1", "t1", 9.0)
    assert parked.title == "Erreichbarkeit"
    assert parked.origin == "cluster" and parked.origin_id == "k1"
    assert parked.origin_text == "Erreichbarkeit: Rückruf binnen 24 h · Freundlich am Telefon"


def test_the_same_card_or_cluster_is_parked_once() -> None:
    first = topics.park_cluster([], a_wall(), "k1", "t1", 9.0)
    with pytest.raises(Refused) as refused:
        topics.park_cluster(first, a_wall(), "k1", "t2", 9.0)
    assert refused.value.key == "topic_already_parked"
    with pytest.raises(Refused) as unknown:
        topics.park_card([], a_wall(), "gone", "t2", 9.0)
    assert unknown.value.key == "card_not_found"


def test_a_card_parked_from_hidden_cards_waits_for_their_reveal() -> None:
    hidden = a_step("s1", hidden=True)
    (parked,) = topics.park_card([], a_wall(hidden), "c1", "t1", 9.0)
    own = topics.add([parked], "ws", "Eigenes Thema", "t2", 10.0)
    store = [parked, *own]
    assert [t.title for t in topics.for_the_room(store, [hidden])] == ["Eigenes Thema"]
    revealed = replace(hidden, revealed=True)
    assert len(topics.for_the_room(store, [revealed])) == 2


# -- proposals from phones ----------------------------------------------------------
def test_a_proposal_is_refused_while_the_trainer_does_not_allow_it() -> None:
    with pytest.raises(Refused) as refused:
        topics.propose([], a_workshop(proposals=False), "anna", "Parkplatz", "t1", 0.0)
    assert (refused.value.key, refused.value.status) == ("topic_proposals_closed", 403)


def test_a_proposal_waits_for_the_trainer_and_is_shown_to_nobody_meanwhile() -> None:
    (proposal,) = topics.propose([], a_workshop(True), "anna", "Schichtübergabe", "t1", 0.0)
    assert proposal.proposed and proposal.participant_id == "anna"
    assert topics.for_the_room([proposal], []) == []
    (accepted,) = topics.accept([proposal], "t1")
    assert not accepted.proposed
    assert topics.for_the_room([accepted], []) == [accepted]
    assert topics.accept([accepted], "t1") == []  # twice is once


def test_a_rejected_proposal_is_gone_and_only_proposals_can_be_rejected() -> None:
    (proposal,) = topics.propose([], a_workshop(True), "anna", "Kantine", "t1", 0.0)
    assert topics.reject([proposal], "t1") == [Deleted(Topic, "t1")]
    with pytest.raises(Refused) as refused:
        topics.reject([a_topic("a", 0)], "a")
    assert refused.value.key == "topic_not_proposed"


def test_one_person_has_only_a_few_proposals_waiting() -> None:
    store: list[Topic] = []
    for i in range(topics.MAX_WAITING_EACH):
        store += topics.propose(store, a_workshop(True), "anna", f"Idee {i}", f"t{i}", 0.0)
    with pytest.raises(Refused) as refused:
        topics.propose(store, a_workshop(True), "anna", "Noch eine", "tx", 0.0)
    assert refused.value.key == "topic_proposals_waiting"
    # Someone else still may.
    assert topics.propose(store, a_workshop(True), "ben", "Meine", "ty", 0.0)


# -- the ranking and the top topics -------------------------------------------------
def test_a_ranking_is_kept_on_the_topics_and_cleared_for_topics_no_longer_offered() -> None:
    store = [a_topic("a", 0), a_topic("b", 1), a_topic("c", 2, dots=4, rank=1, ranked_step_id="d")]
    kept = {
        t.id: (t.dots, t.rank) for t in topics.keep_ranking(store, [("a", 5, 1), ("b", 2, 2)], "d")
    }
    assert kept == {"a": (5, 1), "b": (2, 2), "c": (None, None)}


def test_the_top_topics_include_a_tie_on_the_line_and_no_topic_without_a_dot() -> None:
    ranked = [
        a_topic("a", 0, dots=6, rank=1, ranked_step_id="d"),
        a_topic("b", 1, dots=4, rank=2, ranked_step_id="d"),
        a_topic("c", 2, dots=3, rank=3, ranked_step_id="d"),
        a_topic("e", 3, dots=3, rank=3, ranked_step_id="d"),
        a_topic("f", 4, dots=1, rank=5, ranked_step_id="d"),
        a_topic("g", 5, dots=0, rank=6, ranked_step_id="d"),
        a_topic("h", 6, dots=9, rank=1, ranked_step_id="other"),
    ]
    assert [t.id for t in topics.top(ranked, "d", 3)] == ["a", "b", "c", "e"]
    assert [t.id for t in topics.top(ranked, "d", 9)] == ["a", "b", "c", "e", "f"]
    with pytest.raises(Refused):
        topics.top(ranked, "d", 0)


def test_the_two_settings_change_only_when_they_change() -> None:
    workshop = a_workshop()
    (opened,) = topics.set_proposals(workshop, True)
    assert opened.topic_proposals and topics.set_proposals(opened, True) == []
    (shown,) = topics.show_on_board(workshop, True)
    assert shown.topics_shown and topics.show_on_board(shown, True) == []
