"""What a benchmark run collects: workloads, their rows (PostReady against its floor) and the log."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from bench.load import WrkResult

_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.1f}s] {message}", flush=True)


@dataclass
class Row:
    label: str
    connections: int | None
    app: WrkResult | dict
    floor: WrkResult | dict
    ratio: float
    passed: bool | None
    note: str = ""


@dataclass
class Workload:
    key: str
    title: str
    floor: str
    target: str
    kind: str          # "throughput" (app/floor >= target), "time" or "p99" (app/floor <= target), "info"
    threshold: float | None
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, connections: int | None, app, floor, note: str = "") -> Row:
        if self.kind == "throughput":
            ratio = app.rps / floor.rps if floor.rps else 0.0
        elif self.kind == "p99":
            ratio = app.p99_ms / floor.p99_ms if floor.p99_ms else 0.0
        else:
            ratio = app["seconds"] / floor["seconds"] if floor["seconds"] else 0.0
        passed = None
        if self.threshold is not None:
            passed = ratio >= self.threshold if self.kind == "throughput" else ratio <= self.threshold
            if isinstance(app, WrkResult) and app.non_2xx_3xx:
                note = (note + " " if note else "") + f"{app.non_2xx_3xx} non-2xx/3xx responses"
        row = Row(label, connections, app, floor, ratio, passed, note)
        self.rows.append(row)
        mark = {True: "PASS", False: "MISS", None: ""}[passed]
        log(f"    {self.key} {label} c={connections}: ratio {ratio:.2f} {mark} {note}")
        return row
