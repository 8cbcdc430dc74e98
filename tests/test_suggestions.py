"""The console's Ähnliche Karten kept per step: computed off the event loop, again only
when the cards or their texts changed, on the cards a suggestion may take."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from board import similar
from board.cards import Card, Cluster, Wall
from board.steps import new_cards_step
from board.suggestions import Suggester, language_of

STEP = new_cards_step("step-1", "ws-1", 0, "Was ist Kundenbegeisterung?")
GERMAN = {
    "a": "Schnelle Rückmeldung bei Anfragen",
    "b": "Schnelle Rückmeldung auf Anfragen",
    "c": "Rückmeldung schnell",
    "d": "Kaffee und Kekse im Wartebereich",
    "e": "Kekse und Kaffee für wartende Kunden",
    "f": "Freundlichkeit am Telefon",
}


def card(card_id: str, text: str, order: int, **placed: str | None) -> Card:
    return Card(
        id=card_id,
        step_id=STEP.id,
        participant_id=None,
        client_id=None,
        text=text,
        colour="yellow",
        cluster_id=placed.get("cluster_id"),
        stacked_on=placed.get("stacked_on"),
        position=order,
        edited=False,
        created_at=1000.0 + order,
    )


def wall_of(texts: dict[str, str], clusters: tuple[Cluster, ...] = ()) -> Wall:
    return Wall(
        STEP, tuple(card(i, text, n) for n, (i, text) in enumerate(texts.items())), clusters
    )


def ids(suggestions: tuple[object, ...]) -> list[list[str]]:
    return [[c.id for c in found.cards] for found in suggestions]  # type: ignore[attr-defined]


async def test_near_duplicates_are_offered_as_a_stack_under_the_card_written_first() -> None:
    found = await Suggester().for_wall(wall_of(GERMAN))

    assert ids(found.stacks)[0] == ["a", "b", "c"]
    assert found.clusters is None  # proposals only when the trainer asks
    assert found.language == "de"


async def test_the_same_cards_again_are_answered_without_computing() -> None:
    suggester = Suggester()
    wall = wall_of(GERMAN)
    first = await suggester.for_wall(wall)
    # A card moved (its placement, not its text): the stacks' cards are as before.
    cluster = Cluster("k1", STEP.id, "Service", 0, 1.0)
    moved = replace(
        wall,
        cards=tuple(replace(c, cluster_id="k1") if c.id == "f" else c for c in wall.cards),
        clusters=(cluster,),
    )

    again = await suggester.for_wall(moved)

    assert suggester.computed == 1
    assert ids(again.stacks) == ids(first.stacks)


async def test_a_new_card_or_a_new_wording_is_computed_anew_and_found() -> None:
    suggester = Suggester()
    await suggester.for_wall(wall_of(GERMAN))
    fixed = dict(GERMAN, f="Rückmeldung bei Anfragen schnell")  # the trainer's fix

    found = await suggester.for_wall(wall_of(fixed))
    more = await suggester.for_wall(wall_of(fixed | {"g": "Kaffee und Kekse im Wartebereich!"}))

    assert suggester.computed == 3
    assert ids(found.stacks)[0] == ["a", "b", "c", "f"]
    assert "g" in {card_id for stack in ids(more.stacks) for card_id in stack}


async def test_incremental_answers_equal_a_fresh_computation() -> None:
    """Cards come, change and go: what the kept engine answers is what a new one would."""
    suggester = Suggester()
    texts = dict(GERMAN)
    for change in range(6):
        if change % 3 == 0:
            texts.pop(next(iter(texts)))
        else:
            texts[f"n{change}"] = f"Schnelle Antwort auf Anfragen Nummer {change}"
        kept = await suggester.for_wall(wall_of(texts), clusters=True)
        fresh = await Suggester().for_wall(wall_of(texts), clusters=True)
        assert kept == fresh


async def test_the_engine_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    suggestions = similar.SimilarCards.suggestions

    def recorded(self: similar.SimilarCards) -> similar.Suggestions:
        threads.append(threading.current_thread())
        return suggestions(self)

    monkeypatch.setattr(similar.SimilarCards, "suggestions", recorded)
    await Suggester().for_wall(wall_of(GERMAN), clusters=True)

    assert len(threads) == 2  # stacks and clusters
    assert threading.current_thread() not in threads


async def test_a_stacked_card_is_no_suggestion_and_a_sorted_one_no_proposal() -> None:
    texts = dict(GERMAN, g="Schnelle Rückmeldung bei allen Anfragen")
    wall = wall_of(texts, (Cluster("k1", STEP.id, "Kekse", 0, 1.0),))
    placed = {"c": {"stacked_on": "a"}, "d": {"cluster_id": "k1"}}
    wall = replace(
        wall,
        cards=tuple(replace(c, **placed.get(c.id, {})) for c in wall.cards),  # type: ignore[arg-type]
    )

    found = await Suggester().for_wall(wall, clusters=True)

    suggested = {i for stack in ids(found.stacks) for i in stack}
    proposed = {i for proposal in ids(found.clusters or ()) for i in proposal}
    assert "c" not in suggested and "c" not in proposed  # under "a" already
    assert "d" not in proposed  # the trainer sorted it
    assert {"a", "b", "g"} <= suggested


async def test_english_cards_are_compared_in_english() -> None:
    english = {
        "a": "Quick response to customer requests",
        "b": "Quick responses to requests",
        "c": "Free coffee in the waiting area",
        "d": "Friendly staff on the phone",
    }
    wall = wall_of(english)

    found = await Suggester().for_wall(wall, clusters=True)

    assert language_of(wall) == "en"
    assert ids(found.stacks) == [["a", "b"]]
    assert found.clusters and "Quick" in found.clusters[0].heading


async def test_only_so_many_walls_are_kept() -> None:
    suggester = Suggester(kept=2)
    for step in ("s1", "s2", "s3"):
        wall = wall_of(GERMAN)
        await suggester.for_wall(replace(wall, step=replace(STEP, id=step)))

    await suggester.for_wall(replace(wall_of(GERMAN), step=replace(STEP, id="s1")))

    assert suggester.computed == 4  # the first was forgotten, the last two kept
