"""Ähnliche Karten: offline suggestions to stack near-duplicate cards and to cluster a wall.

Pure Python, no I/O, no model: a card becomes a sparse vector of two blocks, its stemmed
words (snowball, German or English) and the character n-grams of those stems (they catch
compounds: "Rückmeldung" / "Rückmeldezeit"). Each feature is weighted by its inverse
document frequency over the step's cards, each block scaled to a fixed share of a unit
vector, and two cards compared by cosine similarity.

- **Stacks** (near-duplicates): complete linkage above a high threshold, so every pair in a
  suggested stack is similar and a chain A~B~C does not glue A to C.
- **Cluster proposals**: average linkage cut at a lower threshold (no fixed number of
  clusters), each with a heading made of its most telling words, spelt as on a card.

What it cannot see: synonyms that share no stem or letters ("Reaktionszeit verkürzen" /
"Kunde wartet nicht tagelang"). tests/test_similar.py measures precision, recall and the
adjusted Rand index on the labelled walls in tests/data/cards/.

Everything here is a function of the card texts, safe to call from a worker thread
(``asyncio.to_thread``): the stemmers are per thread, the caches are thread-safe, and
:class:`SimilarCards` guards its state with a lock.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import snowballstemmer

from board.cards import MAX_HEADING_LENGTH
from board.stopwords import SIMILARITY_STOP_WORDS

LANGUAGES: tuple[str, ...] = ("de", "en")
_STEMMER_NAMES = {"de": "german", "en": "english"}
WORD = re.compile(r"[^\W\d_]+")
# The German stemmer folds umlauts; folding the n-grams the same way also lets a phone
# without umlauts ("Ruckmeldung", "Ruckmeldung") meet one with them. Casefold made ß "ss".
_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
MIN_WORD_LENGTH = 2
# Character n-grams of each stem, with "<" and ">" marking its ends.
NGRAM_SIZES: tuple[int, ...] = (3, 4, 5)
_GRAM = "#"  # prefix that keeps a gram apart from a stem of the same letters
MAX_HEADING_WORDS = 3
_CACHE_SIZE = 20_000

Linkage = Literal["average", "complete"]


@dataclass(frozen=True)
class Tuning:
    """The knobs, tuned on tests/data/cards/kundenbegeisterung.toml and erwartungen.toml
    only (the other walls are held out): the stack knobs give the most true pairs while
    nine suggested pairs in ten are true over both walls, the cluster knobs the best mean
    adjusted Rand index. tests/test_similar.py has the figures."""

    # Share of the word block in the cosine; the n-gram block has the rest.
    word_share: float = 0.35
    # Two cards whose stack score reaches this are suggested as one stack.
    stack_threshold: float = 0.6
    # Average linkage merges two groups while their mean similarity reaches this.
    cluster_threshold: float = 0.08
    # Share of the overlap coefficient in the stack score; the cosine has the rest.
    overlap_share: float = 0.5
    # Pairs below count as 0: keeps the clustering sparse (and fast) on big walls.
    floor: float = 0.05


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True)
class CardWords:
    """What the comparison sees of one card text."""

    stems: frozenset[str]
    grams: frozenset[str]
    # (stem, word as written) for each kept word, in card order: the heading's spellings.
    spellings: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Stack:
    card_ids: tuple[str, ...]
    similarity: float  # the weakest pair's: how sure the suggestion is


@dataclass(frozen=True)
class ClusterProposal:
    card_ids: tuple[str, ...]
    heading: str


@dataclass(frozen=True)
class Suggestions:
    stacks: tuple[Stack, ...]
    clusters: tuple[ClusterProposal, ...]


# -- words --------------------------------------------------------------------------------

_local = threading.local()


def _stemmer(language: str) -> snowballstemmer.Stemmer:
    # A snowball stemmer keeps its state between calls: one per thread.
    stemmers: dict[str, snowballstemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(_STEMMER_NAMES[language])
    return stemmers[language]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def stem(word: str, language: str) -> str:
    """The stem of a word, case-folded and without umlauts: "Rückmeldungen" → "ruckmeld"."""
    stemmed: str = _stemmer(language).stemWord(word.casefold())
    return stemmed.translate(_UMLAUTS)


def ngrams(stem_: str) -> set[str]:
    """The character n-grams of a stem, its ends marked: what compounds share."""
    marked = f"<{stem_}>"
    return {
        marked[start : start + size]
        for size in NGRAM_SIZES
        for start in range(len(marked) - size + 1)
    }


def _kept(text: str, language: str) -> list[tuple[str, str]]:
    stop_words = SIMILARITY_STOP_WORDS[language]
    return [
        (stem(word, language), word)
        for word in WORD.findall(text)
        if len(word) >= MIN_WORD_LENGTH and word.casefold() not in stop_words
    ]


def echo_of(prompt: str, language: str) -> frozenset[str]:
    """The stems of the step's question: a card that repeats them ("Befürchtung: …" on
    "… was befürchten Sie?") says nothing by that about which cards belong together."""
    return frozenset(stem_ for stem_, _ in _kept(prompt, language))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def card_words(text: str, language: str, echo: frozenset[str] = frozenset()) -> CardWords:
    """The stems and n-grams of a card, without stop words, single letters and the words
    of the question (``echo``, see :func:`echo_of`)."""
    spellings = tuple((stem_, word) for stem_, word in _kept(text, language) if stem_ not in echo)
    stems = frozenset(stem_ for stem_, _ in spellings)
    grams = frozenset(_GRAM + gram for stem_ in stems for gram in ngrams(stem_))
    return CardWords(stems, grams, spellings)


def detect_language(texts: Iterable[str]) -> str:
    """German or English, by which language's stop words the texts use more (German on a
    tie: the board's first language). For a wall whose workshop language is unknown."""
    hits = Counter(
        language
        for text in texts
        for word in WORD.findall(text.casefold())
        for language in LANGUAGES
        if word in SIMILARITY_STOP_WORDS[language]
    )
    return "en" if hits["en"] > hits["de"] else "de"


