"""``bench/load.py --compare``: the configurations of one run side by side.

Each scenario notes its headline figures (``Result.numbers``); this prints one row per
figure and one column per configuration, every value after the first with its ratio to
the first configuration (ratios to the floor are rows of their own), then Redis's
overhead on one process and the targets of issue 14.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from cluster import Config
from crowd import Result
from fanout import table

Run = tuple[Config, list[Result]]


def number(results: list[Result], scenario: str, key: str) -> float:
    found = next((r.numbers.get(key) for r in results if r.name == scenario), None)
    return math.nan if found is None else found


def cell(value: float, first: float | None) -> str:
    """``12.3`` or ``12.3 (1.05×)``"""
    text = f"{value:.1f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3f}"
    if first is None or math.isnan(value) or not first:
        return text
    return f"{text} ({value / first:.2f}×)"


def side_by_side(runs: list[Run]) -> str:
    names = [config.name for config, _ in runs]
    width = max(24, *(len(name) for name in names))
    spec = (("scenario", "<13"), ("figure", "<40"), *((name, f">{width}") for name in names))
    first = runs[0][1]
    rows: list[list[object]] = []
    for result in first:
        for key, base in result.numbers.items():
            row: list[object] = [result.name, key, cell(base, None)]
            row += [cell(number(results, result.name, key), base) for _, results in runs[1:]]
            rows.append(row)
    return table(spec, rows)


def redis_overhead(runs: list[Run]) -> list[str]:
    """One process on Redis against one on the memory hub: p50 difference, CPU ratio."""
    by = {(c.processes, c.hub, c.database_url): results for c, results in runs}
    memory, redis = by.get((1, "memory", "")), by.get((1, "redis", ""))
    if memory is None or redis is None:
        return []
    lines = []
    for result in memory:
        keys = list(result.numbers)
        p50 = next((k for k in keys if "p50" in k), None)
        cpu = next((k for k in keys if k.startswith("CPU")), None)
        parts = []
        if p50 is not None:
            difference = number(redis, result.name, p50) - result.numbers[p50]
            parts.append(f"{p50.removesuffix(' ms')} {difference:+.1f} ms")
        if cpu is not None:
            parts.append(f"CPU {number(redis, result.name, cpu) / result.numbers[cpu]:.2f}×")
        if parts:
            lines.append(f"  {result.name}: " + ", ".join(parts))
    return lines


@dataclass(frozen=True)
class Goal:
    """A target of issue 14: ``figure`` of ``scenario`` at most ``limit`` (``relative``:
    at most ``limit`` times the first configuration's)."""

    scenario: str
    figure: str
    limit: float
    relative: bool = False
    at_least: bool = False

    def verdict(self, results: list[Result], first: list[Result]) -> str | None:
        value = number(results, self.scenario, self.figure)
        if math.isnan(value) and not any(r.name == self.scenario for r in results):
            return None
        if self.relative:
            value /= number(first, self.scenario, self.figure)
        met = value >= self.limit if self.at_least else value <= self.limit
        unit = "×" if self.relative else ""
        sign = "≥" if self.at_least else "≤"
        shown = f"{value:.2f}{unit}" if self.relative else f"{value:.1f}"
        return f"{self.scenario}: {self.figure} {shown} {sign} {self.limit:g}{unit}: " + (
            "met" if met else "MISSED"
        )


GOALS = (
    Goal("agenda switch", "all phones show the step p99 ms", 700),
    Goal("agenda switch", "CPU µs per phone per switch", 1.2, relative=True),
    Goal("dot burst", "dot answer p99 ms", 1000),
    Goal("dot burst", "all counted (sent = acked = boards = DB)", 1, at_least=True),
    Goal("card storm", "card → board p99 ms", 50),
    Goal("idle room", "KiB per socket (servers summed)", 30),
)


def goals(runs: list[Run]) -> list[str]:
    first = runs[0][1]
    lines = []
    for config, results in runs:
        verdicts = [v for goal in GOALS if (v := goal.verdict(results, first)) is not None]
        lines += [f"  {config.name}: {verdict}" for verdict in verdicts]
    return lines


def report(runs: list[Run], emit: Callable[[str], None] = print) -> None:
    emit(side_by_side(runs))
    overhead = redis_overhead(runs)
    if overhead:
        emit("")
        emit("Redis overhead on one process (redis − memory hub; target ≤ +1 ms, CPU ≤ 1.10×):")
        for line in overhead:
            emit(line)
    emit("")
    emit(f"Targets of issue 14 (relative: ÷ {runs[0][0].name}):")
    for line in goals(runs):
        emit(line)
