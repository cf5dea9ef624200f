"""The jobs, each declared once: the one list every other list is derived from.

A job module calls :func:`declare` when it is imported (``jobs.declare_all``
imports every one): its journal name, whose values it sets (the provenance
rule's default for its changes), its words for people, its command and tab,
what it writes and whether the automatic backup comes before its writes.
The journal, History, the automatic backup, the command line and the window
read their lists from here; a second job with the same name is refused.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from .provenance import WHOSE, YOURS

#: What a job writes.
WRITES = ("plex", "files", "plex+files", "")


@dataclass(frozen=True)
class JobSpec:
    """A job as the rest of the program sees it."""

    #: Its runs' name in the journal ("base-rating").
    name: str
    #: Whose its values are (a change may say otherwise); "" for no one's (undo, clear).
    sets: str = YOURS
    #: Words for people: History's Job column, messages ("Base rating").
    title: str = ""
    #: Its command on the command line ("" when it has none of its own).
    command: str = ""
    #: The window tab it lives in ("" when none).
    tab: str = ""
    #: What it writes: "plex", "files", "plex+files", or "" (it only records).
    writes: str = "plex"
    #: The automatic backup of the ratings a run changes comes first (a clear makes its own).
    backup_first: bool = True
    #: Runs that only record provenance (nothing sent): undo refuses them.
    record_only: bool = False

    @property
    def label(self) -> str:
        return self.title or self.name


_JOBS: dict[str, JobSpec] = {}


class DuplicateJob(ValueError):
    """Two jobs declared the same name."""


def declare(spec: JobSpec) -> JobSpec:
    """Register a job once; a second, different job with the same name is refused."""
    if spec.sets not in (*WHOSE, ""):
        raise ValueError(f"{spec.name}: sets must be one of {WHOSE}, not {spec.sets!r}")
    if spec.writes not in WRITES:
        raise ValueError(f"{spec.name}: writes must be one of {WRITES}, not {spec.writes!r}")
    old = _JOBS.get(spec.name)
    if old is not None and old != spec:
        raise DuplicateJob(f"a job named {spec.name!r} is already declared")
    _JOBS[spec.name] = spec
    return spec


def job_spec(name: str) -> JobSpec | None:
    return _JOBS.get(name)


def declared_jobs() -> list[JobSpec]:
    """Every job, in the order they were declared."""
    return list(_JOBS.values())


def default_whose(job: str) -> str:
    """Whose a job's changes are unless a change says otherwise ("" for unknown jobs)."""
    spec = _JOBS.get(job)
    return spec.sets if spec is not None else ""


def title_of(job: str) -> str:
    """A run's job in words ("Base rating"), its name when no job declares it."""
    spec = _JOBS.get(job)
    return spec.label if spec is not None else job


def backs_up_first(job: str) -> bool:
    """The automatic backup applies to this job's runs (unknown jobs: yes, to be safe)."""
    spec = _JOBS.get(job)
    return spec.backup_first if spec is not None else True
