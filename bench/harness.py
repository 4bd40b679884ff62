"""Timing, statistics and the report: nothing here knows about Django."""

from __future__ import annotations

import functools
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    name: str
    n: int
    median_ms: float
    p95_ms: float
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self, context: dict[str, Any]) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        return {**data, **extra, **context}


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile: a value that was actually measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summarise(name: str, samples_ms: Sequence[float], note: str = "", **extra: Any) -> Result:
    return Result(
        name=name,
        n=len(samples_ms),
        median_ms=round(statistics.median(samples_ms), 3),
        p95_ms=round(p95(samples_ms), 3),
        note=note,
        extra=extra,
    )


def time_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - started) / 1e6


def time_import(flow: Any, path: Path, project: Any, actor: Any) -> dict[str, Any]:
    """What a module's import (its ImportFlow) costs the user's clicks: the check when the file
    is uploaded, then the confirmation, which checks the file again and writes it."""
    started = time.perf_counter()
    with path.open("rb") as fh:
        report = flow.check(actor=actor, project=project, upload=fh)
    checked = time.perf_counter()
    assert not report.problems, report.problems[:5]
    with path.open("rb") as fh:
        outcome = flow.write(
            actor=actor,
            project=project,
            upload=fh,
            file_name=path.name,
            expected_digest=report.digest,
        )
    finished = time.perf_counter()
    assert outcome.matched
    return {
        "total_ms": (finished - started) * 1000,
        "check_ms": (checked - started) * 1000,
        "confirm_ms": (finished - checked) * 1000,
        "written": outcome.written,
    }


def interleaved(
    variants: dict[str, Callable[[int], object]], *, n: int, warmup: int
) -> dict[str, list[float]]:
    """Time each variant n times, taking turns, so that drift (a growing table, a warming
    cache, another process) falls on all of them alike. Each call gets its iteration number."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(warmup + n):
        for name, fn in variants.items():
            elapsed = time_ms(functools.partial(fn, i))
            if i >= warmup:
                samples[name].append(elapsed)
    return samples


def progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def print_table(results: Sequence[Result]) -> None:
    width = max(len(r.name) for r in results)
    header = f"{'benchmark':<{width}}  {'n':>5}  {'median ms':>10}  {'p95 ms':>10}  note"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.name:<{width}}  {r.n:>5}  {r.median_ms:>10.3f}  {r.p95_ms:>10.3f}  {r.note}")


def write_results(
    path: Path, results: Sequence[Result], context: dict[str, Any], *, keep: Sequence[Any] = ()
) -> None:
    """Write via a temporary file, so that an interrupted run never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    rows = [*keep, *(r.row(context) for r in results)]
    tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def merge_results(path: Path, results: Sequence[Result], context: dict[str, Any]) -> None:
    """Replace the rows of the benchmarks just run (by name) and keep every other row."""
    names = {r.name for r in results}
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    write_results(path, results, context, keep=[row for row in old if row["name"] not in names])
