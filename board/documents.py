"""The protocol as documents: HTML (one self-contained file), PDF, Markdown and CSV.

All are made from the JSON record (board.protocol), through the same
per-step snapshots the board uses, so the numbers are the board's numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2

from board import i18n, protocol, votes
from board.errors import Refused
from board.i18n import decimal, language_context, text_in
from board.settings import STATIC_DIR
from board.snapshot import Snapshot

FORMATS = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
CSV_COLUMNS = [
    "step",
    "kind",
    "prompt",
    "record",
    "cluster",
    "colour",
    "text",
    "value",
    "x",
    "y",
    "word",
    "who",
    "due",
    "participant",
    "time",
]


@dataclass(frozen=True)
class Document:
    """What the templates and writers need, computed once per export."""

    record: dict[str, Any]
    steps: list[Snapshot]
    lang: str

    @property
    def title(self) -> str:
        return str(self.record["workshop"]["title"])

    def moments(self) -> list[float]:
        found = [step.workshop.created_at for step in self.steps[:1]]
        for step in self.steps:
            found += [c.created_at for c in step.wall.cards]
            found += [v.created_at for v in step.votes]
            found += [a.created_at for a in step.actions]
        return found

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(min(self.moments()))

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(max(self.moments()))

    @property
    def period(self) -> str:
        """Day and time from first to last entry, as the language writes them."""
        return i18n.period(self.start, self.end, self.lang)

    @property
    def participants(self) -> int:
        return len(self.record["participants"])

    @property
    def names_included(self) -> bool:
        return bool(self.record["workshop"].get("names_included"))


def document(record: dict[str, Any], lang: str) -> Document:
    return Document(record, list(protocol.snapshots(record)), lang)


def filename(record: dict[str, Any], fmt: str) -> str:
    title = re.sub(r"[^A-Za-z0-9ÄÖÜäöüß_-]+", "-", record["workshop"]["title"]).strip("-")
    day = str(record["exported_at"])[:10]
    return f"Protokoll-{title or 'Workshop'}-{day}.{fmt}"


# -- HTML and PDF ------------------------------------------------------------------
def html(record: dict[str, Any], lang: str, templates: jinja2.Environment) -> str:
    doc = document(record, lang)
    css = (STATIC_DIR / "css" / "protocol.css").read_text(encoding="utf-8")
    return templates.get_template("protocol/protocol.html").render(
        doc=doc,
        css=css,
        steps=doc.steps,
        oob=False,
        pairs_summary=pairs_summary,
        **language_context(lang),
    )


def pdf(record: dict[str, Any], lang: str, templates: jinja2.Environment) -> bytes:
    try:
        from weasyprint import HTML  # imported late: it loads Pango on import
    except OSError as error:  # Pango missing on this machine
        raise Refused("pdf_unavailable", 503) from error
    return bytes(HTML(string=html(record, lang, templates)).write_pdf())


# -- Markdown ----------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def md_escape(text: str) -> str:
    """Untrusted text as literal Markdown: no links, no HTML, no headings."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))
    return re.sub(r"^([-+=]|\d+\.)", r"\\\1", escaped)


def markdown(record: dict[str, Any], lang: str) -> str:
    doc = document(record, lang)
    t = language_context(lang)["t"]
    assert callable(t)
    out = [f"# {t('protocol')}: {md_escape(doc.title)}", ""]
    out.append(f"- {t('date')}: {doc.period}")
    out += [f"- {t('participants_count', n=doc.participants)}", "", f"## {t('agenda')}", ""]
    out += [
        f"{i}. {t('kind_' + s.step.kind)}: {md_escape(s.step.prompt(lang))}"
        for i, s in enumerate(doc.steps, 1)
    ]
    for i, snap in enumerate(doc.steps, 1):
        out += [
            "",
            f"## {i}. {t('kind_' + snap.step.kind)}: {md_escape(snap.step.prompt(lang))}",
            "",
        ]
        out += list(_md_step(snap, lang, t))
    return "\n".join(out) + "\n"


