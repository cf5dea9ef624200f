"""Provenance from the journal: which standing values the program wrote, and whose they were.

Answered from the same change rows every run records; the rules that use
the answer (is the current value still ours?) are ``core.provenance``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from ratings_gui.core.provenance import GUESSES, YOURS
from ratings_gui.journal.schema import Provenance, _load, _str


class ProvenanceQueries:
    """The journal's provenance questions (mixed into :class:`~ratings_gui.journal.Journal`)."""

    _db: Any
    _lock: threading.RLock

    def standing_writes(
        self,
        target_kind: str,
        field: str = "userRating",
        targets: Iterable[str] | None = None,
        server: str | None = None,
        user: str | None = None,
    ) -> dict[str, Provenance]:
        """The program's latest standing write per target, whatever the job, with whose it was.

        Undo restores someone else's value, so undo runs do not count; an
        undone change no longer stands. With ``server``, only runs on that
        server (or naming none) count: ratingKeys are per server, and a new
        server numbers its items from 1 again. With ``user``, only runs made
        as that Plex user count: each person's ratings are their own.
        """
        scope = ""
        args: list[Any] = [target_kind, field]
        if server:
            scope += " AND r2.server IN (?, '')"
            args.append(server)
        if user is not None:
            scope += " AND r2.user = ?"
            args.append(user)
        sql = (
            "SELECT c.target, c.new, r.job, r.id, c.reason, COALESCE(NULLIF(c.whose, ''), r.whose)"
            " FROM changes c JOIN runs r ON r.id = c.run_id"
            " WHERE c.target_kind=? AND c.field=? AND c.status='applied'"
            " AND c.id = (SELECT MAX(c2.id) FROM changes c2 JOIN runs r2 ON r2.id = c2.run_id"
            "   WHERE c2.target_kind=c.target_kind AND c2.field=c.field AND c2.target=c.target"
            f"   AND c2.status='applied' AND r2.undo_of IS NULL{scope})"
        )
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        wanted = set(targets) if targets is not None else None
        return {
            _str(t): Provenance(_load(v), job, rid, _str(reason), w or YOURS)
            for t, v, job, rid, reason, w in rows
            if wanted is None or _str(t) in wanted
        }

    def program_values(
        self,
        target_kind: str,
        field: str = "userRating",
        targets: Iterable[str] | None = None,
        server: str | None = None,
        user: str | None = None,
    ) -> dict[str, Provenance]:
        """The standing writes that were the program's guesses (base, inferred).

        Whether an item's current value is still one of them is
        ``core.provenance.whose``'s answer, not this list's.
        """
        return {
            t: p
            for t, p in self.standing_writes(target_kind, field, targets, server, user).items()
            if p.whose in GUESSES
        }
