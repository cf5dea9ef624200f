"""Inference's plan beside its values, pure: the mood tag that marks exactly the inferred items.

The values themselves come from the engine (``core.inference``); the job
(reading the library, writing ratings and tags) is ``jobs.infer``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.provenance import INFERRED, Written, whose
from ratings_gui.core.records import Item

#: The Plex field of a mood-tag change (the tag that marks inferred items).
MOOD = "mood"


def plan_mood(
    items: Sequence[Item],
    provenance: Mapping[str, Written],
    rating_changes: Sequence[Change],
    tag: str,
    have: set[int],
) -> list[Change]:
    """Pure: the mood-tag adds and removals that make the tag mark exactly the inferred items.

    After the planned writes an item is inferred when the plan writes it a
    value, or when its standing rating is one inference wrote earlier. The
    tag comes off items the user took over (re-rated or cleared).
    """
    planned = {int(c.target): c.new for c in rating_changes if c.field == "userRating"}
    out: list[Change] = []
    for it in items:
        if it.kind not in ("artist", "album", "track"):
            continue
        if it.key in planned:
            want = planned[it.key] is not None
        else:
            want = whose(it.user_rating, provenance.get(str(it.key))) == INFERRED
        if want and it.key not in have:
            out.append(
                Change(PLEX, str(it.key), MOOD, None, tag, "inferred: mood tag added", it.label)
            )
        elif not want and it.key in have:
            out.append(
                Change(
                    PLEX, str(it.key), MOOD, tag, None, "not inferred: mood tag removed", it.label
                )
            )
    return out