def _md_table(header: list[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for row in rows:
        yield "| " + " | ".join(md_escape(str(cell)) for cell in row) + " |"


def _md_step(snap: Snapshot, lang: str, t: Any) -> Iterator[str]:
    step, wall = snap.step, snap.wall
    if step.kind == "cards":
        for cluster in wall.ordered_clusters():
            yield f"### {md_escape(cluster.heading)}"
            yield ""
            yield from _md_cards(wall, wall.in_cluster(cluster.id), t)
            yield ""
        unsorted = wall.in_cluster(None)
        if unsorted:
            yield f"### {t('unsorted')}"
            yield ""
            yield from _md_cards(wall, unsorted, t)
    elif step.kind == "scale":
        result = snap.scale
        labels = [text_in(label, lang) for label in step.config["labels"]]
        yield from _md_table([t("option"), t("count")], zip(labels, result.counts, strict=True))
        yield ""
        yield (
            f"n = {i18n.number(result.n, lang)}, {t('median')} {decimal(result.median, lang)}, "
            f"{t('mean')} {decimal(result.mean, lang)}"
        )
    elif step.kind == "grid":
        corners = ("top_right", "top_left", "bottom_left", "bottom_right")
        rows = [
            [text_in(step.config["situations"][r.situation], lang), len(r.points)]
            + [r.quadrants[c] for c in corners]
            for r in snap.grid
        ]
        header = [t("situation"), "n"] + [
            text_in(step.config["quadrants"][c], lang) for c in corners
        ]
        yield from _md_table(header, rows)
    elif step.kind == "dots":
        yield from _md_table(
            [t("rank"), t("option"), t("dots")],
            ([f"{r.rank}.", r.option.label, r.dots] for r in snap.ranking(lang)),
        )
    elif step.kind == "mood":
        mood = snap.mood
        weathers = [text_in(o["label"], lang) for o in step.config["options"]]
        yield from _md_table([t("option"), t("count")], zip(weathers, mood.counts, strict=True))
        if mood.words:
            yield ""
            yield f"{t('words')}: " + ", ".join(md_escape(w) for _, w in mood.words)
    elif step.kind == "pairs":
        yield from _md_pairs(snap, t)
    elif step.kind == "actions":
        yield from _md_table(
            [t("what"), t("who"), t("due")], ([a.what, a.who, a.due] for a in snap.actions)
        )


def _md_cards(wall: Any, cards: Iterable[Any], t: Any) -> Iterator[str]:
    for card in cards:
        stacked = len(wall.stacked_under(card.id))
        extra = f" (×{stacked + 1})" if stacked else ""
        yield f"- {md_escape(card.text)}{extra} — {t('colour_' + card.colour)}"


def pairs_summary(snap: Snapshot) -> tuple[int, int]:
    """Rounds held and pairs that met."""
    meet = snap.speedmeet
    held = meet.rounds if meet.finished else meet.rounds[: max(0, meet.clock.round + 1)]
    return len(held), len({frozenset(pair) for round_ in held for pair in round_})


def _md_pairs(snap: Snapshot, t: Any) -> Iterator[str]:
    rounds, met = pairs_summary(snap)
    yield f"{t('rounds_held')}: {rounds} · {t('pairs_met')}: {met}"


# -- CSV ---------------------------------------------------------------------------
# A text cell starting with one of these is run as a formula by some spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(record: dict[str, Any], lang: str) -> str:
    """One row per card, vote and action. UTF-8 with BOM, separated by semicolons,
    so a German spreadsheet opens it as it is."""
    doc = document(record, lang)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    write = csv_writer(buffer)
    write(CSV_COLUMNS)
    for number, snap in enumerate(doc.steps, 1):
        for row in _csv_rows(snap, lang):
            full = {"step": number, "kind": snap.step.kind, "prompt": snap.step.prompt(lang)} | row
            write(full.get(column) for column in CSV_COLUMNS)
    return buffer.getvalue()


def csv_writer(buffer: io.StringIO) -> Callable[[Iterable[object]], None]:
    """Every row goes through here, so no column can skip :func:`csv_cell`."""
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    return lambda row: writer.writerow([csv_cell(value) for value in row])


def csv_cell(value: object) -> object:
    """A number stays a number (-0.5 is data, not a formula: a spreadsheet reads it as
    the number it is). Every other value is text, whatever its source, and text that
    a spreadsheet would run as a formula is kept as text with a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _label(texts: Sequence[Any], index: int | None, lang: str) -> str:
    """The label at ``index``; none for a value no step offers (a workshop imported
    before the import checked values must still export)."""
    if index is None or not 0 <= index < len(texts):
        return ""
    return text_in(texts[index], lang)


def _csv_rows(snap: Snapshot, lang: str) -> Iterator[dict[str, object]]:
    step, wall = snap.step, snap.wall
    headings = {c.id: c.heading for c in wall.clusters}
    for card in sorted(wall.cards, key=lambda c: c.created_at):
        top = card
        while top.stacked_on is not None:
            top = next((c for c in wall.cards if c.id == top.stacked_on), top)
            if top.stacked_on == card.id:
                break
        yield {
            "record": "card",
            "cluster": headings.get(top.cluster_id or ""),
            "colour": card.colour,
            "text": card.text,
            "participant": card.participant_id,
            "time": protocol.iso(card.created_at),
        }
    options = {o.id: o.label for o in snap.options(lang)} if step.kind == "dots" else {}
    for vote in snap.votes:
        row: dict[str, object] = {
            "record": "vote",
            "participant": vote.participant_id,
            "time": protocol.iso(vote.created_at),
            "value": vote.value,
            "x": vote.x,
            "y": vote.y,
            "word": vote.word,
        }
        if step.kind == "scale" and vote.value is not None:
            row["text"] = _label(step.config["labels"], vote.value, lang)
            row["value"] = vote.value + 1
        elif step.kind == "grid" and vote.key.isdecimal():
            row["text"] = _label(step.config["situations"], int(vote.key), lang)
            if vote.x is not None and vote.y is not None:
                row["cluster"] = votes.quadrant(vote.x, vote.y)
        elif step.kind == "dots":
            row["text"] = options.get(vote.key, vote.key)
        elif step.kind == "mood" and vote.value is not None:
            labels = [option["label"] for option in step.config["options"]]
            row["text"] = _label(labels, vote.value, lang)
        yield row
    for action in snap.actions:
        yield {
            "record": "action",
            "text": action.what,
            "who": action.who,
            "due": action.due,
            "participant": action.participant_id,
            "time": protocol.iso(action.created_at),
        }


def render(record: dict[str, Any], fmt: str, lang: str, templates: jinja2.Environment) -> bytes:
    if fmt == "json":
        return json.dumps(record, ensure_ascii=False, indent=2).encode()
    if fmt == "html":
        return html(record, lang, templates).encode()
    if fmt == "pdf":
        return pdf(record, lang, templates)
    if fmt == "md":
        return markdown(record, lang).encode()
    if fmt == "csv":
        return csv_text(record, lang).encode()
    raise Refused("not_found", 404)
