"""Copy one Plex Home member's ratings to another member, on the same server.

Plex keeps ratings per member, so a family that shares a library starts
with one person's stars and empty ones for the others. This job reads the
server twice, as the member copied from (A) and as the member copied to
(B), each with their own token, plans with :func:`core.restoreplan.plan_copy`
and writes as B.

Whose the copied values are: they are A's ratings, copied at B's request,
so they become B's own ("yours"), like an import of B's export: inference
counts them as B's evidence and no job replaces them without asking. The
run is journaled under B, so History shows it as B's and its undo runs as
B. Only A's own ratings are copied (the program's base and inferred guesses
for A are not A's to give); B's own ratings stay unless ``overwrite``; the
program's guesses for B are replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

from ratings_gui.core import restoreplan as rp
from ratings_gui.core.plan import Plan, Report
from ratings_gui.core.provenance import YOURS
from ratings_gui.core.registry import JobSpec, declare
from ratings_gui.jobs.base import PlanJob, rating_provenance, require_connection
from ratings_gui.jobs.import_job import ImportInputError
from ratings_gui.jobs.runner import JobApp, JobContext
from ratings_gui.jobs.transfer import (
    home_members,
    member_app,
    read_targets,
    section_writer,
    verify_written,
)
from ratings_gui.journal.writeloop import Writer
from ratings_gui.plex.connection import PlexError
from ratings_gui.plex.home import find_user

log = logging.getLogger(__name__)

COPY_JOB = rp.COPY_JOB
#: The copied values are the member's own: copied from another member at their request.
SPEC = declare(
    JobSpec(COPY_JOB, sets=YOURS, title="Copy ratings", command="copy-ratings", tab="backup")
)


class CopyRead(NamedTuple):
    """Both members' items and whose each one's values are (each read with their own token)."""

    source: list[Any]
    target: list[Any]
    source_provenance: dict[str, Any]
    target_provenance: dict[str, Any]


class CopyRatingsJob(PlanJob):
    """A's ratings onto B's unrated items (B's own kept unless ``overwrite``); runs as B.

    ``app`` is the context as signed in (it switches to both members); after
    the read, :attr:`app` is the context working as B, so the run, History
    and undo are B's.
    """

    name = COPY_JOB

    def __init__(
        self,
        app: JobApp,
        from_user: str,
        to_user: str,
        libraries: Sequence[str] | None = None,
        *,
        kinds: Sequence[str] | None = None,
        overwrite: bool = False,
        from_pin: str | None = None,
        to_pin: str | None = None,
    ) -> None:
        super().__init__(app)
        self.home_app = app
        self.from_user = from_user
        self.to_user = to_user
        self.libraries = list(libraries or [])
        self.kinds = list(kinds or [])
        self.overwrite = overwrite
        self.from_pin = from_pin
        self.to_pin = to_pin
        self.from_name = from_user
        self.to_name = to_user
        self.targets: list[rp.TargetLibrary] = []

    def read(self, ctx: JobContext) -> CopyRead:
        """Both members' ratings, each read with their own token (two paged bulk reads)."""

        require_connection(self.home_app)
        members = home_members(self.home_app)
        a, b = find_user(members, self.from_user), find_user(members, self.to_user)
        if a.uuid == b.uuid:
            raise ImportInputError(
                f"Copy ratings from {a.name} to another member, not to {a.name}."
            )
        self.from_name, self.to_name = a.name, b.name
        as_a = member_app(self.home_app, a, self.from_pin)
        as_b = member_app(self.home_app, b, self.to_pin)
        self.app = as_b  # the run, its journal rows and its undo are B's
        source, n = read_targets(as_a, self.libraries, ctx)
        ctx.log(f"read {a.name}'s ratings")
        self.targets, m = read_targets(as_b, self.libraries, ctx)
        ctx.log(f"read {b.name}'s ratings")
        self.read_requests = n + m
        return CopyRead(
            [it for t in source for it in t.items],
            [it for t in self.targets for it in t.items],
            rating_provenance(as_a),
            rating_provenance(as_b),
        )

    def plan(self, snapshot: CopyRead) -> Plan:
        """Pure: :func:`core.restoreplan.plan_copy` over the two reads."""
        source, target, src_prov, dst_prov = snapshot
        plan = rp.plan_copy(
            source,
            target,
            src_prov,
            dst_prov,
            kinds=self.kinds or None,
            overwrite=self.overwrite,
            source_name=self.from_name,
            target_name=self.to_name,
        )
        plan.options.update(
            from_user=self.from_name,
            to_user=self.to_name,
            library=", ".join(t.title for t in self.targets),
            libraries=[t.title for t in self.targets],
        )
        return plan

    def log_plan(self, ctx: JobContext, plan: Plan) -> None:
        ctx.log(f"{self.from_name} -> {self.to_name}: {rp.copy_breakdown(plan.counts)}")

    def writer(self, ctx: JobContext, plan: Plan) -> Writer | None:
        """The grouped writer of a restore (a member's refused groups go item by item)."""
        if plan.changes and not self.targets:
            raise PlexError("Plan the copy first: the server has not been read.")
        if not plan.changes:
            return None
        section_of = {it.key: t.section_id for t in self.targets for it in t.items}
        kind_of = {it.key: it.kind for t in self.targets for it in t.items}
        return section_writer(require_connection(self.app), section_of, kind_of, ctx.cancel_event)

    def after_apply(self, ctx: JobContext, plan: Plan, report: Report) -> None:
        """Read back what was written, as B: what did not stick is marked failed."""
        report.extra.update(from_user=self.from_name, to_user=self.to_name)
        if report.applied and not ctx.cancelled:
            verify_written(self.app, self.targets, report, ctx)


__all__ = ["COPY_JOB", "CopyRatingsJob"]