# -- vectors and similarity -----------------------------------------------------------------


def _idf(document_frequency: int, cards: int) -> float:
    # Smoothed, never zero: a word on every card still counts a little.
    return math.log((1 + cards) / (1 + document_frequency)) + 1


def _shared_weights(
    cards: list[CardWords],
    features_of: Callable[[CardWords], frozenset[str]],
    squared: Mapping[str, float],
) -> list[dict[int, float]]:
    """For every pair i < j that shares a feature, the idf² summed over what they share:
    row i holds j. Through an inverted index, so cards with nothing in common cost
    nothing."""
    postings: dict[str, list[int]] = {}
    for index, card in enumerate(cards):
        for feature in features_of(card):
            postings.setdefault(feature, []).append(index)
    rows: list[dict[int, float]] = [{} for _ in cards]
    for index, card in enumerate(cards):
        row = rows[index]
        for feature in features_of(card):
            weight = squared[feature]
            later = postings[feature]
            for other in itertools.islice(later, bisect.bisect_right(later, index), None):
                row[other] = row.get(other, 0.0) + weight
    return rows


def _stems(card: CardWords) -> frozenset[str]:
    return card.stems


def _grams(card: CardWords) -> frozenset[str]:
    return card.grams


def _similarities(
    cards: list[CardWords], frequency: Mapping[str, int], tuning: Tuning
) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """Two scores for every pair i < j that reaches ``tuning.floor`` (row i holds j):

    - the cosine of the two cards' TF-IDF vectors, each block (stems, n-grams) scaled to
      its share of a unit vector;
    - the stack score: that cosine mixed with the overlap coefficient (shared weight over
      the lighter card's), which keeps "Zuhören" / "aktiv zuhören" (one card says all the
      other does) above "lockere Atmosphäre" / "offene Atmosphäre" (each says something
      the other does not)."""
    total = len(cards)
    squared = {feature: _idf(count, total) ** 2 for feature, count in frequency.items()}
    shared_words = _shared_weights(cards, _stems, squared)
    # Cards that share a stem share its n-grams: the n-gram rows hold every pair.
    shared_grams = _shared_weights(cards, _grams, squared)
    word_norms = [sum(squared[stem_] for stem_ in card.stems) for card in cards]
    gram_norms = [sum(squared[gram] for gram in card.grams) for card in cards]
    word_share, gram_share = tuning.word_share, 1 - tuning.word_share
    cosines: list[dict[int, float]] = [{} for _ in cards]
    stack_scores: list[dict[int, float]] = [{} for _ in cards]
    for index in range(total):
        words_row, word_norm, gram_norm = shared_words[index], word_norms[index], gram_norms[index]
        for other, gram_weight in shared_grams[index].items():
            word_weight = words_row.get(other, 0.0)
            other_words, other_grams = word_norms[other], gram_norms[other]
            cosine = gram_share * gram_weight / math.sqrt(gram_norm * other_grams)
            overlap = gram_share * gram_weight / min(gram_norm, other_grams)
            if word_weight:
                cosine += word_share * word_weight / math.sqrt(word_norm * other_words)
                overlap += word_share * word_weight / min(word_norm, other_words)
            if cosine >= tuning.floor:
                cosines[index][other] = cosine
                stack_scores[index][other] = (
                    1 - tuning.overlap_share
                ) * cosine + tuning.overlap_share * overlap
    return cosines, stack_scores


