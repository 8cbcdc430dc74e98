"""The protocol as documents: HTML (one self-contained file), PDF, Markdown and CSV.

All are made from the JSON record (board.protocol), through the same
per-step snapshots the board uses, so the numbers are the board's numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import jinja2

from board import cards, groups, i18n, protocol
from board import teams as team_rules
from board import topics as topic_rules
from board.errors import Refused
from board.i18n import language_context
from board.markup import md_escape
from board.settings import STATIC_DIR
from board.snapshot import Snapshot
from board.teams import Team
from board.topics import Topic

FORMATS = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
# The columns, each headed by the catalog's csv_<column> in the export's language.
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
    "with_whom",
    "due",
    "status",
    "topic",
    "rank",
    "participant",
    "time",
    "group",  # only where the group's own result may be shown (board.groups)
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
    def topics(self) -> list[Topic]:
        """The Themenspeicher as the protocol records it: accepted topics in order, then
        proposals nobody accepted (marked as such)."""
        every = self.steps[0].topics if self.steps else ()
        return topic_rules.accepted(every) + topic_rules.waiting(every)

    def step_number(self, step_id: str | None) -> int | None:
        """A step's number in the agenda (1, 2, …), or None."""
        return next((i for i, s in enumerate(self.steps, 1) if s.step.id == step_id), None)

    def topic_title(self, topic_id: str | None) -> str | None:
        return next((t.title for t in self.topics if t.id == topic_id), None)

    @property
    def names_included(self) -> bool:
        return bool(self.record["workshop"].get("names_included"))

    @property
    def teams(self) -> list[TeamLine]:
        """The Kleingruppen as the protocol lists them: each with how many people, and who
        only where the record has names (as the nicknames themselves)."""
        snap = self.steps[0] if self.steps else None
        if snap is None or not snap.teams:
            return []
        t = i18n.translator(self.lang)
        number = {p["id"]: n for n, p in enumerate(self.record["participants"], 1)}
        nickname = {p["id"]: p["nickname"] for p in self.record["participants"]}
        lines = []
        for team in sorted(snap.teams, key=lambda team: team.position):
            inside = team_rules.members_of(team.id, snap.members)
            names = None
            if self.names_included:
                names = [nickname.get(p) or t("person_n", n=number.get(p, 0)) for p in inside]
            lines.append(TeamLine(team_rules.label(team, t), team.colour, len(inside), names))
        return lines


@dataclass(frozen=True)
class TeamLine:
    """One Kleingruppe in the protocol."""

    label: str
    colour: str
    people: int
    names: list[str] | None  # None: the protocol shows no names


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
        by_group=by_group,
        by_team=by_team,
        oob=False,
        **language_context(lang),
    )


def pdf(record: dict[str, Any], lang: str, templates: jinja2.Environment) -> bytes:
    try:
        from weasyprint import HTML  # imported late: it loads Pango on import
    except OSError as error:  # Pango missing on this machine
        raise Refused("pdf_unavailable", 503) from error
    return bytes(HTML(string=html(record, lang, templates)).write_pdf())


# -- Markdown ----------------------------------------------------------------------
def markdown(record: dict[str, Any], lang: str) -> str:
    doc = document(record, lang)
    t = language_context(lang)["t"]
    assert callable(t)
    out = [f"# {t('protocol')}: {md_escape(doc.title)}", ""]
    out.append(f"- {t('date')}: {doc.period}")
    out += [f"- {t('participants_count', n=doc.participants)}", "", f"## {t('agenda')}", ""]
    out += [
        f"{i}. {s.kind.label(lang)}: {md_escape(s.step.prompt(lang))}"
        for i, s in enumerate(doc.steps, 1)
    ]
    for i, snap in enumerate(doc.steps, 1):
        out += [
            "",
            f"## {i}. {snap.kind.label(lang)}: {md_escape(snap.step.prompt(lang))}",
            "",
        ]
        out += list(_md_step(snap, lang, t))
    out += list(_md_topics(doc, t))
    out += list(_md_teams(doc, t))
    return "\n".join(out) + "\n"


