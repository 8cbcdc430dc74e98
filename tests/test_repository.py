"""Domain objects in and out of the store; one sequence number per stored command."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from board import cards
from board.action_plan import ActionItem
from board.cards import COLOURS, Card, Change, Cluster, Deleted, Wall
from board.errors import Refused
from board.pairs import Person
from board.settings import Settings
from board.steps import Step, close_step, new_cards_step, set_hidden
from board.store import repository
from board.store.database import Database
from board.votes import Vote
from board.workshops import Participant, Workshop

WORKSHOP = Workshop("ws", "K7M4QX", "Retro sprint 42", "trainer-secret", "step", 0, 1.0)
STEP = new_cards_step("step", "ws", 0, "What slows our releases down?")


def a_card(card_id: str, **fields: Any) -> Card:
    card = Card(
        card_id, "step", "anna", None, f"Idea {card_id}", "yellow", None, None, 0, False, 1.0
    )
    return replace(card, **fields)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The store the suite runs on: SQLite, or PostgreSQL on the suite's second run."""
    db = Database(settings.database_url or settings.db_path)
    db.write_now(lambda conn: repository.insert_workshop(conn, WORKSHOP, [STEP]))
    yield db
    db.close()


def store(db: Database, changes: list[Change]) -> int:
    return db.write_now(lambda conn: repository.apply(conn, "ws", changes))


def wall_of(db: Database) -> Wall:
    return db.read_now(lambda conn: repository.wall(conn, "step"))


def seq_of(db: Database) -> int:
    return db.read_now(lambda conn: repository.workshop_by_id(conn, "ws").seq)


def by_id(wall: Wall) -> dict[str, Card]:
    return {card.id: card for card in wall.cards}


def refusal(db: Database, read: Callable[[sqlite3.Connection], object]) -> Refused:
    with pytest.raises(Refused) as caught:
        db.read_now(read)
    return caught.value


# -- workshops, steps, participants ------------------------------------------------


def test_a_workshop_is_found_by_its_code_and_by_its_id(database: Database) -> None:
    assert database.read_now(lambda conn: repository.workshop_by_code(conn, "K7M4QX")) == WORKSHOP
    assert database.read_now(lambda conn: repository.workshop_by_id(conn, "ws")) == WORKSHOP
    assert database.read_now(lambda conn: repository.steps(conn, "ws")) == [STEP]


def test_a_code_nobody_uses_finds_no_workshop(database: Database) -> None:
    error = refusal(database, lambda conn: repository.workshop_by_code(conn, "ACDEFG"))
    assert (error.key, error.status) == ("workshop_not_found", 404)
    assert database.read_now(lambda conn: repository.code_taken(conn, "K7M4QX"))
    assert not database.read_now(lambda conn: repository.code_taken(conn, "ACDEFG"))


def test_a_step_that_is_gone_is_not_found(database: Database) -> None:
    error = refusal(database, lambda conn: repository.wall(conn, "gone"))
    assert (error.key, error.status) == ("step_not_found", 404)
    error = refusal(database, lambda conn: repository.step(conn, None))
    assert error.key == "step_not_found"


def test_participants_join_and_are_counted(database: Database) -> None:
    anna = Participant("anna", "ws", "Anna", 2.0)
    anonymous = Participant("p2", "ws", None, 3.0)
    for participant in (anna, anonymous):
        database.write_now(lambda conn, p=participant: repository.insert_participant(conn, p))

    assert database.read_now(lambda conn: repository.count_participants(conn, "ws")) == 2
    assert database.read_now(lambda conn: repository.participant(conn, "anna")) == anna
    assert database.read_now(lambda conn: repository.participant(conn, "p2")) == anonymous
    assert database.read_now(lambda conn: repository.participant(conn, "nobody")) is None


def test_participants_are_listed_in_the_order_they_joined(database: Database) -> None:
    late = Participant("late", "ws", "Zoe", 5.0)
    early = Participant("early", "ws", None, 1.0)
    same_moment = [Participant(f"p{i}", "ws", f"P{i}", 3.0) for i in (2, 1, 3)]
    for participant in (late, *same_moment, early):
        database.write_now(lambda conn, p=participant: repository.insert_participant(conn, p))
    other = replace(WORKSHOP, id="other", code="ACDEFG")
    database.write_now(lambda conn: repository.insert_workshop(conn, other, []))
    database.write_now(
        lambda conn: repository.insert_participant(conn, Participant("x", "other", "X", 0.0))
    )

    listed = database.read_now(lambda conn: repository.participants(conn, "ws"))
    assert listed == [early, *same_moment, late]  # the same moment: in the order stored


# -- applying changes --------------------------------------------------------------


