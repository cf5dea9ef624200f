"""Plan and Change: what a job intends to write, before anything is written.

A plan is pure data, so it can be previewed, exported, journaled and
applied by the same code whatever job made it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Target kinds: a Plex item (target = ratingKey as text) or a file (target = path).
PLEX = "plex"
FILE = "file"
#: Key in a file's restore fields (an undo puts them back) that carries the saved tag
#: layout (see ``tags.TagRating.layout``), not a field.
LAYOUT_KEY = "\x00layout"

#: Outcome name for rows that become a change.
UPDATE = "update"


def old_rating(value: Any) -> Any:
    """The rating inside a file change's journaled value ({'rating', 'fields'}) or the value."""
    return value.get("rating") if isinstance(value, dict) else value


def summary(
    job: str,
    *,
    run_id: int | None = None,
    dry_run: bool = True,
    counts: Mapping[str, Any] | None = None,
    changes: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """The one shape of a job's summary (``--json``'s last line, a run's journal summary)."""
    return {
        "job": job,
        "run_id": run_id,
        "dry_run": dry_run,
        "counts": dict(counts or {}),
        "changes": changes,
        **extra,
    }


class InputError(Exception):
    """What the user gave cannot be used (a file, a choice): a plain message, nothing written.

    Not a Plex problem: the command line answers it with exit code 2.
    """

    plain_message = True


class Cancelled(Exception):
    """Raised inside a job (or a sign-in wait) when the user pressed Cancel."""


@dataclass(frozen=True, slots=True)
class Change:
    """One intended write: ``field`` of ``target`` from ``old`` to ``new``, and why."""

    target_kind: str
    target: str
    field: str
    old: Any
    new: Any
    reason: str = ""
    label: str = ""
    #: Whose the new value is (``core.provenance``: yours, base, inferred); "" means the
    #: writing job's declared default.
    whose: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.target_kind, self.target, self.field)

    def inverse(self, reason: str = "undo") -> Change:
        return Change(
            self.target_kind, self.target, self.field, self.new, self.old, reason, self.label
        )


@dataclass
class Plan:
    """A job's changes plus counted outcomes (unchanged, not found, ...) and notes."""

    job: str
    changes: list[Change] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    options: dict[str, Any] = field(default_factory=dict)
    #: Rows that did not become changes, for export: dicts with a ``reason`` key.
    skipped: list[dict[str, Any]] = field(default_factory=list)
    #: When the snapshot this plan came from was read, on the server's clock (the one
    #: that stamps lastRatedAt): a rating given in Plex after it is never written over.
    read_at: float | None = None
    #: What the job keeps with its plan for its own apply or preview (a typed object of
    #: the job's: an undo's journal ids and file fields, the tags' open question). Never
    #: journaled: only ``options`` (what the user chose) is.
    payload: Any = None

    def add(self, change: Change) -> None:
        self.changes.append(change)
        self.counts[UPDATE] += 1

    def count(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))

    def __len__(self) -> int:
        return len(self.changes)


@dataclass
class Report:
    """What an apply did: outcome counts and the changes that failed, with reasons."""

    job: str
    run_id: int | None
    dry_run: bool
    counts: Counter[str] = field(default_factory=Counter)
    changes: int = 0
    failed: list[tuple[Change, str]] = field(default_factory=list)
    #: The changes that reached the target (not in the JSON: may be huge).
    applied: list[Change] = field(default_factory=list)
    #: Changes not written (or not rewritten) because someone else set the value meanwhile.
    left_alone: list[tuple[Change, str]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out = summary(
            self.job,
            run_id=self.run_id,
            dry_run=self.dry_run,
            counts=dict(sorted(self.counts.items())),
            changes=self.changes,
        )
        if self.failed:
            out["failed"] = [
                {"target": c.target, "label": c.label, "error": e} for c, e in self.failed
            ]
        out.update(self.extra)
        return out
