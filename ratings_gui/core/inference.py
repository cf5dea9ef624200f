"""Inference: album, artist and unrated-track ratings from the user's own track ratings.

Pure and fast (dicts and a few passes per level; 100,000 tracks, fit
included, in about a second), so the same code plans a run, backtests and
draws the reports. The evidence is the *manual* ratings only: a current
rating is the program's while it equals what the program last wrote (the
journal's provenance), and a program value never feeds back into the math.

Two methods (DESIGN.md, "Inference"):

- **fitted** (default): the user's track ratings are library centre +
  artist effect + album effect + track effect. The spread of each level
  is estimated from the user's own ratings (method of moments), the
  critic rating is calibrated on the albums the user rated, copies of a
  song (twins) and rated filler teach their own weights, and every value
  is a posterior mean with an uncertainty (:func:`fit_model`).
- **classic**: the original fixed formula, kept as a preset:
  critic prior ``c = clamp((R + B) / (10 + B) * 10, 0, 10)``,
  ``p = (mu*W_g + c*W_c) / (W_g + W_c)``; up ``r = (C*p + sum) / (C + n)``;
  down ``r = r_parent*(1-g) + mu*g``; twins share the mean of their manual ratings.

Manual ratings are never overwritten; up values are never overwritten by down.
"""

from __future__ import annotations

import gc
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any, NamedTuple

from ratings_gui.core.plan import PLEX, UPDATE, Change, Plan
from ratings_gui.core.records import Item
from ratings_gui.core.scale import same

JOB = "infer"

#: Pass names in the order they run; ``up``/``down`` are shorthands on the command line.
PASSES = ("album-up", "artist-up", "album-down", "track-down", "twins")
PASS_GROUPS = {
    "up": ("album-up", "artist-up"),
    "down": ("album-down", "track-down"),
    "all": PASSES,
}

# Plan outcomes.
MANUAL = "your own rating (kept)"
SAME = "already at the inferred value"
CLEARED = "inferred rating cleared by you (left alone)"
FILLER = "filler (not inferred)"
NO_EVIDENCE = "no evidence (not inferred)"
NOT_IN_PASSES = "inferred by a pass not chosen"
NOT_SURE = "not sure enough (not written)"

#: The engines: fitted to the user (default) and the original fixed formula.
METHODS = ("fitted", "classic")


def parse_passes(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"up,twins"`` -> the pass names in run order; ValueError on an unknown name."""
    if text is None or text == "":
        return PASSES
    words = text.split(",") if isinstance(text, str) else list(text)
    chosen: set[str] = set()
    for w in (w.strip().lower() for w in words):
        if not w:
            continue
        if w in PASS_GROUPS:
            chosen.update(PASS_GROUPS[w])
        elif w in PASSES:
            chosen.add(w)
        else:
            raise ValueError(
                f"unknown pass {w!r}; choose from {', '.join((*PASS_GROUPS, *PASSES))}"
            )
    return tuple(p for p in PASSES if p in chosen)


@dataclass(frozen=True)
class Params:
    """Every knob of the engine; the classic ones as the original engine documents them."""

    method: str = "fitted"  # "fitted" to the user's ratings, or the "classic" formula
    confidence: float = 3.0  # C: pseudo-ratings of the prior
    critic_weight: float = 3.0  # W_c
    critic_bias: float = 1.5  # B
    global_weight: float = 1.0  # W_g
    album_gravity: float = 0.8  # album <- artist, pull toward mu
    track_gravity: float = 0.3  # track <- album, pull toward mu
    filler_words: tuple[str, ...] = (
        "intro",
        "outro",
        "skit",
        "interview",
        "applause",
        "commentary",
    )
    min_duration: float = 80.0  # seconds; shorter tracks are filler
    twin_tolerance: float = 5.0  # seconds
    twin_exclude: tuple[str, ...] = (
        "live",
        "demo",
        "remix",
        "acoustic",
        "instrumental",
        "karaoke",
        "rehearsal",
    )
    rounding: float = 1.0  # Plex units: 1 = half stars (as Plex shows them), 0.1 = as Plex keeps
    keep_filler_unrated: bool = False  # fitted: leave intros, skits and short tracks unrated
    sure_within: float = 0.0  # stars: write only values this sure (± one spread); 0 = all

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_text(self, name: str, text: str) -> Params:
        """A copy with one parameter set from text (``--set NAME=VALUE``, tab entries)."""
        name = name.strip().replace("-", "_")
        kinds = {f.name: f for f in fields(self)}
        if name not in kinds:
            raise ValueError(f"unknown parameter {name!r}; known: {', '.join(kinds)}")
        current = getattr(self, name)
        text = str(text).strip()
        value: Any
        if isinstance(current, bool):
            if text.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(f"{name} is yes or no, not {text!r}")
            value = text.lower() in {"1", "true", "yes", "on"}
        elif isinstance(current, tuple):
            value = tuple(w.strip().lower() for w in text.split(",") if w.strip())
        elif isinstance(current, str):
            value = text.lower()
            if value not in METHODS:
                raise ValueError(f"{name} is one of {', '.join(METHODS)}, not {text!r}")
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{name} needs a number, not {text!r}") from None
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} needs a number of 0 or more, not {text!r}")
            if name.endswith("gravity") and value > 1:
                raise ValueError(f"{name} is between 0 and 1, not {text!r}")
            if name == "rounding" and not 0.1 <= value <= 2:
                raise ValueError("rounding is a step between 0.1 and 2 (Plex units)")
        return replace(self, **{name: value})

    def as_text(self) -> dict[str, str]:
        """Every parameter as the text :meth:`with_text` reads back (for settings and the tab)."""
        out: dict[str, str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool):
                out[f.name] = "yes" if v else "no"
            elif isinstance(v, tuple):
                out[f.name] = ", ".join(v)
            elif isinstance(v, str):
                out[f.name] = v
            else:
                out[f.name] = f"{v:g}"
        return out

    @classmethod
    def from_text(cls, values: Mapping[str, Any]) -> Params:
        """Parameters from saved text; unknown names and bad values keep the default."""
        p = cls()
        for k, v in values.items():
            try:
                p = p.with_text(k, str(v))
            except ValueError:
                continue
        return p


# --- small pure formulas (pinned by the unit tests) ------------------------------------------


def clamp(x: float, low: float = 0.0, high: float = 10.0) -> float:
    return low if x < low else high if x > high else x


def critic_prior(critic: float | None, mu: float, p: Params) -> float:
    """The prior of an album or artist: mu, blended with its critic rating when it has one."""
    if critic is None or p.critic_weight + p.global_weight <= 0:
        return mu
    c = clamp((critic + p.critic_bias) / (10.0 + p.critic_bias) * 10.0)
    return (mu * p.global_weight + c * p.critic_weight) / (p.global_weight + p.critic_weight)


def shrink(prior: float, total: float, n: int, confidence: float) -> float:
    """Bayesian mean with ``confidence`` pseudo-observations of ``prior``."""
    if confidence + n <= 0:
        return prior
    return (confidence * prior + total) / (confidence + n)


def gravity(parent: float, mu: float, g: float) -> float:
    """A child without evidence inherits its parent's value, pulled toward mu by g."""
    return parent * (1.0 - g) + mu * g


def round_step(value: float, step: float) -> float:
    """Round to the chosen step (Plex units), then to Plex's one decimal."""
    if step > 0.1 + 1e-9:
        value = math.floor(value / step + 0.5) * step
    return round((0.0 if value < 0 else 10.0 if value > 10 else value) + 1e-9, 1)


_PAREN = re.compile(r"[\(\[].*?[\)\]]")
_NONWORD = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 18)
def norm_title(title: str) -> str:
    """Title as twins compare it: no accents, case, punctuation or bracketed notes."""
    t = title
    if not t.isascii():
        t = unicodedata.normalize("NFKD", t)
        t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = _PAREN.sub(" ", t.lower())
    return _NONWORD.sub(" ", t).strip()