def test_a_new_card_is_stored_and_read_back_as_it_was(database: Database) -> None:
    card = a_card("c1", client_id="draft-1", text="Two\nlines", colour="green", created_at=5.5)
    store(database, [card])
    assert wall_of(database).cards == (card,)


def test_clusters_stacks_and_edited_flags_survive_the_round_trip(database: Database) -> None:
    cluster = Cluster("k", "step", "Tools", 0, 2.0)
    top = a_card("top", cluster_id="k", position=3, edited=True)
    under = a_card("dup", stacked_on="top", participant_id=None)
    store(database, [cluster, top, under])

    wall = wall_of(database)

    assert wall.clusters == (cluster,)
    assert by_id(wall) == {"top": top, "dup": under}
    assert wall.card("top").edited is True
    assert wall.card("dup").edited is False


def test_a_step_change_is_stored(database: Database) -> None:
    changed = close_step(set_hidden(STEP, True))
    store(database, [changed])
    assert database.read_now(lambda conn: repository.step(conn, "step")) == changed
    assert wall_of(database).step == changed


def test_an_update_overwrites_the_row_including_fields_set_back_to_none(
    database: Database,
) -> None:
    store(database, [Cluster("k", "step", "Tools", 0, 2.0), a_card("c1", cluster_id="k")])
    store(database, [a_card("c1", cluster_id=None, position=4, text="Moved back")])

    [card] = wall_of(database).cards
    assert (card.cluster_id, card.position, card.text) == (None, 4, "Moved back")


def test_deleted_removes_the_row(database: Database) -> None:
    store(database, [a_card("c1"), a_card("c2")])
    store(database, [Deleted(Card, "c1")])
    assert list(by_id(wall_of(database))) == ["c2"]


def test_deleting_a_cluster_leaves_its_cards_unassigned_not_lost(database: Database) -> None:
    store(
        database,
        [Cluster("k", "step", "Tools", 0, 2.0), a_card("c1", cluster_id="k"), a_card("c2")],
    )
    store(database, [Deleted(Cluster, "k")])

    wall = wall_of(database)
    assert wall.clusters == ()
    assert {c.id: c.cluster_id for c in wall.cards} == {"c1": None, "c2": None}


def test_deleting_a_step_takes_everything_written_on_it_and_nothing_else(
    database: Database,
) -> None:
    second = new_cards_step("step2", "ws", 1, "And what speeds them up?")
    database.write_now(lambda conn: repository.apply(conn, "ws", [second]))
    on_the_step = [
        Cluster("k", "step", "Tools", 0, 2.0),
        a_card("c1", cluster_id="k"),
        Vote("v", "step", "anna", "", 2, None, None, None, 3.0),
        ActionItem("a", "step", "anna", "Automate", "Team", "Friday", 0, 4.0),
        Person("step", "anna", "Anna", 5.0, None),
    ]
    store(database, [*on_the_step, a_card("kept", step_id="step2")])

    store(database, [Deleted(Step, "step")])

    read = database.read_now
    assert [s.id for s in read(lambda conn: repository.steps(conn, "ws"))] == ["step2"]
    assert read(lambda conn: repository.votes(conn, "step")) == []
    assert read(lambda conn: repository.action_items(conn, "step")) == []
    assert read(lambda conn: repository.people(conn, "step")) == []
    assert [c.id for c in read(lambda conn: repository.wall(conn, "step2")).cards] == ["kept"]
    orphans = read(lambda conn: conn.execute("SELECT count(*) FROM cards WHERE step_id = 'step'"))
    assert orphans.fetchone()[0] == 0
    clusters = read(lambda conn: conn.execute("SELECT count(*) FROM clusters").fetchone()[0])
    assert clusters == 0


def test_a_deleted_vote_and_action_item_are_gone(database: Database) -> None:
    vote = Vote("v", "step", "anna", "", 2, None, None, None, 3.0)
    item = ActionItem("a", "step", "anna", "Automate", "Team", "Friday", 0, 4.0)
    store(database, [vote, item])
    store(database, [Deleted(Vote, "v"), Deleted(ActionItem, "a")])
    assert database.read_now(lambda conn: repository.votes(conn, "step")) == []
    assert database.read_now(lambda conn: repository.action_items(conn, "step")) == []


def test_each_stored_command_bumps_the_sequence_once(database: Database) -> None:
    assert seq_of(database) == 0
    assert store(database, [a_card("c1"), a_card("c2"), a_card("c3")]) == 1
    assert store(database, [Deleted(Card, "c3")]) == 2
    assert seq_of(database) == 2


