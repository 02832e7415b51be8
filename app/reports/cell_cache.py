"""Each person's report cells, kept per process and reused while nothing that decides them changed.

A cell depends on three things only:
- the person's records (certificates, revocations, completions, lesson views, assignments,
  suspensions and lifts), all append-only; the database bumps `evidence_versions.version` whenever
  one is added (triggers, migration 9c2e61d0b7a4), so an unchanged version means unchanged records;
- the moment asked about, which matters only when it crosses one of the dates in those records
  (rules.cells_fresh_until says which is next);
- the catalog (newest course version), requirements and rights policy in force, which key the
  whole cache.

So a manager reopening a dashboard pays for the roster query alone, and nobody ever sees a cell
that a fresh computation would not give. Point-in-time reports and whole-organisation reads
(exports) are computed as before: they are rare, and would only churn the cache.
"""
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from threading import Lock

from flask import current_app

from app.reports.rules import Cell


@dataclass(frozen=True, slots=True)
class _Entry:
    version: int
    computed_at: datetime
    fresh_until: datetime | None  # None: until a record is added
    cells: tuple[Cell, ...]

    def answers(self, version: int, at: datetime) -> bool:
        return (version == self.version and self.computed_at <= at
                and (self.fresh_until is None or at < self.fresh_until))


class CellCache:
    """Least recently used first out, so a worker's memory stays bounded whatever the organisation's size."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._key = None
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = Lock()  # the development server is threaded

    def lookup(self, key, people: list[tuple[int, int]], at: datetime) -> dict[int, tuple[Cell, ...]]:
        """Cells still right at `at` for those of `people` (person id, evidence version) that have them."""
        found = {}
        with self._lock:
            if key != self._key:
                self._key, self._entries = key, OrderedDict()
                return found
            entries = self._entries
            for person_id, version in people:
                entry = entries.get(person_id)
                if entry is not None and entry.answers(version, at):
                    entries.move_to_end(person_id)
                    found[person_id] = entry.cells
        return found

    def store(self, key, person_id: int, version: int, at: datetime, fresh_until: datetime | None,
              cells: tuple[Cell, ...]) -> None:
        with self._lock:
            if key != self._key:
                return  # the requirements changed meanwhile (another request reset the cache)
            self._entries[person_id] = _Entry(version, at, fresh_until, cells)
            self._entries.move_to_end(person_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def cell_cache() -> CellCache:
    app = current_app._get_current_object()
    cache = app.extensions.get("postready.report_cells")
    if cache is None:
        cache = app.extensions["postready.report_cells"] = CellCache(app.config["REPORT_CELL_CACHE_SIZE"])
    return cache
