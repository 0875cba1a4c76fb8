"""Nothing is lost while the database is away: a session's writes wait here, in order, until one lands.

A write is added before its feedback is shown and removed only once the database has stored it. Writes are
idempotent (see `ClassStore.save`), so a flush that failed half-way, or one that ran twice, stores everything
exactly once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lessons.core.store.classes import ClassStore, Seat, StoreDown, Write


@dataclass
class Outbox:
    """One session's writes not yet stored, oldest first."""

    pending: list[Write] = field(default_factory=list)
    last_failure: float = 0.0  # when the database last failed to answer (monotonic seconds; 0: never)

    def add(self, write: Write) -> None:
        """Queue one write (call `flush` next)."""
        self.pending.append(write)

    def flush(self, store: ClassStore | None, seat: Seat, tries: int = 3, pause: float = 0.05) -> bool:
        """Write what is queued, trying `tries` times with growing pauses; True when nothing is left waiting."""
        if not self.pending:
            return True
        if store is None:
            self.last_failure = time.monotonic()
            return False
        batch = list(self.pending)
        for attempt in range(tries):
            try:
                store.save(seat, batch)
            except StoreDown:
                if attempt + 1 < tries:
                    time.sleep(pause * 2 ** attempt)
                continue
            del self.pending[:len(batch)]
            self.last_failure = 0.0
            return not self.pending
        self.last_failure = time.monotonic()
        return False

    def waiting(self) -> int:
        """How many writes wait for the database."""
        return len(self.pending)