def test_a_command_that_changes_nothing_keeps_the_sequence(database: Database) -> None:
    store(database, [a_card("c1")])
    assert store(database, []) == 1
    assert seq_of(database) == 1


def test_sequences_are_per_workshop(database: Database) -> None:
    other = Workshop("ws2", "ACDEFG", "Other", "secret-2", None, 0, 1.0)
    database.write_now(lambda conn: repository.insert_workshop(conn, other, []))
    store(database, [a_card("c1")])
    assert database.read_now(lambda conn: repository.workshop_by_id(conn, "ws2").seq) == 0


def test_a_command_that_fails_after_applying_stores_nothing(database: Database) -> None:
    def apply_then_fail(conn: sqlite3.Connection) -> None:
        repository.apply(conn, "ws", [a_card("c1")])
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        database.write_now(apply_then_fail)

    assert wall_of(database).cards == ()
    assert seq_of(database) == 0


def test_the_database_refuses_a_second_card_for_the_same_phone_draft(database: Database) -> None:
    # The domain answers a resent draft with the stored card; the index backs it up.
    store(database, [a_card("c1", client_id="draft-1")])
    with pytest.raises(database.conflict):
        store(database, [a_card("c2", client_id="draft-1")])
    assert list(by_id(wall_of(database))) == ["c1"]


def test_a_colour_dropped_from_the_palette_reads_as_the_first_colour(database: Database) -> None:
    store(database, [a_card("c1")])
    database.write_now(lambda conn: conn.execute("UPDATE cards SET colour = 'purple'"))
    assert wall_of(database).card("c1").colour == COLOURS[0]


def test_domain_commands_played_through_storage_read_back_in_the_same_order(
    database: Database,
) -> None:
    for n in range(5):
        wall = wall_of(database)
        _, changes = cards.add_card(
            wall,
            card_id=f"c{n}",
            participant_id=f"phone-{n}",
            client_id="draft-1",
            text=f"Idea {n}",
            colour="yellow",
            now=float(n),
            max_length=120,
        )
        store(database, changes)
    store(database, cards.create_cluster(wall_of(database), "k", "Tools", now=9.0))
    store(database, cards.move_card(wall_of(database), "c3", "k", 0))
    store(database, cards.move_card(wall_of(database), "c1", "k", 0))
    store(database, cards.stack(wall_of(database), "c4", "c1"))

    wall = wall_of(database)
    assert [c.id for c in wall.in_cluster("k")] == ["c1", "c3"]
    assert [c.id for c in wall.in_cluster(None)] == ["c0", "c2"]
    assert [c.id for c in wall.stacked_under("c1")] == ["c4"]
    assert seq_of(database) == 9


def test_a_committed_card_survives_closing_and_reopening_the_database(tmp_path: Path) -> None:
    card = a_card("c1", text="Keep me")
    db = Database(tmp_path / "board.sqlite3")
    db.write_now(lambda conn: repository.insert_workshop(conn, WORKSHOP, [STEP]))
    store(db, [card])
    db.close()

    reopened = Database(tmp_path / "board.sqlite3")
    try:
        assert wall_of(reopened).cards == (card,)
        assert seq_of(reopened) == 1
    finally:
        reopened.close()


# -- the change log ------------------------------------------------------------------


def log(db: Database, seqs: range) -> None:
    def write(conn: sqlite3.Connection) -> None:
        for seq in seqs:
            repository.log_change(conn, "ws", seq, {"wall"}, {f"p{seq}"}, 1.0)

    db.write_now(write)


def logged_seqs(db: Database, since: int = 0) -> list[int]:
    return [seq for seq, _, _ in db.read_now(lambda c: repository.changes_since(c, "ws", since))]


def test_the_change_log_says_what_each_write_after_a_seq_changed(database: Database) -> None:
    log(database, range(1, 6))
    assert database.read_now(lambda conn: repository.changes_since(conn, "ws", 3)) == [
        (4, ["wall"], ["p4"]),
        (5, ["wall"], ["p5"]),
    ]


def test_the_change_log_keeps_only_the_last_writes_of_a_busy_workshop(database: Database) -> None:
    every, kept = repository.CHANGE_LOG_PRUNE_EVERY, repository.CHANGE_LOG_KEPT
    last = kept + 2 * every  # a pruning write
    log(database, range(1, last + 1))
    assert logged_seqs(database) == list(range(last - kept + 1, last + 1))
    log(database, range(last + 1, last + every))  # no pruning until the next round number
    assert logged_seqs(database)[0] == last - kept + 1


def test_deleting_a_workshop_deletes_its_change_log(database: Database) -> None:
    log(database, range(1, 4))
    database.write_now(lambda conn: repository.delete_workshop(conn, "ws"))
    assert logged_seqs(database) == []
