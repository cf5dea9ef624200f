"""The one journaled write loop, with a writer that writes to a dict (no server needed).

Every real writer (Plex per item, grouped edits, mood tags, files) is this
loop plus a send function; their own tests run it against the demo server
and real files. Here the loop's promises are checked one by one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ratings_gui.core.plan import PLEX, Change
from ratings_gui.journal import APPLIED, FAILED, PENDING, Journal
from ratings_gui.journal.writeloop import (
    CANCELLED,
    Failure,
    InOrder,
    JournaledWriter,
    WriteResult,
    count_outcomes,
)


class Refused(Exception):
    """What the dict writer raises for a key it is told to refuse."""

    def __init__(self, key: str, stop: bool = False) -> None:
        super().__init__(f"{key} refused")
        self.stop = stop


class DictWriter(JournaledWriter):
    """Writes ``new`` into a dict; checks that each change was journaled before it was sent."""

    chunk = 4

    def __init__(
        self,
        journal: Journal | None = None,
        *,
        refuse: frozenset[str] | set[str] = frozenset(),
        stop_at: str | None = None,
        cancel_after: int | None = None,
        lose: frozenset[str] | set[str] = frozenset(),
        field: str = "userRating",
    ) -> None:
        self.cancel = threading.Event()
        self.store: dict[str, Any] = {}
        self.journal = journal
        self.refuse, self.stop_at, self.lose = refuse, stop_at, lose
        self.cancel_after = cancel_after
        self.field = field
        self.sent: list[str] = []
        self.pending_at_send: list[bool] = []

    def accepts(self, change: Change) -> bool:
        return change.field == self.field

    def send(self, unit: list[Change]) -> None:
        for ch in unit:
            if self.journal is not None:
                rows = [r for run in self.journal.runs() for r in self.journal.changes(run.id)]
                self.pending_at_send.append(
                    any(r.change.key == ch.key and r.status == PENDING for r in rows)
                )
            self.sent.append(ch.target)
            if self.cancel_after is not None and len(self.sent) >= self.cancel_after:
                self.cancel.set()
            if ch.target == self.stop_at:
                raise Refused(ch.target, stop=True)
            if ch.target in self.refuse:
                raise Refused(ch.target)
            if ch.target not in self.lose:
                self.store[ch.target] = ch.new

    def failure(self, exc: Exception) -> Failure | None:
        if isinstance(exc, Refused):
            return Failure(str(exc), reason="refused", stop=exc.stop)
        return None

    def read_current(self, changes: Any) -> dict[Any, Any]:
        return {c.key: self.store[c.target] for c in changes if c.target in self.store}

    def verify(self, applied: Any, progress: Any, log_line: Any) -> list[tuple[Change, str]]:
        now = self.read_current(applied)
        return [(c, "did not stick") for c in applied if now.get(c.key) != c.new]


def _changes(n: int, field: str = "userRating") -> list[Change]:
    return [Change(PLEX, str(k), field, None, float(k % 10 + 1), "test") for k in range(1, n + 1)]


def _journal(tmp_path: Path) -> tuple[Journal, int]:
    j = Journal(tmp_path / "j.sqlite3")
    return j, j.start_run("test")


def _statuses(j: Journal, run: int) -> dict[str, str]:
    return {r.change.target: r.status for r in j.changes(run)}


def test_every_change_is_pending_before_it_is_sent_and_marked_after(tmp_path: Path) -> None:
    j, run = _journal(tmp_path)
    w = DictWriter(j)
    lines: list[str] = []
    progress: list[tuple[int, int, str]] = []
    res = w.apply(
        _changes(10),
        journal=j,
        run_id=run,
        progress=lambda *a: progress.append(a),
        log_line=lines.append,
    )
    assert len(w.pending_at_send) == 10 and all(w.pending_at_send)
    assert len(res.applied) == 10 and not res.failed and not res.cancelled
    assert set(_statuses(j, run).values()) == {APPLIED}
    assert progress[-1] == (10, 10, "writing") and lines == []


def test_a_failure_fails_alone_with_its_reason(tmp_path: Path) -> None:
    j, run = _journal(tmp_path)
    lines: list[str] = []
    res = DictWriter(j, refuse={"3"}).apply(
        _changes(6), journal=j, run_id=run, log_line=lines.append
    )
    assert [(c.target, e) for c, e in res.failed] == [("3", "3 refused")]
    assert res.reasons == {"refused": 1} and len(res.applied) == 5
    st = _statuses(j, run)
    assert st.pop("3") == FAILED and set(st.values()) == {APPLIED}
    assert lines == ["failed: 3: 3 refused"]


def test_a_stopping_failure_ends_the_run_and_the_rest_is_not_sent(tmp_path: Path) -> None:
    j, run = _journal(tmp_path)
    w = DictWriter(j, stop_at="2")
    lines: list[str] = []
    res = w.apply(_changes(12), journal=j, run_id=run, log_line=lines.append)
    assert "2" in w.sent and "12" not in w.sent
    failed = dict((c.target, e) for c, e in res.failed)
    assert failed["2"] == "2 refused"
    assert all(e == "not sent: 2 refused" for k, e in failed.items() if k != "2")
    assert len(res.applied) + len(res.failed) == 12
    assert lines.count("stopped: 2 refused") == 1
    # what was journaled is settled; what was never sent is not in the journal
    st = _statuses(j, run)
    assert PENDING not in st.values() and len(st) < 12
    # the refused write failed; the rest was never sent (one vocabulary, issue 24)
    assert count_outcomes(res) == {"applied": 1, "failed": 1, "not sent": 10}


def test_cancel_stops_between_units_and_leaves_nothing_pending(tmp_path: Path) -> None:
    j, run = _journal(tmp_path)
    w = DictWriter(j, cancel_after=5)
    res = w.apply(_changes(40), journal=j, run_id=run)
    assert res.cancelled and len(w.sent) < 40
    assert {c.target for c in res.applied} == set(w.store)
    assert all(e == CANCELLED for _, e in res.failed)
    assert len(res.applied) + len(res.failed) == 40
    assert PENDING not in _statuses(j, run).values()
    assert count_outcomes(res)["not sent"] == len(res.failed)


def test_what_does_not_stick_is_marked_failed_after_the_check(tmp_path: Path) -> None:
    j, run = _journal(tmp_path)
    res = DictWriter(j, lose={"4"}).apply(_changes(6), journal=j, run_id=run)
    assert [(c.target, e) for c, e in res.failed] == [("4", "did not stick")]
    assert "4" not in {c.target for c in res.applied}
    assert _statuses(j, run)["4"] == FAILED


def test_in_order_routes_each_change_and_holds_what_depends_on_a_failure() -> None:
    ratings = DictWriter(refuse={"2"})
    moods = DictWriter(field="mood")
    changes = _changes(3) + _changes(3, "mood")

    def hold(ch: Change, so_far: WriteResult) -> str | None:
        lost = {c.target for c, _ in so_far.failed}
        return "not sent: the rating was not written" if ch.target in lost else None

    res = InOrder(ratings, None, moods, hold=hold).apply(changes)
    assert ratings.sent == ["1", "2", "3"] and moods.sent == ["1", "3"]
    assert sorted((c.target, c.field) for c, _ in res.failed) == [
        ("2", "mood"),
        ("2", "userRating"),
    ]
    assert InOrder(ratings).accepts(changes[0]) and not InOrder(ratings).accepts(changes[-1])