# -- clustering ------------------------------------------------------------------------------


def agglomerate(
    size: int, similarities: list[dict[int, float]], threshold: float, linkage: Linkage
) -> list[list[int]]:
    """Groups of indexes 0..size-1, merged best pair first while the pair's linkage reaches
    ``threshold``: "average" (mean similarity) or "complete" (weakest pair). A pair not in
    ``similarities`` counts as 0. Ties go to the lower indexes, so the result depends only
    on the input."""
    members: dict[int, list[int]] = {index: [index] for index in range(size)}
    # links[a][b]: the sum (average) or the minimum (complete) of the similarities between
    # groups a and b, kept on both sides.
    links: dict[int, dict[int, float]] = {index: {} for index in range(size)}
    heap: list[tuple[float, int, int]] = []
    for index, row in enumerate(similarities):
        for other, sim in row.items():
            if linkage == "complete" and sim < threshold:
                continue
            links[index][other] = links[other][index] = sim
            if sim >= threshold:
                heap.append((-sim, index, other))
    heapq.heapify(heap)
    next_id = size
    while heap:
        _, first, second = heapq.heappop(heap)
        if first not in members or second not in members:
            continue  # one of them was merged since this pair was scored
        merged = next_id
        next_id += 1
        members[merged] = members.pop(first) + members.pop(second)
        links[merged] = _merged_links(links, first, second, linkage)
        for other, link in links[merged].items():
            links[other][merged] = link
            score = link / (len(members[merged]) * len(members[other]))
            if linkage == "complete":
                score = link
            if score >= threshold:
                heapq.heappush(heap, (-score, other, merged))
    return sorted((sorted(group) for group in members.values()), key=lambda group: group[0])


def _merged_links(
    links: dict[int, dict[int, float]], first: int, second: int, linkage: Linkage
) -> dict[int, float]:
    of_first, of_second = links.pop(first), links.pop(second)
    for other in (*of_first, *of_second):
        if other in links:
            links[other].pop(first, None)
            links[other].pop(second, None)
    of_first.pop(second, None)
    of_second.pop(first, None)
    if linkage == "complete":
        # A group missing from either side has a pair below the threshold.
        return {
            other: min(link, of_second[other])
            for other, link in of_first.items()
            if other in of_second
        }
    merged = dict(of_first)
    for other, link in of_second.items():
        merged[other] = merged.get(other, 0.0) + link
    return merged


# -- headings ----------------------------------------------------------------------------------


def heading(cards: list[CardWords], frequency: Mapping[str, int], total_cards: int) -> str:
    """The most telling words of a group of cards, each spelt as most cards wrote it.

    A stem scores by how many of the group's cards carry it times its rarity on the wall,
    so a word the whole wall uses ("Kunde" on "Was ist Kundenbegeisterung?") loses to the
    one this group shares."""
    carried: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for card in cards:
        carried.update(card.stems)
        for stem_, word in card.spellings:
            spellings.setdefault(stem_, Counter())[word] += 1
    if not carried:
        return ""
    scored = sorted(
        carried,
        key=lambda stem_: (-carried[stem_] * _idf(frequency[stem_], total_cards), stem_),
    )
    shared = [stem_ for stem_ in scored if carried[stem_] > 1] or scored[:1]
    chosen: list[str] = []
    for stem_ in shared[:MAX_HEADING_WORDS]:
        word = _usual_spelling(spellings[stem_])
        if len(", ".join([*chosen, word])) > MAX_HEADING_LENGTH:
            break
        chosen.append(word)
    # A first word longer than a heading may be is cut rather than dropped.
    return ", ".join(chosen) or _usual_spelling(spellings[shared[0]])[:MAX_HEADING_LENGTH]


