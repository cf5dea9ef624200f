"""Base rating's plan, pure: which tracks get the chosen rating, which base ratings a reset clears.

The job (reading the library and the journal's provenance, writing, watching)
is ``jobs.base_rating``; this is the decision its preview shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ratings_gui.core.plan import PLEX, Change, Plan
from ratings_gui.core.provenance import BASE, GUESSES, Written, whose
from ratings_gui.core.records import Item
from ratings_gui.core.scale import format_stars, normalize, same

JOB = "base-rating"
RESET_JOB = "base-rating-reset"


# Outcomes (plan counts).
UNRATED = "unrated"
MINE = "already rated by you"
ALREADY = "already base rated"
PROGRAM = "rated by the program"
SAME = "already at this value"
OUT_OF_SCOPE = "not in scope"
REPLACES_MINE = "replaces your rating"
NOT_BASE = "not a base rating"
TAKEN_OVER = "base rating changed by you"


#: Rating styles users know from their players: the values each one offers (Plex 0-10).
STYLES: dict[str, tuple[float, ...]] = {
    "like": (2.0,),
    "whole": (2.0, 4.0, 6.0, 8.0, 10.0),
    "half": tuple(float(v) for v in range(1, 11)),
}
STYLE_NAMES = {"like": "Like only", "whole": "Whole stars", "half": "Half stars"}


def check_value(value: float, style: str) -> float:
    """The Plex value if the style offers it; ValueError naming the choices otherwise."""
    v = normalize(value)
    allowed = STYLES.get(style)
    if allowed is None:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    if v is None or v not in allowed:
        choices = ", ".join(format_stars(a, glyphs=False) for a in allowed)
        raise ValueError(f"{STYLE_NAMES[style]} offers {choices}; not {format_stars(v)}")
    return v


def in_scope(
    tracks: Iterable[Item], *, newest: int | None = None, since: float | None = None
) -> tuple[list[Item], int]:
    """The tracks the options reach (newest N, added since), and how many they leave out."""
    all_tracks = [t for t in tracks if t.kind == "track"]
    chosen = all_tracks
    if since is not None:
        chosen = [t for t in chosen if t.added_at is not None and t.added_at >= since]
    if newest is not None:
        chosen = sorted(chosen, key=lambda t: (t.added_at or 0, t.key), reverse=True)[
            : max(0, newest)
        ]
    return chosen, len(all_tracks) - len(chosen)


def plan_base_rating(
    snapshot_tracks: Iterable[Item],
    provenance: Mapping[str, Written],
    *,
    value: float,
    override_program: bool = False,
    override_user: bool = False,
    newest: int | None = None,
    since: float | None = None,
    job: str = JOB,
) -> Plan:
    """Pure: which tracks get ``value`` and why the others do not.

    Unrated tracks always do. A rating the program set (provenance still
    standing) is replaced only with ``override_program``; any other rating
    is the user's and is replaced only with ``override_user``, counted as
    ``replaces your rating`` so the preview shows how many.
    """
    target = normalize(value)
    if target is None:
        raise ValueError("a base rating needs a value")
    plan = Plan(
        job,
        options={
            "value": target,
            "override_program": override_program,
            "override_user": override_user,
            "newest": newest,
            "since": since,
        },
    )
    chosen, left_out = in_scope(snapshot_tracks, newest=newest, since=since)
    if left_out:
        plan.count(OUT_OF_SCOPE, left_out)
    stars = format_stars(target)
    for t in chosen:
        current = t.user_rating
        owner = whose(current, provenance.get(str(t.key)))
        if current is None:
            reason = f"unrated → base {stars}"
        elif same(current, target):
            plan.count(ALREADY if owner == BASE else SAME)
            continue
        elif owner in GUESSES:
            if not override_program:
                plan.count(ALREADY if owner == BASE else PROGRAM)
                continue
            reason = f"the program's {owner} rating {format_stars(current)} → base {stars}"
        else:
            if not override_user:
                plan.count(MINE)
                continue
            plan.count(REPLACES_MINE)
            reason = f"YOUR rating {format_stars(current)} replaced by base {stars}"
        plan.add(Change(PLEX, str(t.key), "userRating", current, target, reason, t.label))
    return plan


def plan_reset(
    snapshot_tracks: Iterable[Item], provenance: Mapping[str, Written], *, job: str = JOB
) -> Plan:
    """Pure: clear every base rating that still stands; the user's ratings stay."""
    plan = Plan(RESET_JOB, options={"reset_of": job})
    for t in snapshot_tracks:
        if t.kind != "track":
            continue
        prov = provenance.get(str(t.key))
        if prov is None or prov.whose != BASE:
            if t.user_rating is not None:
                plan.count(NOT_BASE)
            continue
        if whose(t.user_rating, prov) != BASE:
            plan.count(TAKEN_OVER if t.user_rating is not None else UNRATED)
            continue
        plan.add(
            Change(
                PLEX,
                str(t.key),
                "userRating",
                t.user_rating,
                None,
                f"base rating {format_stars(t.user_rating)} removed",
                t.label,
            )
        )
    return plan
