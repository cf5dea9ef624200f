"""Journaled writes of rating tags: the file side of the one write loop.

Each chunk of file changes is read first (the raw rating fields, for an
exact undo) and journaled ``pending`` with those fields as the old value,
then written with the tag layer's crash-safe save and marked after; the
loop itself is :func:`~ratings_gui.journal.writeloop.write_journaled`. A file that
is read-only, locked, vanished or changed since the preview fails alone,
with its reason; it never stops the run and is never left half-written.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ratings_gui.core.plan import FILE, Change, old_rating
from ratings_gui.core.scale import format_stars, same
from ratings_gui.journal.writeloop import Failure, JournaledWriter, Key, WriteResult
from ratings_gui.tags.api import (
    DEFAULT_EMAIL,
    read_before_write,
    read_many,
    read_rating,
    remove_stale_temp_files,
    restore_fields,
    write_rating,
)
from ratings_gui.tags.base import TagError

log = logging.getLogger(__name__)

CHANGED_SINCE_PREVIEW = "changed since the preview"


class FileWriter(JournaledWriter):
    """Write :class:`Change` objects with target kind ``file``; journal before and after.

    ``restore`` maps a path to the exact raw fields to put back (undo);
    other changes write their ``new`` rating.
    """

    phase = "writing files"
    chunk = 100
    reads_before = True

    def __init__(
        self,
        *,
        popm_email: str = "",
        keep_mtime: bool = False,
        workers: int = 4,
        cancel: threading.Event | None = None,
        restore: Mapping[str, dict[str, str]] | None = None,
        rating_scale: str | None = None,
    ) -> None:
        self.popm_email = popm_email or DEFAULT_EMAIL
        #: The library's scale for a RATING of 6-10, as the plan read it (see tags.scales).
        self.rating_scale = rating_scale
        self.keep_mtime = keep_mtime
        self.workers = max(1, workers)
        self.cancel = cancel or threading.Event()
        self.restore = dict(restore or {})

    def accepts(self, change: Change) -> bool:
        return change.target_kind == FILE

    def apply(self, changes: Sequence[Change], **kw: Any) -> WriteResult:
        """First remove the temp files a killed run left in the folders this run touches."""
        for folder in sorted({os.path.dirname(c.target) or "." for c in changes}):
            remove_stale_temp_files(folder)
        return super().apply(changes, **kw)

    def before(self, unit: list[Change]) -> tuple[list[Change], Failure | None]:
        """The file's current state as the journal's old value, or why it cannot be written."""
        ch = unit[0]
        stored = ch.new
        try:
            if ch.target in self.restore:
                now = read_rating(
                    ch.target,
                    popm_email=self.popm_email,
                    with_layout=True,
                    rating_scale=self.rating_scale,
                )
            else:  # journal what the file will hold: a WMA keeps whole stars only
                now, stored = read_before_write(
                    ch.target, ch.new, popm_email=self.popm_email, rating_scale=self.rating_scale
                )
            current: dict[str, Any] = {"rating": now.rating, "fields": now.fields}
            if now.layout:  # how the fields were stored: undo gives back the identical file
                current["layout"] = now.layout
        except TagError as exc:
            if exc.reason != "invalid_value" or ch.target not in self.restore:
                return unit, Failure(f"{exc.reason}: {exc.message}", exc.reason)
            current = {"rating": None, "fields": exc.fields}
        journaled = dataclasses.replace(ch, old=current)
        if not same(stored, ch.new):
            journaled = dataclasses.replace(journaled, new=stored)
        if not same(current["rating"], old_rating(ch.old)):
            err = f"{CHANGED_SINCE_PREVIEW}: now {format_stars(current['rating'])}"
            return [journaled], Failure(err, "changed since")
        return [journaled], None

    def send(self, unit: list[Change]) -> None:
        for ch in unit:
            if ch.target in self.restore:
                restore_fields(ch.target, self.restore[ch.target], keep_mtime=self.keep_mtime)
            else:
                write_rating(
                    ch.target,
                    ch.new,
                    popm_email=self.popm_email,
                    keep_mtime=self.keep_mtime,
                    rating_scale=self.rating_scale,
                )

    def failure(self, exc: Exception) -> Failure | None:
        if isinstance(exc, TagError):
            return Failure(f"{exc.reason}: {exc.message}", exc.reason)
        # one bad file never stops the run
        log.error("writing a file failed", exc_info=exc)
        return Failure(f"write_failed: {exc}", "write_failed")

    def failure_line(self, unit: list[Change], message: str) -> str:
        return f"failed: {unit[0].target}: {message}"

    def read_current(self, changes: Sequence[Change]) -> dict[Key, Any]:
        """The files' ratings now, read on the thread pool (an unreadable or missing file is absent)."""
        found = {
            str(path): got.rating
            for path, got in read_many(
                sorted({c.target for c in changes}),
                popm_email=self.popm_email,
                rating_scale=self.rating_scale,
            )
            if not isinstance(got, TagError)
        }
        return {c.key: found[c.target] for c in changes if c.target in found}
