"""Whose rating is it: the one rule every job asks, and the jobs that declare what they set.

A rating is a person's own data. The journal records every value the
program wrote, for one server and one Plex user, with whose value it was
(``Change.whose``, or the writing job's declared default). From that,
:func:`whose` names an item's *current* value:

- ``unrated``: no value;
- ``base`` or ``inferred``: the program's guess, while the value still
  equals what the program last wrote there;
- ``yours``: everything else (given in Plex, or copied by the program from
  your own source: an import, a file tag, a restore of your rating).

Jobs declare themselves once (``core.registry.declare``): their name and
whose values they set. The journal takes a run's default from that
declaration; nothing else keeps lists of job names.

Pure: no I/O.
"""

from __future__ import annotations

from typing import Any, Protocol

from .scale import same

UNRATED = "unrated"
YOURS = "yours"
BASE = "base"
INFERRED = "inferred"
#: The program's own values: replaced without asking, never evidence, not written to files.
GUESSES = frozenset({BASE, INFERRED})
WHOSE = (YOURS, BASE, INFERRED)

#: A value neither the one the plan started from nor the one the run wrote.
CHANGED_DURING_RUN = "changed in Plex during the run"
#: A value that changed between the preview's read and the write: never written over.
CHANGED_SINCE_READ = "changed in Plex since the preview"


class Written(Protocol):
    """What the journal knows of the program's last standing write to one target."""

    value: Any
    whose: str


def whose(current: Any, written: Written | None) -> str:
    """Whose the current value is: the one provenance rule (see the module docstring)."""
    if current is None:
        return UNRATED
    if written is None or written.value is None or written.whose not in GUESSES:
        return YOURS
    try:
        if same(float(written.value), float(current)):
            return written.whose
    except (TypeError, ValueError):
        pass
    return YOURS


def is_guess(current: Any, written: Written | None) -> bool:
    """The current value is the program's (base or inferred), so any job may replace it."""
    return whose(current, written) in GUESSES


def changed_by_someone(now: Any, old: Any, new: Any) -> bool:
    """A value that is neither the old one nor the one written: someone else set it.

    A clear read back as 0 or less is the clear not sticking (a grouped edit
    may store -1 or 0 where ``/:/rate`` would clear; nobody rates 0 in Plex):
    never someone's, so the after-write checks write it again or call it failed.
    """
    if new is None and now is not None and float(now) <= 0:
        return False
    return not same(now, old) and not same(now, new)
