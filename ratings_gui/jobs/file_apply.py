"""Journaled writes of rating tags, and one run for a plan that writes Plex and files.

Each chunk of file changes is read first (the raw rating fields, for an
exact undo), recorded as ``pending`` in the journal with those fields as
the old value, written with the tag layer's crash-safe save, and marked
``applied``/``failed`` after. A file that is read-only, locked, vanished
or changed since the preview fails alone, with its reason; it never stops
the run and is never left half-written (the tag layer writes a temporary
file and replaces the original only after verifying it).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ratings_gui.core.plan import FILE, PLEX, Change, Plan, Report
from ratings_gui.core.scale import format_stars, same
from ratings_gui.jobs.apply import apply_plan
from ratings_gui.jobs.runner import JobContext
from ratings_gui.journal import APPLIED, FAILED, Journal
from ratings_gui.plex.writer import RatingWriter, WriteResult

log = logging.getLogger(__name__)

CHUNK = 100
CHANGED_SINCE_PREVIEW = "changed since the preview"

ProgressFn = Callable[[int, int, str], None]
LogFn = Callable[[str], None]


def old_rating(value: Any) -> Any:
    """The rating inside a journaled old value ({'rating', 'fields'}) or the value itself."""
    return value.get("rating") if isinstance(value, dict) else value


class FileWriter:
    """Write :class:`Change` objects with target kind ``file``; journal before and after.

    ``restore`` maps a path to the exact raw fields to put back (undo);
    other changes write their ``new`` rating.
    """

    def __init__(
        self,
        *,
        popm_email: str = "",
        keep_mtime: bool = False,
        workers: int = 4,
        cancel: threading.Event | None = None,
        restore: Mapping[str, dict[str, str]] | None = None,
    ) -> None:
        from ratings_gui.tags.api import DEFAULT_EMAIL

        self.popm_email = popm_email or DEFAULT_EMAIL
        self.keep_mtime = keep_mtime
        self.workers = max(1, workers)
        self.cancel = cancel or threading.Event()
        self.restore = dict(restore or {})
        #: Failure reasons (TagError.reason or 'changed since'), for the report's counts.
        self.reasons: Counter[str] = Counter()

    def _before(self, ch: Change) -> tuple[Change, str | None, str]:
        """The file's current state as the journal's old value, or why it cannot be written."""
        from ratings_gui.tags import TagError, read_rating

        try:
            now = read_rating(ch.target, popm_email=self.popm_email, with_layout=True)
            current: dict[str, Any] = {"rating": now.rating, "fields": now.fields}
            if now.layout:  # how the fields were stored: undo gives back the identical file
                current["layout"] = now.layout
        except TagError as exc:
            if exc.reason != "invalid_value" or ch.target not in self.restore:
                return ch, f"{exc.reason}: {exc.message}", exc.reason
            current = {"rating": None, "fields": exc.fields}
        journaled = dataclasses.replace(ch, old=current)
        if not same(current["rating"], old_rating(ch.old)):
            err = f"{CHANGED_SINCE_PREVIEW}: now {format_stars(current['rating'])}"
            return journaled, err, "changed since"
        return journaled, None, ""

    def _write(self, ch: Change) -> tuple[str | None, str]:
        from ratings_gui.tags import TagError, restore_fields, write_rating

        try:
            if ch.target in self.restore:
                restore_fields(ch.target, self.restore[ch.target], keep_mtime=self.keep_mtime)
            else:
                write_rating(
                    ch.target, ch.new, popm_email=self.popm_email, keep_mtime=self.keep_mtime
                )
        except TagError as exc:
            return f"{exc.reason}: {exc.message}", exc.reason
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
            log.exception("writing %s failed", ch.target)
            return f"write_failed: {exc}", "write_failed"
        return None, ""

    def apply(
        self,
        changes: Sequence[Change],
        *,
        journal: Journal | None = None,
        run_id: int | None = None,
        progress: ProgressFn | None = None,
        log_line: LogFn | None = None,
    ) -> WriteResult:
        """Read, journal pending, write, mark: chunk by chunk, a few files at a time."""
        applied: list[Change] = []
        failed: list[tuple[Change, str]] = []
        total = len(changes)
        done = 0
        cancelled = False
        with ThreadPoolExecutor(self.workers, thread_name_prefix="tag-writer") as pool:
            for i in range(0, total, CHUNK):
                if self.cancel.is_set():
                    cancelled = True
                    failed.extend((c, "cancelled") for c in changes[i:])
                    break
                chunk = list(changes[i : i + CHUNK])
                before = list(pool.map(self._before, chunk))
                journaled = [b[0] for b in before]
                ids: list[int | None] = [None] * len(chunk)
                if journal is not None and run_id is not None:
                    ids = list(journal.record_pending(run_id, journaled))
                todo = [j for j, b in enumerate(before) if b[1] is None]
                writes = pool.map(self._write, [journaled[j] for j in todo])
                results = dict(zip(todo, writes, strict=True))
                outcomes: list[tuple[int, str, str | None]] = []
                for j, (ch, pre_err, pre_reason) in enumerate(before):
                    err, reason = (pre_err, pre_reason) if pre_err else results[j]
                    if err is None:
                        applied.append(ch)
                        status = APPLIED
                    else:
                        failed.append((ch, err))
                        self.reasons[reason] += 1
                        status = FAILED
                        if log_line:
                            log_line(f"failed: {ch.target}: {err}")
                    if ids[j] is not None:
                        outcomes.append((int(ids[j]), status, err))  # type: ignore[arg-type]
                if journal is not None and outcomes:
                    journal.mark_many(outcomes)
                done += len(chunk)
                if progress:
                    progress(done, total, "writing files")
        return WriteResult(applied, failed, cancelled or self.cancel.is_set(), 0)


class SyncWriter:
    """The writer :func:`apply_plan` drives: its Plex changes, then the plan's file changes.

    ``apply_plan`` keeps the run, the journal and the report; this adds the
    files to the same run without a second copy of that logic.
    """

    #: :func:`apply_plan` hands this writer the whole plan, files included.
    handles_files = True

    def __init__(self, plex: Any, files: FileWriter) -> None:
        self.plex = plex
        self.files = files

    def apply(
        self,
        changes: Sequence[Change],
        *,
        journal: Journal | None = None,
        run_id: int | None = None,
        progress: ProgressFn | None = None,
        log_line: LogFn | None = None,
    ) -> WriteResult:
        plex_changes = [c for c in changes if c.target_kind == PLEX]
        file_changes = [c for c in changes if c.target_kind == FILE]
        kw: dict[str, Any] = {
            "journal": journal,
            "run_id": run_id,
            "progress": progress,
            "log_line": log_line,
        }
        result = WriteResult([], [])
        if plex_changes:
            result.add(self.plex.apply(plex_changes, **kw))
        return result.add(self.files.apply(file_changes, **kw))


def apply_sync_plan(
    app: Any,
    plan: Plan,
    ctx: JobContext,
    *,
    popm_email: str = "",
    keep_mtime: bool = False,
    undo_of: int | None = None,
    restore: Mapping[str, dict[str, str]] | None = None,
    workers: int = 3,
    file_workers: int = 4,
) -> Report:
    """Write a plan holding Plex and file changes as one journal run; returns its report."""
    plex_changes = [c for c in plan.changes if c.target_kind == PLEX]
    file_changes = [c for c in plan.changes if c.target_kind == FILE]
    files = FileWriter(
        popm_email=popm_email,
        keep_mtime=keep_mtime,
        workers=file_workers,
        cancel=ctx.cancel_event,
        restore=restore,
    )
    writer = SyncWriter(
        RatingWriter(app.connection, workers=workers, cancel=ctx.cancel_event)
        if app.connection is not None
        else None,
        files,
    )
    if file_changes:
        ctx.log(f"{len(file_changes):,} files and {len(plex_changes):,} Plex ratings to write")
    report = apply_plan(app, plan, ctx, undo_of=undo_of, writer=writer)
    for reason, n in files.reasons.items():
        report.counts[f"file failed: {reason.replace('_', ' ')}"] += n
    report.extra["files_written"] = sum(1 for c in report.applied if c.target_kind == FILE)
    report.extra["plex_written"] = sum(1 for c in report.applied if c.target_kind == PLEX)
    return report