def _md_teams(doc: Document, t: Any) -> Iterator[str]:
    """The Kleingruppen, when there were any: each with its size (and names, if kept)."""
    if not doc.teams:
        return
    yield from ["", f"## {t('teams')}", ""]
    for line in doc.teams:
        people = t("team_people", n=line.people)
        if line.names:
            names = ", ".join(md_escape(name) for name in line.names)
            yield f"- **{md_escape(line.label)}** ({people}): {names}"
        else:
            yield f"- **{md_escape(line.label)}**: {people}"


def _md_topics(doc: Document, t: Any) -> Iterator[str]:
    """The Themenspeicher's own section: each topic, its dots and where it came from."""
    yield from ["", f"## {t('themenspeicher')}", ""]
    if not doc.topics:
        yield t("topics_empty")
        return
    for place, topic in enumerate(doc.topics, 1):
        notes = [_topic_note(doc, topic, t)] if topic.origin or topic.proposed else []
        if topic.dots:
            notes.insert(0, t("dots_count", n=topic.dots))
        extra = f" — {'; '.join(md_escape(n) for n in notes)}" if notes else ""
        yield f"{place}. {md_escape(topic.title)}{extra}"


def _topic_note(doc: Document, topic: Topic, t: Any) -> str:
    if topic.proposed:
        return str(t("topic_proposed_note"))
    number = doc.step_number(topic.origin_step_id)
    where = f" ({t('csv_step')} {number})" if number else ""
    return f"{t('parked_' + (topic.origin or 'card'))}{where}: {topic.origin_text}"


def _md_step(snap: Snapshot, lang: str, t: Any) -> Iterator[str]:
    yield from snap.kind.markdown(snap, lang, t)
    yield from _md_teams_votes(snap, t, lang)
    split = snap.split
    if split is None or not (split.groups or split.folded):
        return
    yield from ("", f"### {t('split_heading')}")
    for part, theirs in by_group(snap):
        assert part.group is not None
        yield from ("", f"**{md_escape(part.group.name)}** (n = {part.voters})", "")
        yield from snap.kind.markdown(theirs, lang, t)
    if split.folded:
        yield from ("", f"*{t('split_folded', n=snap.workshop.group_minimum)}*")


def _md_teams_votes(snap: Snapshot, t: Any, lang: str) -> Iterator[str]:
    """A vote run in Kleingruppen: each team's result under its name."""
    found = by_team(snap)
    if not found:
        return
    yield from ("", f"### {t('team_results')}")
    for team, theirs, voters in found:
        yield from ("", f"**{md_escape(team_rules.label(team, t))}** (n = {voters})", "")
        yield from snap.kind.markdown(theirs, lang, t)


def by_team(snap: Snapshot) -> list[tuple[Team, Snapshot, int]]:
    """A vote run in Kleingruppen (each vote keeps its voter's team): each team of the
    record that answered, with the step as only its members answered it, and how many
    did. None for a card step: its teams' walls are the kind's own to show."""
    if snap.kind.takes_cards or not any(v.team_id for v in snap.votes):
        return []
    found = []
    for team in sorted(snap.teams, key=lambda team: team.position):
        theirs = tuple(v for v in snap.votes if v.team_id == team.id)
        if theirs:
            found.append(
                (team, replace(snap, votes=theirs), len({v.participant_id for v in theirs}))
            )
    return found


def by_group(snap: Snapshot) -> list[tuple[groups.Part, Snapshot]]:
    """Each group the anonymity rule lets be shown, with the step as only its members
    answered it (the protocol renders each like the whole step)."""
    if snap.split is None:
        return []
    return [
        (
            part,
            replace(
                snap,
                votes=tuple(
                    v
                    for v in snap.votes
                    if part.group and snap.group_of.get(v.participant_id) == part.group.id
                ),
            ),
        )
        for part in snap.split.groups
    ]


# -- CSV ---------------------------------------------------------------------------
# A text cell starting with one of these is run as a formula by some spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(record: dict[str, Any], lang: str) -> str:
    """One row per card, vote and action. UTF-8 with BOM, separated by semicolons,
    so a German spreadsheet opens it as it is."""
    doc = document(record, lang)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    write = csv_writer(buffer, lang)
    write(i18n.translate(lang, f"csv_{column}") for column in CSV_COLUMNS)
    for number, snap in enumerate(doc.steps, 1):
        step = {"step": number, "kind": snap.kind.label(lang), "prompt": snap.step.prompt(lang)}
        for row in _csv_rows(snap, lang, doc):
            full = step | row
            write(full.get(column) for column in CSV_COLUMNS)
    for row in _csv_topics(doc, lang):
        write(row.get(column) for column in CSV_COLUMNS)
    for row in _csv_teams(doc, lang):
        write(row.get(column) for column in CSV_COLUMNS)
    return buffer.getvalue()


