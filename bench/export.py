"""Benchmark: export a large workshop to every protocol format.

300 cards in 20 clusters, 10 steps, 100 participants (with votes on the
scale, grid, dots and mood steps and an action plan). Prints the time per
format (median of --repeat runs) and the size. Targets on the 2-core machine:
PDF under 3 s, the others under 0.5 s.

    python bench/export.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from board import action_plan, agenda, cards, documents, votes
from board.service import Service
from board.settings import Settings
from board.workshops import new_id

EXERCISES = [
    "kundenbegeisterung",
    "kunde-koenig",
    "ok-corral",
    "unsere-wanderung",
    "massnahmenplan",
]
IDEAS = [
    "Freundlichkeit am Telefon",
    "Schnelle Antworten",
    "Mitdenken statt abwimmeln",
    "Ehrlich bei Fehlern",
    "Termine halten",
    "Zuhören, bevor man antwortet",
    "Überraschen: mehr als erwartet",
    "Namen merken",
    "Rückruf wie versprochen",
    "Lösung statt Zuständigkeit",
]


async def build(service: Service) -> str:
    workshop = await service.create_workshop("Großer Workshop – Kundenbegeisterung", "", EXERCISES)
    people = [await service.join(workshop) for _ in range(100)]
    snap = await service.snapshot(workshop.id)
    assert len(snap.steps) == 10, [s.kind for s in snap.steps]
    now = time.time()
    for step in snap.steps:
        await service.execute(
            workshop, lambda s, step=step: agenda.activate(s.workshop, s.steps, step.id)
        )
        if step.kind == "cards" and step.position == 0:
            for i in range(20):
                await service.execute_on_cards(
                    workshop,
                    lambda w, i=i: cards.create_cluster(w, new_id(), f"Cluster {i + 1}", now),
                )
            for i in range(300):
                person = people[i % 100]
                text = f"{IDEAS[i % len(IDEAS)]} ({i + 1})"
                await service.add_card(workshop, person.id, f"c{i}", text, cards.COLOURS[i % 6])
            wall = (await service.snapshot(workshop.id)).wall
            clusters = wall.ordered_clusters()
            for i, card in enumerate(wall.cards):
                await service.execute_on_cards(
                    workshop,
                    lambda w, c=card, k=clusters[i % 20]: cards.move_card(w, c.id, k.id, 99),
                )
        for person in people:
            pid = person.id
            if step.kind == "scale":
                await service.execute(
                    workshop,
                    lambda s, p=pid: votes.scale_vote(
                        s.step, s.mine(p), p, hash(p) % 5, new_id(), now
                    ),
                    pid,
                )
            elif step.kind == "grid":
                for situation in range(3):
                    await service.execute(
                        workshop,
                        lambda s, p=pid, n=situation: votes.grid_vote(
                            s.step,
                            s.mine(p),
                            p,
                            n,
                            (hash(p) % 200 - 100) / 100,
                            (hash(p + "y") % 200 - 100) / 100,
                            new_id(),
                            now,
                        ),
                        pid,
                    )
            elif step.kind == "dots":
                for k in range(3):
                    await service.execute(
                        workshop,
                        lambda s, p=pid, k=k: votes.dots_change(
                            s.step,
                            s.results.options("de"),
                            s.mine(p),
                            p,
                            s.results.options("de")[(hash(p) + k * 3) % 20].id,
                            1,
                            new_id(),
                            now,
                        ),
                        pid,
                    )
            elif step.kind == "mood":
                await service.execute(
                    workshop,
                    lambda s, p=pid: votes.mood_vote(
                        s.step, s.mine(p), p, hash(p) % 5, "gut", new_id(), now
                    ),
                    pid,
                )
        if step.kind == "actions":
            for i in range(15):
                await service.execute(
                    workshop,
                    lambda s, i=i: action_plan.propose(
                        s.step,
                        s.actions,
                        None,
                        f"Maßnahme {i + 1}",
                        "Team",
                        "Q2",
                        new_id(),
                        now,
                        by_trainer=True,
                    ),
                )
    return workshop.code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        service = Service(Settings(data_dir=Path(folder), secret_key="bench-key-0123456789"))
        code = asyncio.run(build(service))
        workshop = asyncio.run(service.workshop(code))
        print(f"workshop: 300 cards in 20 clusters, 10 steps, 100 participants ({code})")
        print(f"{'format':8}{'median s':>10}{'max s':>8}{'size KiB':>10}  target")
        started = time.perf_counter()
        record = asyncio.run(service.export(workshop))
        read = time.perf_counter() - started
        print(f"{'(read)':8}{read:>10.3f}{read:>8.3f}{'':>10}  reading the record from SQLite")
        for fmt in ("json", "csv", "md", "html", "pdf"):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                body = documents.render(record, fmt, "de", service.templates)
                times.append(time.perf_counter() - started)
            target = 3.0 if fmt == "pdf" else 0.5
            verdict = "ok" if statistics.median(times) < target else "MISSED"
            median, size = statistics.median(times), len(body) / 1024
            print(f"{fmt:8}{median:>10.3f}{max(times):>8.3f}{size:>10.0f}  < {target} s {verdict}")
        service.close()


if __name__ == "__main__":
    main()