def _usual_spelling(spellings: Counter[str]) -> str:
    # The spelling most cards used; on a tie a capitalised one (a German noun), then
    # alphabetical order.
    return min(spellings, key=lambda word: (-spellings[word], not word[:1].isupper(), word))


# -- the wall ----------------------------------------------------------------------------------


class SimilarCards:
    """The suggestions for one step's cards, kept as cards come, change and go.

    ``put`` and ``remove`` are cheap: a card's words are stemmed once (cached by text) and
    the wall's word frequencies updated by that card alone. ``suggestions`` recomputes the
    weights, similarities and groups only when a card changed since its last call, so a
    burst of cards costs one computation. Call ``suggestions`` off the event loop
    (``asyncio.to_thread``): it computes on a copy taken under the lock, so a ``put`` from
    the loop never waits for a computation, and a card that arrives meanwhile is in the
    next one."""

    def __init__(self, language: str, prompt: str = "", tuning: Tuning = DEFAULT_TUNING) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"no stemmer for {language!r}")
        self.language = language
        self.tuning = tuning
        self._echo = echo_of(prompt, language)
        self._lock = threading.Lock()
        self._words: dict[str, CardWords] = {}
        self._frequency: Counter[str] = Counter()
        self._latest: Suggestions | None = None
        self._version = 0  # counts changes: a result computed for an older wall is not kept

    def put(self, card_id: str, text: str) -> None:
        """Add a card, or change its text (it keeps its place on the wall)."""
        words = card_words(text, self.language, self._echo)
        with self._lock:
            old = self._words.get(card_id)
            if old == words:
                return
            if old is not None:
                self._forget(old)
            self._frequency.update(words.stems | words.grams)
            self._words[card_id] = words
            self._changed()

    def remove(self, card_id: str) -> None:
        """Take a card off (a card not there is no error: it may have gone already)."""
        with self._lock:
            old = self._words.pop(card_id, None)
            if old is None:
                return
            self._forget(old)
            self._changed()

    def _forget(self, words: CardWords) -> None:
        for feature in words.stems | words.grams:
            self._frequency[feature] -= 1
            if not self._frequency[feature]:
                del self._frequency[feature]

    def _changed(self) -> None:
        self._latest = None
        self._version += 1

    def suggestions(self) -> Suggestions:
        """Stacks and cluster proposals for the cards as they are now."""
        with self._lock:
            if self._latest is not None:
                return self._latest
            version, words, frequency = self._version, dict(self._words), dict(self._frequency)
        latest = _suggest(words, frequency, self.tuning)
        with self._lock:
            if self._version == version:
                self._latest = latest
        return latest


def suggest(
    cards: Mapping[str, str],
    language: str,
    prompt: str = "",
    tuning: Tuning = DEFAULT_TUNING,
) -> Suggestions:
    """Stacks and cluster proposals for a wall of cards (id → text) answering ``prompt``,
    in one go."""
    wall = SimilarCards(language, prompt, tuning)
    for card_id, text in cards.items():
        wall.put(card_id, text)
    return wall.suggestions()


def _suggest(
    words: Mapping[str, CardWords], frequency: Mapping[str, int], tuning: Tuning
) -> Suggestions:
    ids = list(words)
    cards = [words[card_id] for card_id in ids]
    similarities, stack_scores = _similarities(cards, frequency, tuning)
    stacks = [
        Stack(tuple(ids[index] for index in group), _weakest(group, stack_scores))
        for group in agglomerate(len(ids), stack_scores, tuning.stack_threshold, "complete")
        if len(group) > 1
    ]
    clusters = [
        ClusterProposal(
            tuple(ids[index] for index in group),
            heading([cards[index] for index in group], frequency, len(cards)),
        )
        for group in agglomerate(len(ids), similarities, tuning.cluster_threshold, "average")
        if len(group) > 1
    ]
    return Suggestions(
        tuple(sorted(stacks, key=lambda stack: -len(stack.card_ids))),
        tuple(sorted(clusters, key=lambda cluster: -len(cluster.card_ids))),
    )


def _weakest(group: list[int], similarities: list[dict[int, float]]) -> float:
    return min(
        similarities[first].get(second, 0.0)
        for position, first in enumerate(group)
        for second in group[position + 1 :]
    )