def _csv_teams(doc: Document, lang: str) -> Iterator[dict[str, object]]:
    """A row per Kleingruppe: its name, how many were in it, and who (if names are kept)."""
    t = i18n.translator(lang)
    for line in doc.teams:
        yield {
            "kind": t("teams"),
            "record": t("csv_team_record"),
            "text": line.label,
            "value": line.people,
            "who": ", ".join(line.names) if line.names else None,
        }


def _csv_topics(doc: Document, lang: str) -> Iterator[dict[str, object]]:
    """A row per Themenspeicher topic: its title, dots and rank, and where it came from."""
    t = i18n.translator(lang)
    for topic in doc.topics:
        yield {
            "step": doc.step_number(topic.origin_step_id),
            "kind": t("themenspeicher"),
            "record": t("csv_topic_record"),
            "text": topic.title,
            "cluster": topic.origin_text or None,
            "value": topic.dots,
            "rank": topic.rank,
            "status": t("topic_proposed_note") if topic.proposed else None,
            "participant": topic.participant_id,
            "time": local_time(topic.created_at),
        }


def csv_writer(buffer: io.StringIO, lang: str = "en") -> Callable[[Iterable[object]], None]:
    """Every row goes through here, so no column can skip :func:`csv_cell`."""
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    return lambda row: writer.writerow([csv_cell(value, lang) for value in row])


def csv_cell(value: object, lang: str = "en") -> object:
    """A number stays a number (-0.5 is data, not a formula: a spreadsheet reads it as
    the number it is), with the language's decimal mark (a German spreadsheet reads
    "0.5" as a date). Every other value is text, whatever its source, and text that
    a spreadsheet would run as a formula is kept as text with a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, float) and lang == "de":
        return repr(value).replace(".", ",")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def local_time(timestamp: float) -> str:
    """A moment in the server's time zone (the system's, set with TZ), with its offset:
    "2026-11-30 15:04:05+01:00", as a spreadsheet in the room reads it."""
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(" ", "seconds")


def _csv_rows(snap: Snapshot, lang: str, doc: Document) -> Iterator[dict[str, object]]:
    t = i18n.translator(lang)
    wall = snap.wall
    headings = {c.id: c.heading for c in wall.clusters}
    named = cards.colour_names(snap.step, lang, t)
    for card in sorted(wall.cards, key=lambda c: c.created_at):
        top = card
        while top.stacked_on is not None:
            top = next((c for c in wall.cards if c.id == top.stacked_on), top)
            if top.stacked_on == card.id:
                break
        yield {
            "record": t("csv_card"),
            "cluster": headings.get(top.cluster_id or ""),
            "colour": named[card.colour],
            "text": card.text,
            "participant": card.participant_id,
            "time": local_time(card.created_at),
        }
    # A vote names its group only where the group's own result may be shown.
    shown = {
        part.group.id: part.group.name
        for part in (snap.split.groups if snap.split else ())
        if part.group
    }
    for vote in snap.kind.listed_votes(snap):
        row: dict[str, object] = {
            "group": shown.get(snap.group_of.get(vote.participant_id, "")),
            "record": t("csv_vote"),
            "participant": vote.participant_id,
            "time": local_time(vote.created_at),
            "value": vote.value,
            "x": vote.x,
            "y": vote.y,
            "word": vote.word,
        }
        row |= snap.kind.csv_vote(snap, vote, lang)
        yield row
    yield from snap.kind.csv_rows(snap, lang)
    for action in snap.actions:
        yield {
            "record": t("csv_action"),
            "text": action.what,
            "who": action.who,
            "with_whom": action.with_whom,
            "due": action.due,
            "status": t(f"action_status_{action.status}"),
            "topic": doc.topic_title(action.topic_id),
            "participant": action.participant_id,
            "time": local_time(action.created_at),
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
