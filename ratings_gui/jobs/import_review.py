"""Import's Needs review: the user's answers (in the window, or given as data) to rows
whose match was not sure, kept in step with the plan's changes and counts.

A mixin of :class:`~ratings_gui.jobs.import_job.ImportJob`, apart so the job
reads as prepare -> plan -> apply and the answers' bookkeeping reads alone.
"""

from __future__ import annotations

from typing import Any

from ratings_gui import sources
from ratings_gui.core import importplan
from ratings_gui.core.importplan import NEEDS_REVIEW, SKIPPED, UNCHANGED, UPDATE, ReviewItem
from ratings_gui.core.plan import PLEX, Change, InputError, Plan
from ratings_gui.core.records import Item


class ImportInputError(InputError):
    """The file or the library choice cannot be used: a plain message, nothing written."""


REVIEWED = "chosen in review"


def _from_review(c: Change, key: int) -> bool:
    return c.reason == REVIEWED and c.target == str(key)


class ReviewAnswers:
    """Answers to the rows that need review; the plan (``reviewed``) follows each one."""

    reviewed: Plan | None
    review: list[ReviewItem]
    #: id(review item) -> the Plex key the user chose for it
    decisions: dict[int, int]
    #: id(review item) -> the outcome its answer had, when it wrote nothing
    _outcomes: dict[int, str]
    _review_info: dict[int, dict[str, Any]]
    answers: dict[int, int | None]
    accept_above: float | None
    provenance: dict[str, Any]
    overwrite: bool
    mark_watched: bool
    parsed: sources.ParseResult | None

    def accept_review(self, item: ReviewItem, choice: Item | None) -> Change | None:
        """The user's answer to one needs-review row: this Plex item, or skip (None).

        Answering again replaces the earlier answer. Returns the rating change
        added (None when skipped or when the item already has that rating).
        """
        plan = self.reviewed
        if plan is None:
            raise RuntimeError("prepare() first")
        rid = id(item)
        info = self._review_info.get(rid, {})
        previous = self.decisions.pop(rid, None)
        self._withdraw(plan, rid, info, previous)
        if choice is None:
            # skipped: counted as skipped (the row stays in the unmatched list, as skipped)
            self._outcomes[rid] = SKIPPED
            plan.count(NEEDS_REVIEW, -1)
            plan.count(SKIPPED)
            if info:
                info["reason"] = SKIPPED
            return None
        taken = {int(c.target) for c in plan.changes if c.field == "userRating"}
        if choice.key in taken:
            self._restore(rid, previous, item)
            raise ValueError(f"{choice.label} already gets a rating from another row of the file.")
        self.decisions[rid] = choice.key
        plan.count(NEEDS_REVIEW, -1)
        plan.skipped = [s for s in plan.skipped if s is not info]
        return self._chosen_change(plan, rid, info, item, choice)

    def _withdraw(self, plan: Plan, rid: int, info: dict[str, Any], previous: int | None) -> None:
        """Take back the row's earlier answer (a skip or a choice): it needs review again."""
        if previous is None and self._outcomes.get(rid) == SKIPPED:
            del self._outcomes[rid]  # a skip answered again: back to "needs review" first
            plan.count(SKIPPED, -1)
            plan.count(NEEDS_REVIEW)
            if info:
                info["reason"] = NEEDS_REVIEW
        if previous is not None:
            before = len(plan.changes)
            plan.changes = [c for c in plan.changes if not _from_review(c, previous)]
            was = self._outcomes.pop(rid, UPDATE if len(plan.changes) < before else UNCHANGED)
            plan.count(was, -1)
            plan.skipped = [s for s in plan.skipped if s.get("_review") != rid]
            plan.count(NEEDS_REVIEW)
            if info:
                plan.skipped.append(info)

    def _chosen_change(
        self, plan: Plan, rid: int, info: dict[str, Any], item: ReviewItem, choice: Item
    ) -> Change | None:
        """What the chosen item gets: the watched mark, the rating, or nothing (counted, and
        listed when a rating you gave is kept)."""
        rating = item.row.rating
        if rating is None:  # a watched-only row: its change is the watched mark
            if choice.view_count > 0:
                plan.count(UNCHANGED)
                return None
            change = Change(PLEX, str(choice.key), "watched", False, True, REVIEWED, choice.label)
            plan.add(change)
            return change
        written = self.provenance.get(str(choice.key))
        outcome = importplan.decide(choice.user_rating, rating, written, self.overwrite)
        if outcome != UPDATE:
            plan.count(outcome)
            self._outcomes[rid] = outcome
            if outcome == importplan.KEPT_YOURS:
                fmt = self.parsed.format if self.parsed is not None else ""
                kept = {
                    **info,
                    "_review": rid,
                    "key": choice.key,
                    "label": choice.label,
                    "current": choice.user_rating,
                    importplan.SHOW: True,
                    "reason": outcome,
                    "detail": importplan.kept_detail(
                        choice.user_rating, rating, sources.DISPLAY.get(fmt, fmt or "the file")
                    ),
                }
                plan.skipped.append(kept)
            return None
        change = Change(
            PLEX, str(choice.key), "userRating", choice.user_rating, rating, REVIEWED, choice.label
        )
        plan.add(change)
        if self.mark_watched and choice.view_count <= 0:
            plan.changes.append(
                Change(PLEX, str(choice.key), "watched", False, True, REVIEWED, choice.label)
            )
        return change

    def _decide(self) -> None:
        """Answers given as data (``--decisions FILE``, ``--accept-above SCORE``), after planning.

        A line's answer is a Plex key among its possible matches, or skip; a
        key that is not one of them is refused with the line (nothing written).
        """
        for item in list(self.review):
            line = item.row.line
            if line in self.answers:
                key = self.answers[line]
                if key is None:
                    self.accept_review(item, None)
                    continue
                cand = next((it for it, _ in item.candidates if it.key == key), None)
                if cand is None:
                    keys = ", ".join(str(it.key) for it, _ in item.candidates) or "none"
                    raise ImportInputError(
                        f"Decisions: line {line} ({item.row.title}) cannot take item {key}; "
                        f"its possible matches are {keys}. Nothing was written."
                    )
                self.accept_review(item, cand)
            elif (
                self.accept_above is not None
                and item.candidates
                and item.candidates[0][1] >= self.accept_above
                and (len(item.candidates) < 2 or item.candidates[1][1] < item.candidates[0][1])
            ):
                self.accept_review(item, item.candidates[0][0])

    def review_rows(self) -> list[dict[str, Any]]:
        """The rows that need a person's answer: one per row, its possible matches, and the
        answer given so far ("" none, a Plex key, or "skip"): the ``--review-out`` file."""
        out = []
        for item in self.review:
            rid = id(item)
            chosen = self.decisions.get(rid)
            answer = (
                str(chosen)
                if chosen is not None
                else ("skip" if self._outcomes.get(rid) == SKIPPED else "")
            )
            out.append(
                {
                    "line": item.row.line,
                    "title": item.row.title,
                    "year": item.row.year or "",
                    "why": item.how,
                    "candidates": " | ".join(
                        f"{it.key}: {it.label} ({it.kind}, {score:.0%} alike)"
                        for it, score in item.candidates
                    ),
                    "choice": answer,
                }
            )
        return out

    def _restore(self, rid: int, previous: int | None, item: ReviewItem) -> None:
        """Put back an earlier answer after a refused one (the plan stays as it was)."""
        if previous is None:
            return
        cand = next((it for it, _ in item.candidates if it.key == previous), None)
        if cand is not None:
            self.accept_review(item, cand)

    def chosen(self, item: ReviewItem) -> int | None:
        """The Plex key the user picked for this row, if any."""
        return self.decisions.get(id(item))