@lru_cache(maxsize=1 << 18)
def _words(title: str) -> frozenset[str]:
    return frozenset(_NONWORD.sub(" ", title.lower()).split())


def filler_keys(tracks: Iterable[Item], p: Params) -> set[int]:
    """Intros, skits, applause and very short tracks say nothing about an album: their keys."""
    short = p.min_duration * 1000
    words = _word_set(p.filler_words)
    return {
        t.key
        for t in tracks
        if (t.duration is not None and t.duration < short) or not _words(t.title).isdisjoint(words)
    }


def is_filler(track: Item, p: Params) -> bool:
    """One track through the same rule as :func:`filler_keys`."""
    return bool(filler_keys((track,), p))


@lru_cache(maxsize=64)
def _word_set(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(words)


# --- the engine -------------------------------------------------------------------------------

#: Smallest variance the fit settles on (Plex units squared): no level is ever certain.
FLOOR = 0.01
#: A rating given in half stars (1 Plex unit) is rounded: at least 1/12 of a unit squared of
#: noise, however close the user's ratings seem to agree.
ROUNDING_VAR = 1 / 12


class Inferred(NamedTuple):
    """One inferred value, unrounded, with the pass that produced it, why, and how sure.

    ``spread`` (Plex units) is one standard deviation of what the user's own
    rating would be: about two in three land within ± spread.
    """

    value: float
    source: str
    reason: str
    spread: float = 0.0


@dataclass(frozen=True)
class Fit:
    """What the fitted engine learned from the user's own ratings (Plex units; var = squared).

    A critic rating R counts as a measurement ``critic_shift + critic_scale*R``
    of the album's level for this user, give or take ``sqrt(var_critic)``.
    """

    center: float = 6.0
    var_artist: float = 1.0
    var_album: float = 0.5
    var_track: float = 1.5
    var_copy: float = 0.75
    var_song: float = 0.75
    var_song_mixed: float = 1.5
    critic_scale: float = 1.0
    critic_shift: float = 0.0
    var_critic: float = 4.0
    critic_albums: int = 0
    var_album_rating: float = 1.0
    var_artist_rating: float = 1.0
    filler_offset: float = -1.0
    var_filler: float = 2.5
    rated_filler: int = 0
    rated_twins: int = 0

    def as_json(self) -> dict[str, float]:
        return {f.name: round(float(getattr(self, f.name)), 4) for f in fields(self)}

    def describe(self) -> list[str]:
        """What the fit learned, in words a Plex user reads (stars, "give or take")."""

        def sd(var: float) -> str:
            return f"±{math.sqrt(var) / 2:.1f}★"

        out = [
            f"Your ratings centre on {self.center / 2:.1f}★.",
            f"Artists differ by about {sd(self.var_artist)}, albums of one artist by "
            f"{sd(self.var_album)}, tracks of one album by {sd(self.var_track)}.",
        ]
        if self.critic_albums >= 3:
            out.append(
                f"Critic ratings, checked on {self.critic_albums:,} of your albums, "
                f"hit your album level within {sd(self.var_critic)}."
            )
        else:
            out.append("Too few of your albums have critic ratings: critics count only a little.")
        if self.rated_twins:
            out.append(f"Copies of one song get ratings within {sd(self.var_copy)} from you.")
        if self.rated_filler:
            lower = -self.filler_offset / 2
            way = "lower" if lower >= 0 else "higher"
            out.append(
                f"Intros, skits and short tracks: {abs(lower):.1f}★ {way} than their album "
                f"({self.rated_filler:,} of them rated by you)."
            )
        return out


@dataclass
class Result:
    """What the engine concluded: values by key, the library mean, and what the fit learned."""

    mu: float
    params: Params
    values: dict[int, Inferred] = field(default_factory=dict)
    manual: dict[int, float] = field(default_factory=dict)
    filler: set[int] = field(default_factory=set)
    twins: list[list[int]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    fit: Fit = field(default_factory=Fit)


def split_evidence(
    items: Iterable[Item],
    program: Mapping[int, float | None],
    hidden: Collection[int] = (),
) -> tuple[dict[int, float], set[int]]:
    """Manual ratings by key, and the keys the user cleared after the program rated them.

    ``program`` is what the program last wrote per key. A rating equal to
    it is the program's (not evidence); any other rating is the user's.
    ``hidden`` keys count as unrated (the backtest's held-out ratings).
    """
    manual: dict[int, float] = {}
    cleared: set[int] = set()
    for it in items:
        wrote = program.get(it.key)
        if it.user_rating is None or it.key in hidden:
            if wrote is not None and it.key not in hidden:
                cleared.add(it.key)
        elif wrote is None or not same(wrote, it.user_rating):
            manual[it.key] = float(it.user_rating)
    return manual, cleared


def twin_groups(
    tracks: Iterable[Item], artists: Iterable[Item], filler: Collection[int], p: Params
) -> list[list[int]]:
    """Copies of one song (same artist and title, durations within the tolerance), by key.

    Filler and live, demo, remix... versions (other recordings) are left out.
    """
    artist_name = {ar.key: ar.title for ar in artists}
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    excluded = _word_set(p.twin_exclude)
    for t in tracks:
        if t.key in filler or t.duration is None or not _words(t.title).isdisjoint(excluded):
            continue
        who = t.original_title or artist_name.get(t.grandparent_key or -1) or t.grandparent_title
        groups[(norm_title(who), norm_title(t.title))].append(t)
    tol = p.twin_tolerance * 1000
    out: list[list[int]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda t: t.duration or 0)
        cluster = [members[0]]
        for t in [*members[1:], None]:
            if t is not None and (t.duration or 0) - (cluster[0].duration or 0) <= tol:
                cluster.append(t)
                continue
            if len(cluster) >= 2:
                out.append([c.key for c in cluster])
            if t is not None:
                cluster = [t]
    return out


@dataclass
class Prepared:
    """A snapshot prepared for both methods: levels, evidence, filler, twins."""

    artists: list[Item]
    albums: list[Item]
    tracks: list[Item]
    manual: dict[int, float]
    cleared: set[int]
    filler: set[int]
    #: album key -> [sum, count, sum of squares] of its manual, non-filler track ratings
    evidence: dict[int, list[float]]
    mu: float
    twins: list[list[int]]
    #: albums made of copies of songs on other albums (:func:`compilations`)
    mixed: set[int] = field(default_factory=set)
    #: track key -> album key, for the tracks in twin groups
    parent: dict[int, int | None] = field(default_factory=dict)


def compilations(
    twins: list[list[int]], parent: Mapping[int, int | None], sizes: Mapping[int | None, int]
) -> set[int]:
    """Albums made of copies: at least 80% of their songs are on other albums, and those
    are at least two albums (a "best of", a various-artists compilation). Their own level
    says little about any one song; the fit learns how little."""
    others: dict[int | None, set[int | None]] = defaultdict(set)
    copies: Counter[int | None] = Counter()
    for group in twins:
        albums = [parent.get(k) for k in group]
        if len(set(albums)) > 1:
            for a in albums:
                others[a].update(albums)
                copies[a] += 1
    return {
        a
        for a, o in others.items()
        if a is not None and len(o) >= 3 and copies[a] >= 0.8 * sizes.get(a, 0)
    }


def prepare(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None,
    p: Params,
    hidden: Collection[int] = (),
) -> Prepared:
    """Split a snapshot into levels and the user's evidence (pure; one pass per step)."""
    artists: list[Item] = []
    albums: list[Item] = []
    tracks: list[Item] = []
    for it in items:
        if it.kind == "track":
            tracks.append(it)
        elif it.kind == "album":
            albums.append(it)
        elif it.kind == "artist":
            artists.append(it)
    manual, cleared = split_evidence([*artists, *albums, *tracks], program or {}, hidden)
    filler = filler_keys(tracks, p)
    evidence: dict[int, list[float]] = {}
    total = 0.0
    n = 0
    for t in tracks:
        v = manual.get(t.key)
        if v is None or t.key in filler:
            continue
        total += v
        n += 1
        if t.parent_key is None:
            continue
        e = evidence.get(t.parent_key)
        if e is None:
            evidence[t.parent_key] = [v, 1.0, v * v]
        else:
            e[0] += v
            e[1] += 1
            e[2] += v * v
    mu = total / n if n else 6.0
    twins = twin_groups(tracks, artists, filler, p)
    in_twins = {k for group in twins for k in group}
    parent = {t.key: t.parent_key for t in tracks if t.key in in_twins}
    sizes: Counter[int | None] = Counter(t.parent_key for t in tracks if t.key not in filler)
    return Prepared(
        artists,
        albums,
        tracks,
        manual,
        cleared,
        filler,
        evidence,
        mu,
        twins,
        compilations(twins, parent, sizes),
        parent,
    )


def _count(n: int, many: str, one: str) -> str:
    """``3 of your track ratings`` / ``your track rating``: words a user reads in the preview."""
    return f"{n:,} {many}" if n != 1 else one


def _blend(estimate: float | None, k: int, prior: float, k0: float) -> float:
    """An estimate from ``k`` cases, pulled toward a weak prior worth ``k0`` cases."""
    if estimate is None or k <= 0:
        return prior
    return (estimate * k + prior * k0) / (k + k0)


def _rating_noise(pairs: list[tuple[float, float, float]], prior: float) -> float:
    """How far a direct album/artist rating sits from the level its tracks show.

    ``pairs`` = (the user's rating, the level from the tracks, that level's
    own sampling variance); the latter is taken out of the squared gap.
    """
    if not pairs:
        return prior
    gap = sum((r - x) ** 2 for r, x, _ in pairs) / len(pairs)
    noise = sum(v for _, _, v in pairs) / len(pairs)
    return max(ROUNDING_VAR, _blend(gap - noise, len(pairs), prior, 5.0))


def fit_model(s: Prepared) -> Fit:
    """Estimate the spread of each level from the user's own ratings (method of moments).

    Within an album, tracks vary by ``var_track``; albums of one artist by
    ``var_album``; artists by ``var_artist``. Each estimate subtracts the
    part the level below explains (fewer ratings = noisier means). Critic
    ratings, direct album/artist ratings and copies of a song are
    calibrated against the same evidence; thin evidence falls back to weak
    priors instead of guessing wildly.
    """
    manual = s.manual
    vt = _track_variance(s.evidence)
    by_artist = _album_means_by_artist(s)
    vb = _album_variance(by_artist, vt)
    art = _artist_means(by_artist, vb, vt)
    va, center = _artist_variance(art, s.mu)
    k, scale, shift, vc = _critic_calibration(s, vt)
    # direct album and artist ratings next to what their tracks say
    album_pairs = [
        (manual[a.key], e[0] / e[1], vt / e[1])
        for a in s.albums
        if a.key in manual and (e := s.evidence.get(a.key)) is not None
    ]
    art_mean = {key: v for key, v in zip(by_artist, art, strict=True)}
    artist_pairs = [
        (manual[ar.key], *art_mean[ar.key])
        for ar in s.artists
        if ar.key in manual and ar.key in art_mean
    ]
    copy, groups = _copy_variance(s, vt)
    return Fit(
        center=center,
        var_artist=va,
        var_album=vb,
        var_track=vt,
        var_copy=copy,
        critic_scale=scale,
        critic_shift=shift,
        var_critic=vc,
        critic_albums=k,
        var_album_rating=_rating_noise(album_pairs, 1.0),
        var_artist_rating=_rating_noise(artist_pairs, 1.0),
        rated_twins=groups,
    )


def _track_variance(ev: Mapping[int, list[float]]) -> float:
    """How much tracks of one album vary: the pooled spread within albums."""
    ss = 0.0
    dof = 0
    for total, n, sq in ev.values():
        if n >= 2:
            ss += sq - total * total / n
            dof += int(n) - 1
    return max(FLOOR, ss / dof) if dof >= 5 else 1.5


def _album_means_by_artist(s: Prepared) -> dict[int, list[tuple[float, float]]]:
    """Artist key -> (mean, count) of the user's track ratings on each of its albums."""
    by_artist: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for a in s.albums:
        e = s.evidence.get(a.key)
        if e is not None and a.parent_key is not None:
            by_artist[a.parent_key].append((e[0] / e[1], e[1]))
    return by_artist


def _album_variance(by_artist: Mapping[int, list[tuple[float, float]]], vt: float) -> float:
    """How much albums of one artist vary, less the noise of their few track ratings."""
    ss_b = 0.0
    dof_b = 0
    noise_b = 0.0
    for albums in by_artist.values():
        m = len(albums)
        if m < 2:
            continue
        mean = sum(x for x, _ in albums) / m
        ss_b += sum((x - mean) ** 2 for x, _ in albums)
        dof_b += m - 1
        noise_b += vt * sum(1 / n for _, n in albums) * (m - 1) / m
    means = [x for albums in by_artist.values() for x, _ in albums]
    if dof_b >= 5:
        return max(FLOOR, (ss_b - noise_b) / dof_b)
    if len(means) >= 2:
        grand = sum(means) / len(means)
        spread = sum((x - grand) ** 2 for x in means) / (len(means) - 1)
        return max(FLOOR, 0.5 * spread)
    return 0.5


def _artist_means(
    by_artist: Mapping[int, list[tuple[float, float]]], vb: float, vt: float
) -> list[tuple[float, float]]:
    """Per artist (in ``by_artist`` order): the mean of its album means, that mean's variance."""
    art: list[tuple[float, float]] = []
    for albums in by_artist.values():
        m = len(albums)
        own = sum(vb + vt / n for _, n in albums) / (m * m)
        art.append((sum(x for x, _ in albums) / m, own))
    return art


def _artist_variance(art: list[tuple[float, float]], mu: float) -> tuple[float, float]:
    """How much artists vary, and the library's centre (artists weighted by how sure)."""
    if len(art) >= 5:
        grand = sum(x for x, _ in art) / len(art)
        ss_a = sum((x - grand) ** 2 for x, _ in art)
        k = len(art)
        va = max(FLOOR, (ss_a - (k - 1) / k * sum(v for _, v in art)) / (k - 1))
    else:
        va = 1.0
    if not art:
        return va, mu
    weights = [1 / (va + v) for _, v in art]
    return va, sum(w * x for w, (x, _) in zip(weights, art, strict=True)) / sum(weights)


def _critic_calibration(s: Prepared, vt: float) -> tuple[int, float, float, float]:
    """How well critic ratings track the albums this user rated: (albums, scale, shift, var).

    Errors in variables: the album means' own noise is taken out before the
    slope is read; few albums lean on the prior (a critic point is a point).
    """
    pts = [
        (a.critic_rating, e[0] / e[1], vt / e[1])
        for a in s.albums
        if a.critic_rating is not None and (e := s.evidence.get(a.key)) is not None and e[1] >= 2
    ]
    k = len(pts)
    if k < 3:
        return k, 1.0, 0.0, 4.0
    mr = sum(r for r, _, _ in pts) / k
    mx = sum(x for _, x, _ in pts) / k
    cov = sum((r - mr) * (x - mx) for r, x, _ in pts) / (k - 1)
    var_r = sum((r - mr) ** 2 for r, _, _ in pts) / (k - 1)
    var_x = sum((x - mx) ** 2 for _, x, _ in pts) / (k - 1)
    var_theta = max(FLOOR, var_x - sum(v for _, _, v in pts) / k)
    slope = clamp(cov / var_theta, 0.1, 5.0)  # critic points per point of yours
    var_e = max(FLOOR, var_r - slope * slope * var_theta)
    w = k / (k + 10.0)
    scale = w / slope + (1 - w) * 1.0
    shift = w * (mx - mr / slope) + (1 - w) * (mx - mr)
    return k, scale, shift, max(FLOOR, w * var_e / (slope * slope) + (1 - w) * 4.0)


def _copy_variance(s: Prepared, vt: float) -> tuple[float, int]:
    """How far apart the user rates copies of one song, and how many songs tell."""
    ss_c = 0.0
    dof_c = 0
    groups = 0
    for group in s.twins:
        vals = [s.manual[k] for k in group if k in s.manual]
        if len(vals) >= 2:
            mean = sum(vals) / len(vals)
            ss_c += sum((v - mean) ** 2 for v in vals)
            dof_c += len(vals) - 1
            groups += 1
    copy = _blend(ss_c / dof_c if dof_c else None, dof_c, vt / 2, 5.0)
    return min(vt, max(ROUNDING_VAR, copy)), groups


def _fit_filler(s: Prepared, fit: Fit, album: Mapping[int, tuple[float, float]]) -> Fit:
    """How much lower (or higher) this user rates filler than its album: a weak prior of -1."""
    res: list[tuple[float, float]] = []
    for t in s.tracks:
        if t.key in s.filler and t.key in s.manual:
            post = album.get(t.parent_key)  # type: ignore[arg-type]
            if post is not None:
                res.append((s.manual[t.key] - post[0], post[1]))
    k = len(res)
    if not k:
        return fit
    mean = sum(r for r, _ in res) / k
    offset = _blend(mean, k, -1.0, 5.0)
    var = sum((r - offset) ** 2 for r, _ in res) / k - sum(v for _, v in res) / k
    return replace(
        fit,
        filler_offset=offset,
        var_filler=max(FLOOR, _blend(var, k, fit.var_track + 1.0, 5.0)),
        rated_filler=k,
    )


def _fit_songs(s: Prepared, fit: Fit, album: Mapping[int, tuple[float, float]]) -> Fit:
    """How far a song that has copies sits from the level of an album it is on.

    Learned from the user's rated copies (their squared gap to the album's
    level without them, less the copy-to-copy noise and the level's own
    uncertainty), separately for compilations, whose level mixes albums.
    """
    gaps: dict[bool, list[float]] = {False: [], True: []}
    vt = fit.var_track
    for group in s.twins:
        for k in group:
            y = s.manual.get(k)
            a = s.parent.get(k)
            post = album.get(a)  # type: ignore[arg-type]
            if y is None or post is None:
                continue
            # the album's level without this very rating (it is part of the album's evidence)
            prec = 1 / post[1] - 1 / vt
            if prec <= 0:
                continue
            mean = (post[0] / post[1] - y / vt) / prec
            gaps[a in s.mixed].append((y - mean) ** 2 - 1 / prec - fit.var_copy)

    def learned(g: list[float], prior: float) -> float:
        est = sum(g) / len(g) if g else None
        return max(FLOOR, _blend(est, len(g), prior, 10.0))

    return replace(
        fit,
        var_song=learned(gaps[False], max(FLOOR, vt - fit.var_copy)),
        var_song_mixed=learned(gaps[True], fit.var_album + vt),
    )


def _fitted(s: Prepared, fit: Fit, p: Params) -> tuple[dict[int, Inferred], Fit]:
    """Posterior means (and spreads) of every artist, album and track the user did not rate.

    An album combines three independent readings of its level: its own
    rated tracks (and the user's album rating), its artist's *other*
    albums, and its calibrated critic rating, each weighted by how much
    it varies for this user. A track inherits its album's level; a copy
    of a song the user rated leans on that rating; filler gets the
    user's filler offset.
    """
    blocked = s.manual.keys() | s.cleared
    values: dict[int, Inferred] = {}
    own = _album_readings(s, fit)
    artists = _artist_levels(s, fit, own)
    values.update(_artist_values(s, fit, artists, blocked))
    album = _album_levels(s, fit, own, artists, blocked, values)
    fit = _fit_songs(s, _fit_filler(s, fit, album), album)
    copies = _song_readings(s, fit, album, blocked)
    values.update(_track_values(s, fit, p, album, copies, blocked))
    return values, fit


def _album_readings(s: Prepared, fit: Fit) -> dict[int, tuple[float, float]]:
    """Each album's own reading of its level (mean, variance): its rated tracks, the user's
    album rating and its calibrated critic rating (a critic alone counts for the artist, not
    as evidence)."""
    vt = fit.var_track
    own: dict[int, tuple[float, float]] = {}
    for a in s.albums:
        e = s.evidence.get(a.key)
        r = s.manual.get(a.key)
        critic = a.critic_rating
        prec = num = 0.0
        if e is not None:
            prec, num = e[1] / vt, e[0] / vt
        if r is not None:
            prec += 1 / fit.var_album_rating
            num += r / fit.var_album_rating
        if critic is not None:
            prec += 1 / fit.var_critic
            num += (fit.critic_shift + fit.critic_scale * critic) / fit.var_critic
        if prec:
            own[a.key] = (num / prec, 1 / prec)
    return own


@dataclass
class _Artists:
    """Every artist's readings from its albums and the user's artist rating, summed."""

    prec: dict[int, float]
    num: dict[int, float]
    #: albums with the user's evidence, per artist
    albums: Counter[int]
    #: artists with the user's own evidence (a rated album or track, or their own rating)
    evident: set[int]


def _artist_levels(s: Prepared, fit: Fit, own: Mapping[int, tuple[float, float]]) -> _Artists:
    """Every album's reading (plus the spread of albums) and the user's artist rating."""
    prec: dict[int, float] = defaultdict(float)
    num: dict[int, float] = defaultdict(float)
    albums: Counter[int] = Counter()
    for a in s.albums:
        m = own.get(a.key)
        if m is None or a.parent_key is None:
            continue
        w = 1 / (fit.var_album + m[1])
        prec[a.parent_key] += w
        num[a.parent_key] += m[0] * w
        if a.key in s.evidence or a.key in s.manual:
            albums[a.parent_key] += 1
    rated: set[int] = set()
    for ar in s.artists:
        r = s.manual.get(ar.key)
        if r is not None:
            rated.add(ar.key)
            prec[ar.key] += 1 / fit.var_artist_rating
            num[ar.key] += r / fit.var_artist_rating
    return _Artists(prec, num, albums, rated | albums.keys())


def _artist_values(
    s: Prepared, fit: Fit, art: _Artists, blocked: Collection[int]
) -> dict[int, Inferred]:
    """The artists with the user's evidence: the library's centre, their albums on top."""
    pa = 1 / fit.var_artist
    na = fit.center * pa
    values: dict[int, Inferred] = {}
    for ar in s.artists:
        if ar.key not in art.evident or ar.key in blocked:
            continue
        prec = art.prec[ar.key]
        values[ar.key] = Inferred(
            (na + art.num[ar.key]) / (pa + prec),
            "artist-up",
            f"from your ratings on {_count(art.albums[ar.key], 'of its albums', 'its album')}",
            math.sqrt(1 / (pa + prec) + fit.var_artist_rating),
        )
    return values


def _album_levels(
    s: Prepared,
    fit: Fit,
    own: Mapping[int, tuple[float, float]],
    art: _Artists,
    blocked: Collection[int],
    values: dict[int, Inferred],
) -> dict[int, tuple[float, float]]:
    """Each album's level (mean, variance): the artist's *other* albums as the prior, the
    album's own reading on top. The values of the albums the user did not rate go to
    ``values``."""
    vb = fit.var_album
    pa = 1 / fit.var_artist
    na = fit.center * pa
    album: dict[int, tuple[float, float]] = {}
    for a in s.albums:
        i = a.parent_key
        if a.key not in s.evidence and a.key not in s.manual and i not in art.evident:
            continue  # no evidence of the user's here or above
        m = own.get(a.key)
        prec_i = art.prec.get(i, 0.0) if i is not None else 0.0
        num_i = art.num.get(i, 0.0) if i is not None else 0.0
        if m is not None and i is not None:
            w = 1 / (vb + m[1])
            prec_i = max(0.0, prec_i - w)
            num_i -= m[0] * w
        prec = 1 / (1 / (pa + prec_i) + vb)
        num = (na + num_i) / (pa + prec_i) * prec
        if m is not None:
            prec += 1 / m[1]
            num += m[0] / m[1]
        album[a.key] = (num / prec, 1 / prec)
        if a.key not in blocked:
            values[a.key] = _album_value(a, s.evidence.get(a.key), num / prec, prec, fit)
    return album


def _album_value(a: Item, e: list[float] | None, mean: float, prec: float, fit: Fit) -> Inferred:
    """An album's inferred value, with the reason a user reads in the preview."""
    with_critic = " and the critics" if a.critic_rating is not None else ""
    if e is not None:
        n = int(e[1])
        source = "album-up"
        why = f"from {_count(n, 'of your track ratings', 'your track rating')}{with_critic}"
    else:
        source, why = "album-down", f"from the artist's other albums{with_critic}"
    return Inferred(mean, source, why, math.sqrt(1 / prec + fit.var_album_rating))


def _song_spread(s: Prepared, fit: Fit, album_key: int | None) -> float:
    """How far a song sits from the level of the album it is on (compilations: further)."""
    return fit.var_song_mixed if album_key in s.mixed else fit.var_song


def _song_readings(
    s: Prepared, fit: Fit, album: Mapping[int, tuple[float, float]], blocked: Collection[int]
) -> dict[int, tuple[float, float, int]]:
    """A song's readings from its rated copies, for each unrated copy: (precision, weighted
    sum, ratings). Each rating counts, and the level of the album it is on (without that
    rating); the unrated copy adds its own album's level later."""
    vc, vt = fit.var_copy, fit.var_track
    copies: dict[int, tuple[float, float, int]] = {}
    for group in s.twins:
        prec = num = 0.0
        n = 0
        for k in group:
            y = s.manual.get(k)
            if y is None:
                continue
            n += 1
            prec += 1 / vc
            num += y / vc
            a = s.parent.get(k)
            post = album.get(a)  # type: ignore[arg-type]
            if post is not None:
                ap = 1 / post[1] - 1 / vt
                if ap > 0:
                    w = 1 / (1 / ap + _song_spread(s, fit, a))
                    prec += w
                    num += (post[0] / post[1] - y / vt) / ap * w
        if n:
            for k in group:
                if k not in blocked:
                    copies[k] = (prec, num, n)
    return copies


def _track_values(
    s: Prepared,
    fit: Fit,
    p: Params,
    album: Mapping[int, tuple[float, float]],
    copies: Mapping[int, tuple[float, float, int]],
    blocked: Collection[int],
) -> dict[int, Inferred]:
    """Every track the user did not rate: filler, copies of a rated song, the rest."""
    values: dict[int, Inferred] = {}
    spread: dict[int, float] = {}
    #: no album level: the library's centre, as far off as an artist's album can be
    library = (fit.center, fit.var_artist + fit.var_album)
    for t in s.tracks:
        key = t.key
        if key in blocked:
            continue
        post = album.get(t.parent_key)  # type: ignore[arg-type]
        if key in s.filler:
            if not p.keep_filler_unrated:
                values[key] = _filler_value(fit, post or library, post is None)
            continue
        song = copies.get(key)
        if song is not None:
            pm, pv = post or library
            w = 1 / (pv + _song_spread(s, fit, t.parent_key))
            prec = song[0] + w
            values[key] = Inferred(
                (song[1] + pm * w) / prec,
                "twins",
                f"copy of a song you rated ({song[2]}x)",
                math.sqrt(1 / prec + fit.var_copy),
            )
        elif post is not None:
            sd = spread.get(t.parent_key)  # type: ignore[arg-type]
            if sd is None:
                sd = spread[t.parent_key] = math.sqrt(post[1] + fit.var_track)  # type: ignore[index]
            values[key] = Inferred(post[0], "track-down", "from the album", sd)
    return values


def _filler_value(fit: Fit, level: tuple[float, float], library: bool) -> Inferred:
    """Filler: its album's level (or, without one, the library's) plus the user's offset."""
    why = "filler, rated like your own filler"
    return Inferred(
        level[0] + fit.filler_offset,
        "track-down",
        f"{why} (no ratings of yours on its album or artist)" if library else why,
        math.sqrt(level[1] + fit.var_filler),
    )


def _classic(s: Prepared, p: Params) -> dict[int, Inferred]:
    """The original fixed formula (module docstring), pass by pass."""
    manual, cleared, mu = s.manual, s.cleared, s.mu
    values: dict[int, Inferred] = {}

    def settable(key: int) -> bool:
        return key not in manual and key not in cleared

    def up(
        level: list[Item], sums: Mapping[int, list[float]], source: str, what: str
    ) -> dict[int, float]:
        """One up pass: the user's own rating stands, else the critic-prior shrunk mean."""
        vals: dict[int, float] = {}
        for it in level:
            if it.key in manual:
                vals[it.key] = manual[it.key]
                continue
            e = sums.get(it.key)
            if not e:
                continue
            r = shrink(critic_prior(it.critic_rating, mu, p), e[0], int(e[1]), p.confidence)
            vals[it.key] = r
            if settable(it.key):
                values[it.key] = Inferred(r, source, f"{int(e[1])} {what}")
        return vals

    sums = s.evidence
    album_val = up(s.albums, sums, "album-up", "of your track ratings")

    artist_val = up(s.artists, _classic_artist_sums(s), "artist-up", "of your album(s)")

    # album down: only albums the up pass left without a value (never overwrite it)
    for a in s.albums:
        if a.key in album_val or a.parent_key not in artist_val:
            continue
        r = gravity(artist_val[a.parent_key], mu, p.album_gravity)
        album_val[a.key] = r
        if settable(a.key):
            values[a.key] = Inferred(r, "album-down", "from the artist")

    # track down (the hot loop: inlined gravity)
    g, keep = p.track_gravity, 1.0 - p.track_gravity
    blocked = manual.keys() | cleared | s.filler
    for t in s.tracks:
        key = t.key
        if key in blocked:
            continue
        parent = album_val.get(t.parent_key)  # type: ignore[arg-type]
        if parent is not None:
            values[key] = Inferred(parent * keep + mu * g, "track-down", "from the album")

    # twins: the same song elsewhere that the user rated shares the mean of those ratings
    for group in s.twins:
        anchors = [manual[k] for k in group if k in manual]
        if anchors:
            mean = sum(anchors) / len(anchors)
            for k in group:
                if settable(k):
                    values[k] = Inferred(mean, "twins", f"twin of {len(anchors)} of your rating(s)")
    return values


def _classic_artist_sums(s: Prepared) -> dict[int, list[float]]:
    """Artist up's evidence: one piece per album (its manual rating or its manual track mean)."""
    art_sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for a in s.albums:
        if a.parent_key is None:
            continue
        if a.key in s.manual:
            ev = s.manual[a.key]
        elif a.key in s.evidence:
            ev = s.evidence[a.key][0] / s.evidence[a.key][1]
        else:
            continue
        art_sums[a.parent_key][0] += ev
        art_sums[a.parent_key][1] += 1
    return art_sums


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The passes allocate many small acyclic records; collector passes over a
    big snapshot would cost more than the math itself."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def infer(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None = None,
    params: Params | None = None,
) -> Result:
    """Fit and run every pass over a snapshot's artists, albums and tracks (pure).

    Values are computed for every item that is not the user's own; the
    caller picks which passes become changes (:func:`plan_inference`).
    """
    p = params or Params()
    with _gc_paused():
        return _infer(prepare(items, program, p), p)


def _infer(s: Prepared, p: Params) -> Result:
    fit = fit_model(s)
    values, fit = _fitted(s, fit, p)
    if p.method == "classic":
        # the classic formula's values, with the fit's spread for each (how sure the data are)
        values = {
            k: v._replace(spread=values[k].spread) if k in values else v
            for k, v in _classic(s, p).items()
        }
    res = Result(s.mu, p, values, s.manual, s.filler, s.twins, fit=fit)
    res.counts["manual"] = len(s.manual)
    res.counts["filler"] = len(s.filler)
    return res


# --- plan ---------------------------------------------------------------------------------------


def plan_inference(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None = None,
    params: Params | None = None,
    passes: Iterable[str] = PASSES,
    *,
    job: str = JOB,
) -> tuple[Plan, Result]:
    """Pure: the changes the chosen passes make, plus the engine's full result.

    A change is planned only where the rounded inferred value differs from
    what Plex holds, so a second run right after the first writes nothing.
    """
    with _gc_paused():
        return _plan(list(items), program, params or Params(), set(passes), job)


def _plan(
    items: list[Item],
    program: Mapping[int, float | None] | None,
    p: Params,
    chosen: set[str],
    job: str,
) -> tuple[Plan, Result]:
    s = prepare(items, program, p)
    res = _infer(s, p)
    plan = Plan(
        job,
        options={
            "passes": [x for x in PASSES if x in chosen],
            "params": res.params.as_text(),
            "mu": round(res.mu, 3),
            "fit": res.fit.as_json(),
        },
    )
    step = res.params.rounding
    limit = p.sure_within * 2  # stars -> Plex units
    counts: Counter[str] = Counter()  # counted here, added once: 100,000 items
    manual, cleared, filler, values = res.manual, s.cleared, res.filler, res.values
    changes = plan.changes
    for it in items:
        kind = it.kind
        if kind not in ("artist", "album", "track"):
            continue
        key = it.key
        if key in manual:
            counts[MANUAL] += 1
            continue
        if key in cleared:
            counts[CLEARED] += 1
            continue
        inf = values.get(key)
        if inf is None:
            counts[FILLER if key in filler else NO_EVIDENCE] += 1
            continue
        if inf.source not in chosen:
            counts[NOT_IN_PASSES] += 1
            continue
        if limit > 0 and inf.spread > limit:
            counts[NOT_SURE] += 1
            continue
        new = round_step(inf.value, step)
        cur = it.user_rating
        if cur is not None and round(cur + 1e-9, 1) == new:
            counts[SAME] += 1
            continue
        # how sure comes first: the preview's reason column is narrow; the value is in its
        # own column already
        sure = f"±{inf.spread / 2:.1f}★ · " if inf.spread else ""
        reason = f"{sure}{inf.reason}"
        changes.append(Change(PLEX, str(key), "userRating", cur, new, reason, it.label))
        counts[kind + "s inferred"] += 1
    counts[UPDATE] = len(changes)
    plan.counts.update(+counts)
    return plan, res


# --- reports ------------------------------------------------------------------------------------


def final_values(
    items: Iterable[Item], res: Result, passes: Iterable[str] = PASSES
) -> dict[int, float | None]:
    """Every item's rating after the chosen passes (what Plex would hold), rounded."""
    chosen = set(passes)
    out: dict[int, float | None] = {}
    for it in items:
        inf = res.values.get(it.key)
        if inf is not None and inf.source in chosen and it.key not in res.manual:
            out[it.key] = round_step(inf.value, res.params.rounding)
        else:
            out[it.key] = it.user_rating
    return out


def coverage(
    items: Iterable[Item], res: Result, passes: Iterable[str] = PASSES
) -> dict[str, dict[str, int]]:
    """Per level: own, inferred and unrated counts after the chosen passes."""
    chosen = set(passes)
    out: dict[str, dict[str, int]] = {
        k: {"own": 0, "inferred": 0, "unrated": 0, "other": 0} for k in ("artist", "album", "track")
    }
    for it in items:
        row = out.get(it.kind)
        if row is None:
            continue
        inf = res.values.get(it.key)
        if it.key in res.manual:
            row["own"] += 1
        elif inf is not None and inf.source in chosen:
            row["inferred"] += 1
        elif it.user_rating is None:
            row["unrated"] += 1
        else:
            row["other"] += 1  # a program value (base rating) no pass replaces
    return out


def histogram(values: Iterable[float | None], bins: int = 10) -> list[int]:
    """Counts per half star (0.5..5 stars = Plex 1..10); 0 and unrated are left out."""
    out = [0] * bins
    for v in values:
        if v is None or v <= 0:
            continue
        i = min(bins - 1, max(0, math.ceil(v - 1e-9) - 1))
        out[i] += 1
    return out


def dissenters(
    items: Iterable[Item], res: Result, threshold: float = 3.0
) -> list[tuple[Item, float, float]]:
    """Tracks the user rated far from their album's inferred or own value: (track, rating, album)."""
    items = list(items)
    album_value: dict[int, float] = {}
    for it in items:
        if it.kind != "album":
            continue
        if it.key in res.manual:
            album_value[it.key] = res.manual[it.key]
        elif it.key in res.values:
            album_value[it.key] = res.values[it.key].value
    out = []
    for t in items:
        if t.kind == "track" and t.key in res.manual and t.parent_key in album_value:
            a = album_value[t.parent_key]
            if abs(res.manual[t.key] - a) >= threshold:
                out.append((t, res.manual[t.key], round(a, 2)))
    out.sort(key=lambda r: -abs(r[1] - r[2]))
    return out


# --- backtest -----------------------------------------------------------------------------------

#: What the backtest compares, in the order shown; the first two are the engines.
BACKTEST_METHODS = ("fitted", "classic", "album mean", "library mean")
#: How the window and the sentence name them.
METHOD_LABELS = {
    "fitted": "engine fitted to you",
    "classic": "classic formula",
    "album mean": "album average",
    "library mean": "library average",
}


def star_words(plex_units: float) -> str:
    """An error in Plex units as a Plex user reads it: "0.48 stars (about half a star)"."""
    stars = plex_units / 2
    text = f"{stars:.2f} stars"
    for value, words in ((0.25, "a quarter of a star"), (0.5, "half a star"), (1.0, "a star")):
        if abs(stars - value) <= 0.04:
            return f"{text} (about {words})"
    return text


@dataclass
class Backtest:
    """k-fold errors (Plex units) of both engines and two plain averages on the user's ratings.

    ``calibration`` is the chosen engine's (mean predicted, mean actual,
    count) per half star of prediction; ``within`` the share of hidden
    ratings inside the engine's stated ± spread.
    """

    hidden: int
    predicted: int
    scores: dict[str, tuple[float, float]]
    calibration: list[tuple[float, float, int]]
    within: float
    params: Params
    folds: int = 5

    @property
    def engine(self) -> str:
        return self.params.method

    @property
    def mae(self) -> float:
        return self.scores[self.engine][0]

    @property
    def rmse(self) -> float:
        return self.scores[self.engine][1]

    @property
    def baselines(self) -> dict[str, tuple[float, float]]:
        """Every method but the chosen engine."""
        return {k: v for k, v in self.scores.items() if k != self.engine}

    def as_json(self) -> dict[str, Any]:
        def pair(v: tuple[float, float]) -> dict[str, float]:
            return {"mae": round(v[0], 4), "rmse": round(v[1], 4)}

        return {
            "folds": self.folds,
            "hidden": self.hidden,
            "predicted": self.predicted,
            "method": self.engine,
            "engine": pair(self.scores[self.engine]),
            "methods": {k: pair(v) for k, v in self.scores.items()},
            "baselines": {k: pair(v) for k, v in self.baselines.items()},
            "calibration": [
                {"predicted": round(a, 3), "actual": round(b, 3), "count": n}
                for a, b, n in self.calibration
            ],
            "within_spread": round(self.within, 4),
            "sentence": self.sentence(),
            "params": self.params.as_text(),
        }

    def sentence(self) -> str:
        """How well the inference knows this user's taste, in one plain sentence."""
        if not self.hidden:
            return "Too few of your own track ratings to test the inference yet."
        others = [k for k in ("album mean", "classic") if k != self.engine]
        if self.engine == "classic":
            others = ["album mean", "fitted"]
        rest = " and ".join(
            f"{'a plain album average' if k == 'album mean' else 'the ' + METHOD_LABELS[k]}"
            f" is off by {self.scores[k][0] / 2:.2f} stars"
            for k in others
        )
        return (
            f"Guessing {self.hidden:,} of your own track ratings back, the inference is off by "
            f"{star_words(self.mae)} on average; {rest}."
        )

    def lines(self) -> list[str]:
        out = [
            f"backtest: {self.hidden:,} of your track ratings hidden {self.folds} times a fifth, "
            f"{self.predicted:,} inferred back (errors in Plex units; 1 = half a star)"
        ]
        for k, (a, b) in self.scores.items():
            mark = "  <- yours" if k == self.engine else ""
            out.append(f"  {METHOD_LABELS[k]:21} MAE {a:.3f}  RMSE {b:.3f}{mark}")
        out.append(f"  {self.within:.0%} of your ratings fell within the stated ± spread")
        return out


def backtest(
    items: Iterable[Item],
    program: Mapping[int, float | None] | None = None,
    params: Params | None = None,
    *,
    folds: int = 5,
    seed: int = 1,
) -> Backtest:
    """k-fold: hide each fifth of the user's track ratings in turn and infer them back.

    Both engines (with the user's parameters), the album's average of its
    other rated tracks and the library average answer for the same
    tracks; a method without an answer falls back to the library average.
    Filler is left out (the averages know nothing of it).
    """
    p = params or Params()
    items = list(items)
    with _gc_paused():
        full = prepare(items, program, p)
        candidates = sorted(
            t.key for t in full.tracks if t.key in full.manual and t.key not in full.filler
        )
        random.Random(seed).shuffle(candidates)
        folds = max(2, folds)
        parents = {t.key: t.parent_key for t in full.tracks}
        errs: dict[str, list[float]] = {m: [] for m in BACKTEST_METHODS}
        pairs: list[tuple[float, float, float]] = []  # (engine guess, truth, spread)
        predicted = 0
        engines = {m: replace(p, method=m) for m in METHODS}
        for fold in range(folds):
            hidden = set(candidates[fold::folds])
            if not hidden:
                continue
            s = prepare(items, program, p, hidden)
            results = {m: _infer(s, q) for m, q in engines.items()}
            for key in sorted(hidden):
                truth = full.manual[key]
                for m, res in results.items():
                    inf = res.values.get(key)
                    guess = round_step(inf.value, p.rounding) if inf is not None else s.mu
                    errs[m].append(guess - truth)
                    if m == p.method:
                        predicted += inf is not None
                        pairs.append((guess, truth, inf.spread if inf is not None else 0.0))
                e = s.evidence.get(parents[key])  # type: ignore[arg-type]
                errs["album mean"].append((e[0] / e[1] if e else s.mu) - truth)
                errs["library mean"].append(s.mu - truth)

    within = sum(1 for g, t, sd in pairs if abs(g - t) <= sd) / len(pairs) if pairs else 0.0
    return Backtest(
        len(pairs),
        predicted,
        {m: _errors(errs[m]) for m in BACKTEST_METHODS},
        _calibration(pairs),
        within,
        p,
        folds,
    )


def _errors(e: list[float]) -> tuple[float, float]:
    """(MAE, RMSE) of a method's errors."""
    if not e:
        return (0.0, 0.0)
    return (sum(abs(x) for x in e) / len(e), math.sqrt(sum(x * x for x in e) / len(e)))


def _calibration(pairs: list[tuple[float, float, float]]) -> list[tuple[float, float, int]]:
    """Per half star of the engine's guesses: (mean guess, mean truth, count)."""
    bins: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for guess, truth, _ in pairs:
        b = bins[int(clamp(math.floor(guess + 0.5), 0, 10))]
        b[0] += guess
        b[1] += truth
        b[2] += 1
    return [(b[0] / b[2], b[1] / b[2], int(b[2])) for _, b in sorted(bins.items())]


#: Every parameter in plain words: what it does and its range (the default comes from
#: :class:`Params`). The window's tooltips and ``infer --set`` show the same text.
PARAM_HELP: dict[str, str] = {
    "method": "How values are guessed: 'fitted' learns from your own ratings how much each "
    "level (artist, album, track) and the critics tell; 'classic' is the original fixed "
    "formula, tuned by the parameters marked 'Classic formula'.",
    "confidence": "Classic formula: how many of your ratings an album needs before its own "
    "ratings count more than the guess from above. 0 or more.",
    "critic_weight": "Classic formula: how much the critic score counts against your "
    "library average. 0 or more (0 = ignore critics).",
    "critic_bias": "Classic formula: added to critic scores before they are used "
    "(critics tend to rate lower or higher than you). 0 or more.",
    "global_weight": "Classic formula: how much your library average counts against the "
    "critic score. 0 or more.",
    "album_gravity": "Classic formula: how far an unrated album's guess is pulled from its "
    "artist toward your library average. 0 to 1.",
    "track_gravity": "Classic formula: how far an unrated track's guess is pulled from its "
    "album toward your library average. 0 to 1.",
    "filler_words": "Titles with these words (intro, skit, interview…) are filler: they "
    "never count when albums and artists are rated. Words separated by commas.",
    "min_duration": "Tracks shorter than this many seconds are filler too. 0 or more.",
    "twin_tolerance": "Two tracks of the same artist and title whose lengths differ by at "
    "most this many seconds are the same song on another album. 0 or more.",
    "twin_exclude": "Titles with these words (live, remix, demo…) are never the same song "
    "as another. Words separated by commas.",
    "rounding": "The step guesses are written in, in Plex units: 1 = half stars, as Plex "
    "shows ratings; 0.1 as Plex keeps them (finer, but each value is a request of its own); "
    "2 = whole stars. 0.1 to 2.",
    "keep_filler_unrated": "Leave intros, skits and short tracks unrated instead of giving "
    "them a guess. yes or no.",
    "sure_within": "Write only guesses that are sure to within this many stars (plus or "
    "minus); 0 writes every guess. 0 or more.",
}


def param_help(name: str) -> str:
    """One parameter's plain help with its default, for tooltips and ``--set``."""
    default = Params().as_text().get(name, "")
    return f"{PARAM_HELP.get(name, name)} Default: {default or 'none'}."
