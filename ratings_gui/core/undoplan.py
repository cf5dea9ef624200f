"""Undo's plan, pure: the inverse of a run's applied changes, given what the targets hold now.

A target changed since the run (by anyone) is left alone and listed; one
already back to its old value is only marked undone. The job (reading the
journal, the server and the files, writing) is ``jobs.undo``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ratings_gui.core.inferplan import MOOD
from ratings_gui.core.plan import FILE, LAYOUT_KEY, Change, Plan, old_rating
from ratings_gui.core.scale import format_both, same

CHANGED_SINCE = "changed since"
GONE = "no longer on the server"
FILE_GONE = "file not found"
FILE_UNREADABLE = "file unreadable"
ALREADY_UNDONE = "already as before"
_MISSING = object()


@dataclass
class UndoPayload:
    """What an undo plan carries for its own apply (never journaled)."""

    #: change key -> the journal id of the change it undoes (marked undone once written).
    change_ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: Journal ids whose target already holds the old value (marked undone as they are).
    already: list[int] = field(default_factory=list)
    #: path -> the exact raw tag fields to put back into that file.
    restore: dict[str, dict[str, str]] = field(default_factory=dict)


def _plan_file_undo(
    plan: Plan, run_id: int, ch: Change, reading: Any, restore: dict[str, dict[str, str]]
) -> bool:
    """One file change's inverse; False (counted, listed) when the file is gone or changed."""

    if reading is None or getattr(reading, "reason", "") == "not_found":
        plan.count(FILE_GONE)
        plan.skipped.append({"target": ch.target, "label": ch.label, "reason": FILE_GONE})
        return False
    if not hasattr(reading, "rating"):
        plan.count(FILE_UNREADABLE)
        why = getattr(reading, "message", str(reading))
        plan.skipped.append(
            {"target": ch.target, "label": ch.label, "reason": f"{FILE_UNREADABLE}: {why}"}
        )
        return False
    if not isinstance(ch.old, dict) or not isinstance(ch.old.get("fields"), dict):
        plan.count("unsupported field")
        return False
    wrote = ch.new
    if isinstance(wrote, dict) and isinstance(wrote.get("fields"), dict):
        unchanged = reading.fields == wrote["fields"]  # an undo run wrote exact fields
    else:
        unchanged = same(reading.rating, old_rating(wrote))
    if not unchanged:
        plan.count(CHANGED_SINCE)
        plan.skipped.append(
            {
                "target": ch.target,
                "label": ch.label,
                "reason": f"{CHANGED_SINCE}: the file now holds {format_both(reading.rating)}",
            }
        )
        return False
    restore[ch.target] = {str(k): str(v) for k, v in ch.old["fields"].items()}
    if ch.old.get("layout"):
        restore[ch.target][LAYOUT_KEY] = str(ch.old["layout"])
    plan.add(
        Change(
            FILE,
            ch.target,
            ch.field,
            reading.rating,
            old_rating(ch.old),
            f"undo of run {run_id}",
            ch.label,
        )
    )
    return True


def plan_undo(
    run_id: int,
    rows: list[Any],
    current: dict[int, Any],
    files: Mapping[str, Any] | None = None,
) -> Plan:
    """Pure: the inverse of a run's applied changes, given the items' current state.

    ``rows`` are the run's journal rows newest first; ``current`` maps
    ratingKey -> Item (absent = the item is gone); ``files`` maps a changed
    file's path -> its TagRating now (or the TagError reading it gave).
    """
    plan = Plan("undo", options={"undo_of": run_id})
    already: list[int] = []
    seen: set[tuple[str, str, str]] = set()
    change_ids: dict[tuple[str, str, str], int] = {}
    restore: dict[str, dict[str, str]] = {}
    for row in rows:
        ch = row.change
        if ch.key in seen:
            continue  # only the newest write to a target is undone
        seen.add(ch.key)
        if ch.target_kind == FILE:
            step = _file_step(plan, run_id, ch, (files or {}).get(ch.target), restore)
        else:
            step = _plex_step(plan, run_id, ch, current.get(int(ch.target)))
        if step == _AS_BEFORE:
            already.append(row.id)
        elif step == _INVERTED:
            change_ids[ch.key] = row.id
    plan.payload = UndoPayload(change_ids, already, restore)
    return plan


#: What one journal row became: its inverse planned, already as before, or left alone.
_INVERTED, _AS_BEFORE, _LEFT = "inverted", "as before", "left alone"


def _file_step(
    plan: Plan, run_id: int, ch: Change, reading: Any, restore: dict[str, dict[str, str]]
) -> str:
    """A file change's row: already back to its old rating, or its inverse (if still ours)."""
    now = getattr(reading, "rating", _MISSING)
    if now is not _MISSING and not same(now, old_rating(ch.new)) and same(now, old_rating(ch.old)):
        plan.count(ALREADY_UNDONE)
        return _AS_BEFORE
    return _INVERTED if _plan_file_undo(plan, run_id, ch, reading, restore) else _LEFT


def _plex_step(plan: Plan, run_id: int, ch: Change, item: Any) -> str:
    """A Plex change's row: the item gone, changed since, already as before, or inverted."""
    if item is None:
        plan.count(GONE)
        plan.skipped.append({"target": ch.target, "label": ch.label, "reason": GONE})
        return _LEFT
    if ch.field == "userRating":
        now = item.user_rating
        unchanged = same(now, ch.new)
    elif ch.field == "watched":
        now = item.view_count > 0
        unchanged = now == bool(ch.new)
    elif ch.field == MOOD:
        tag = str(ch.new or ch.old or "")
        now = item.has_mood(tag)
        unchanged = now == bool(ch.new)
    else:
        plan.count("unsupported field")
        return _LEFT
    if not unchanged and _is_old(ch, now):
        # already back to what it was (an undo cut short, or the user): nothing to write
        plan.count(ALREADY_UNDONE)
        return _AS_BEFORE
    if not unchanged:
        plan.count(CHANGED_SINCE)
        if ch.field == "userRating":
            shown = format_both(now)
        elif ch.field == MOOD:
            shown = "tagged" if now else "not tagged"
        else:
            shown = str(now)
        plan.skipped.append(
            {"target": ch.target, "label": ch.label, "reason": f"{CHANGED_SINCE}: now {shown}"}
        )
        return _LEFT
    plan.add(ch.inverse(reason=f"undo of run {run_id}"))
    return _INVERTED


def _is_old(ch: Change, now: Any) -> bool:
    """Does the target hold the change's old value again?"""
    if ch.field == "userRating":
        return same(now, ch.old)
    return bool(now) == bool(ch.old)
