"""Ähnliche Karten: a room's cards come in, the trainer is offered stacks of cards that say
the same thing and clusters with a heading; measured against walls a moderator grouped."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from board import similar
from board.cards import MAX_HEADING_LENGTH
from board.similar import (
    ClusterProposal,
    SimilarCards,
    Suggestions,
    agglomerate,
    card_words,
    detect_language,
    echo_of,
    heading,
    stem,
    suggest,
)
from board.wordcloud import words_of
from tests.cardsets import (
    HELD_OUT_SETS,
    TUNING_SETS,
    adjusted_rand_index,
    load,
    score,
)

# -- words -------------------------------------------------------------------------------------


def test_inflected_forms_share_a_stem() -> None:
    assert stem("Rückmeldungen", "de") == stem("Rückmeldung", "de")
    assert stem("Anfragen", "de") == stem("Anfrage", "de")
    assert stem("responses", "en") == stem("response", "en")


def test_a_phone_without_umlauts_meets_one_with_them() -> None:
    assert stem("Ruckmeldung", "de") == stem("Rückmeldung", "de")
    assert card_words("Ruckmeldung", "de").grams == card_words("Rückmeldung", "de").grams


def test_compounds_share_character_ngrams_where_their_stems_differ() -> None:
    feedback, feedback_time = card_words("Rückmeldung", "de"), card_words("Rückmeldezeit", "de")
    assert not feedback.stems & feedback_time.stems
    shared = feedback.grams & feedback_time.grams
    assert {"#<ruck", "#ruckm", "#kmeld"} <= shared
    assert not feedback.grams & card_words("Preis", "de").grams


def test_a_compound_and_its_parts_land_in_one_cluster() -> None:
    wall = {
        "1": "Rückmeldezeit verkürzen",
        "2": "schnelle Rückmeldung",
        "3": "faire Preise",
        "4": "Preis-Leistung stimmt",
    }
    groups = {frozenset(cluster.card_ids) for cluster in suggest(wall, "de").clusters}
    assert frozenset({"1", "2"}) in groups
    assert frozenset({"3", "4"}) in groups


def test_stop_words_and_single_letters_say_nothing() -> None:
    assert card_words("Was ist das für ein Workshop?", "de").stems == {stem("Workshop", "de")}
    assert card_words("z.B. 5x", "de").stems == frozenset()
    assert card_words("the meeting is too long", "en").stems == {"meet", "long"}


def test_words_common_to_any_card_are_dropped_for_similarity_but_not_for_the_cloud() -> None:
    # "gute Laune" and "gutes Essen" are no pair; the word cloud still counts "gute".
    assert card_words("gute Laune", "de").stems == {stem("Laune", "de")}
    assert words_of("gute Laune") == ["gute", "Laune"]


def test_each_language_has_its_own_stop_words() -> None:
    # "die" is an article in German, a verb in English.
    assert card_words("die hard", "en").stems == {"die", "hard"}
    assert card_words("die Kunden", "de").stems == {stem("Kunden", "de")}


def test_the_words_of_the_question_are_dropped() -> None:
    echo = echo_of("Was erwarten Sie von diesem Workshop – und was befürchten Sie?", "de")
    words = card_words("Befürchtung: endlose Diskussionen", "de", echo)
    assert words.stems == {stem("endlose", "de"), stem("Diskussionen", "de")}


def test_the_language_of_a_wall_is_told_by_its_small_words() -> None:
    assert detect_language(["Das ist mir wichtig", "Zeit für den Austausch"]) == "de"
    assert detect_language(["send the agenda before the meeting", "we are late"]) == "en"
    assert detect_language(["Kaffee"]) == "de"


def test_a_language_without_stemmer_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        SimilarCards("fr")


# -- grouping ----------------------------------------------------------------------------------


def test_complete_linkage_does_not_chain_a_to_c_through_b() -> None:
    # A~B and B~C are close, A and C have nothing in common.
    similarities: list[dict[int, float]] = [{1: 0.9}, {2: 0.8}, {}]
    assert agglomerate(3, similarities, 0.5, "complete") == [[0, 1], [2]]


def test_average_linkage_merges_while_the_mean_reaches_the_threshold() -> None:
    similarities: list[dict[int, float]] = [{1: 0.9}, {2: 0.8}, {}]
    # {0,1} to {2}: (0 + 0.8) / 2 = 0.4
    assert agglomerate(3, similarities, 0.45, "average") == [[0, 1], [2]]
    assert agglomerate(3, similarities, 0.4, "average") == [[0, 1, 2]]


def test_an_empty_wall_and_a_wall_of_small_words_suggest_nothing() -> None:
    assert suggest({}, "de") == Suggestions((), ())
    assert suggest({"1": "und so", "2": "👍", "3": "und so"}, "de") == Suggestions((), ())


def test_near_duplicates_are_offered_as_one_stack() -> None:
    wall = {
        "1": "telefonisch gut erreichbar sein",
        "2": "Erreichbarkeit am Telefon",
        "3": "faire Preise",
        "4": "Produktqualität",
    }
    (stack,) = suggest(wall, "de").stacks
    assert stack.card_ids == ("1", "2")
    assert similar.DEFAULT_TUNING.stack_threshold <= stack.similarity <= 1.0 + 1e-9


# -- headings ----------------------------------------------------------------------------------


def test_a_heading_is_the_shared_word_spelt_as_most_cards_wrote_it() -> None:
    texts = [
        "fester Ansprechpartner",
        "Ein Ansprechpartner für alles",
        "immer derselbe ansprechpartner",
    ]
    cards = [card_words(text, "de") for text in texts]
    frequency = _frequency(cards)
    assert heading(cards, frequency, len(cards)).split(", ")[0] == "Ansprechpartner"


def test_a_word_the_whole_wall_uses_loses_to_the_one_the_group_shares() -> None:
    wall = [
        "Kunde ernst nehmen",
        "Kunde mit Namen ansprechen",
        "Namen des Kunden kennen",
        "Kunde kommt wieder",
        "Kunde empfiehlt uns weiter",
        "Kunde wartet nicht",
    ]
    cards = [card_words(text, "de") for text in wall]
    group = cards[1:3]
    assert heading(group, _frequency(cards), len(cards)).split(", ")[0] == "Namen"


def test_a_heading_fits_on_a_cluster() -> None:
    long_words = ["Donaudampfschifffahrtsgesellschaftskapitän" * 2, "Rindfleischetikettierung"]
    cards = [card_words(" ".join(long_words), "de")] * 2
    assert 0 < len(heading(cards, _frequency(cards), 2)) <= MAX_HEADING_LENGTH


def _frequency(cards: list[similar.CardWords]) -> dict[str, int]:
    frequency: dict[str, int] = {}
    for card in cards:
        for feature in card.stems | card.grams:
            frequency[feature] = frequency.get(feature, 0) + 1
    return frequency


# -- as cards arrive ---------------------------------------------------------------------------


def test_cards_coming_changing_and_going_give_what_a_full_computation_gives() -> None:
    # Thirty phones send, fix a typo, withdraw; after every step the kept suggestions are
    # those of the wall computed from scratch.
    texts = [card.text for card in load("kundenbegeisterung").cards]
    rng = random.Random(14)
    kept = SimilarCards("de", "Was ist Kundenbegeisterung?")
    wall: dict[str, str] = {}
    for step in range(150):
        card_id = str(rng.randrange(60))
        if card_id in wall and rng.random() < 0.25:
            kept.remove(card_id)
            del wall[card_id]
        else:
            text = rng.choice(texts)
            kept.put(card_id, text)
            wall[card_id] = text
        if step % 5 == 0 or step > 140:
            assert kept.suggestions() == suggest(wall, "de", "Was ist Kundenbegeisterung?")
    assert kept.suggestions().clusters


def test_suggestions_are_kept_until_a_card_changes() -> None:
    kept = SimilarCards("de")
    kept.put("1", "Freundlichkeit")
    kept.put("2", "freundlicher Umgang")
    first = kept.suggestions()
    kept.put("2", "freundlicher Umgang")  # the same text again: nothing changed
    assert kept.suggestions() is first
    kept.put("3", "Freundlichkeit!")
    assert kept.suggestions() is not first
    kept.remove("3")
    kept.remove("3")  # gone already
    assert kept.suggestions() == first


def test_a_card_arriving_while_suggestions_are_computed_waits_for_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The console's worker thread computes; meanwhile a phone's card reaches the event
    # loop, which must not wait for that computation, nor be lost from the next one.
    computing, finish = threading.Event(), threading.Event()
    compute = similar._suggest

    def slow(*args: Any) -> Suggestions:
        computing.set()
        assert finish.wait(10)
        return compute(*args)

    kept = SimilarCards("de")
    kept.put("1", "Freundlichkeit")
    kept.put("2", "freundlicher Umgang")
    monkeypatch.setattr(similar, "_suggest", slow)
    with ThreadPoolExecutor(2) as pool:
        before = pool.submit(kept.suggestions)
        assert computing.wait(10)
        arrival = pool.submit(kept.put, "3", "Freundlichkeit am Telefon")
        arrival.result(timeout=5)
        finish.set()
        assert {card for c in before.result(10).clusters for card in c.card_ids} == {"1", "2"}
    after = kept.suggestions()
    assert {card for c in after.clusters for card in c.card_ids} == {"1", "2", "3"}


def test_suggestions_can_be_asked_from_many_threads_at_once() -> None:
    wall = load("erwartungen")
    kept = SimilarCards(wall.language, wall.prompt)
    expected = suggest(wall.texts, wall.language, wall.prompt)
    start = threading.Barrier(4)

    def ask(_: int) -> Suggestions:
        start.wait()
        similar.card_words.cache_clear()  # every thread stems for itself
        return suggest(wall.texts, wall.language, wall.prompt)

    for card in wall.cards:
        kept.put(card.id, card.text)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(ask, range(4)))
    assert results == [expected] * 4
    assert kept.suggestions() == expected


# -- the adjusted Rand index -------------------------------------------------------------------


def test_adjusted_rand_index_by_hand() -> None:
    # Pairs together in both: 2 (one in each true group); truth 6 pairs, proposal 3 pairs,
    # 15 pairs in all: expected 6 * 3 / 15 = 1.2, best (6 + 3) / 2 = 4.5,
    # ARI = (2 - 1.2) / (4.5 - 1.2) = 8/33.
    truth = ["a", "a", "a", "b", "b", "b"]
    proposed = [1, 1, 2, 2, 3, 3]
    assert adjusted_rand_index(truth, proposed) == pytest.approx(8 / 33)
    # together 1, truth 2, proposal 1, 6 pairs: (1 - 1/3) / (1.5 - 1/3) = 4/7
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)


def test_adjusted_rand_index_ignores_the_names_of_groups() -> None:
    assert adjusted_rand_index([0, 0, 1, 1, 2], ["x", "x", "y", "y", "z"]) == 1.0
    assert adjusted_rand_index([0, 1, 2], [5, 6, 7]) == 1.0


def test_adjusted_rand_index_of_a_random_grouping_is_about_zero() -> None:
    rng = random.Random(1)
    truth = [rng.randrange(8) for _ in range(2000)]
    shuffled = [rng.randrange(8) for _ in range(2000)]
    assert abs(adjusted_rand_index(truth, shuffled)) < 0.02


# -- quality on the labelled walls -------------------------------------------------------------

# Measured with DEFAULT_TUNING (word_share 0.35, overlap_share 0.5, stack_threshold 0.6,
# cluster_threshold 0.08), tuned on TUNING_SETS only; the pins sit slightly below.
#   set                 precision  recall  pairs  ARI
#   kundenbegeisterung  1.000      0.132   9      0.316   (tuning)
#   erwartungen         0.750      0.061   4      0.147   (tuning)
#   reaktion            0.500      0.038   4      0.163   (held out)
#   meetings-en         0.500      0.030   2      0.257   (held out, English)
# The target (precision >= 0.9 at recall >= 0.3) is missed on every set: at
# precision >= 0.9 the tuning walls give recall 0.10; most true pairs share no stem at
# all (see tests/data/cards/README.md). ARI >= 0.3 holds on kundenbegeisterung only.
PINNED = {
    "kundenbegeisterung": (0.95, 0.12, 0.30),
    "erwartungen": (0.70, 0.05, 0.13),
    "reaktion": (0.45, 0.03, 0.15),
    "meetings-en": (0.45, 0.025, 0.24),
}


@pytest.mark.parametrize("name", [*TUNING_SETS, *HELD_OUT_SETS])
def test_quality_on_a_labelled_wall_does_not_fall(name: str) -> None:
    wall = load(name)
    scores = score(wall, suggest(wall.texts, wall.language, wall.prompt))
    precision, recall, ari = PINNED[name]
    assert scores.precision >= precision
    assert scores.recall >= recall
    assert scores.ari >= ari


def test_the_tuning_and_held_out_walls_are_apart() -> None:
    assert not set(TUNING_SETS) & set(HELD_OUT_SETS)
    assert {load(name).language for name in HELD_OUT_SETS} == {"de", "en"}


def test_cluster_proposals_name_their_cards() -> None:
    wall = load("kundenbegeisterung")
    clusters = suggest(wall.texts, wall.language, wall.prompt).clusters
    by_text = {
        cluster.heading: {wall.texts[card_id] for card_id in cluster.card_ids}
        for cluster in clusters
    }
    assert any(
        heading_.startswith("Ansprechpartner") and "fester Ansprechpartner" in texts
        for heading_, texts in by_text.items()
    )
    assert all(isinstance(cluster, ClusterProposal) and cluster.heading for cluster in clusters)
