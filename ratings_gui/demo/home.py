"""The demo server's Plex Home: the owner plus three members, each with ratings of their own.

Plex keeps ratings and plays per account, and decides whose by the token of
the request. The demo does the same: the owner's values stay on the items
(as they always were), each member's are generated here from the library's
seed (the same seed always gives the same ratings) and kept in
``DemoLibrary.member_states``. The members cover the three cases a client
meets: a member protected by a PIN, a managed (restricted) member without
one, and a plain member.

Tokens (all derived from the server's owner token, so a test can predict them):

* the owner: ``token`` for plex.tv and for the server, as before;
* a member's plex.tv account token (what a switch returns):
  ``f"{token}-{slug}-account"``;
* a member's server ``accessToken`` (from that account's resources):
  ``f"{token}-{slug}"``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ratings_gui.demo.library import DemoItem, DemoLibrary, UserState

#: The owner's plex.tv account id (the id of ``/api/v2/user`` with the owner's token).
OWNER_ID = 1
OWNER_USERNAME = "demo"
OWNER_TITLE = "Demo User"

#: The PIN of the protected member (shown in the README and the demo's printout).
DEMO_PIN = "1234"
#: The error code plex.tv gives when a switch lacks the right PIN (HTTP 403).
PIN_ERROR_CODE = 1041
PIN_ERROR_MESSAGE = "A valid PIN is required to switch to this user"


@dataclass(frozen=True, slots=True)
class HomeMember:
    """A member of the demo's Plex Home besides the owner, and how their taste is generated."""

    id: int
    title: str
    username: str  # "" for a managed member (no plex.tv login of their own)
    restricted: bool  # a managed user
    pin: str | None  # None: switching needs no PIN
    #: Share of the leaves (tracks, movies, episodes) they rated; containers a tenth of it.
    rated_share: float
    #: How far their ratings sit from the owner's on items both rated (in Plex units).
    bias: int
    #: Share of the leaves they played.
    play_share: float

    @property
    def protected(self) -> bool:
        return self.pin is not None

    @property
    def slug(self) -> str:
        return self.title.lower()


ALEX = HomeMember(
    201, "Alex", "alex", restricted=False, pin=DEMO_PIN, rated_share=0.3, bias=-2, play_share=0.4
)
SAM = HomeMember(
    202, "Sam", "", restricted=True, pin=None, rated_share=0.15, bias=2, play_share=0.5
)
JO = HomeMember(
    203, "Jo", "jo", restricted=False, pin=None, rated_share=0.2, bias=1, play_share=0.3
)
#: The members besides the owner, in the order plex.tv lists them (after the owner).
MEMBERS: tuple[HomeMember, ...] = (ALEX, SAM, JO)


@dataclass(frozen=True, slots=True)
class HomeUser:
    """One account of the demo's Plex Home as a test or the demo printout sees it.

    ``account_token`` is the plex.tv token (what a switch returns),
    ``server_token`` the token the server knows this user by (the
    ``accessToken`` of their resources); for the owner both are the owner token.
    """

    id: int
    uuid: str
    title: str
    username: str
    admin: bool
    restricted: bool
    protected: bool
    pin: str | None
    account_token: str
    server_token: str
    member: HomeMember | None  # None for the owner


def home_users(seed: int, owner_token: str) -> list[HomeUser]:
    """The owner first, then :data:`MEMBERS`: the order plex.tv lists them in."""
    users = [
        HomeUser(
            OWNER_ID,
            member_uuid(seed, None),
            OWNER_TITLE,
            OWNER_USERNAME,
            admin=True,
            restricted=False,
            protected=False,
            pin=None,
            account_token=owner_token,
            server_token=owner_token,
            member=None,
        )
    ]
    users += [
        HomeUser(
            m.id,
            member_uuid(seed, m),
            m.title,
            m.username,
            admin=False,
            restricted=m.restricted,
            protected=m.protected,
            pin=m.pin,
            account_token=account_token(owner_token, m),
            server_token=server_token(owner_token, m),
            member=m,
        )
        for m in MEMBERS
    ]
    return users


def home_summary() -> str:
    """The Home in plain words for the demo's printout: 'Demo User (owner), Alex (PIN 1234), …'."""
    parts = [f"{OWNER_TITLE} (owner)"]
    for m in MEMBERS:
        notes = [f"PIN {m.pin}"] if m.pin else []
        notes += ["managed"] if m.restricted else []
        parts.append(f"{m.title} ({', '.join(notes)})" if notes else m.title)
    return ", ".join(parts)


def member_uuid(seed: int, member: HomeMember | None) -> str:
    """The plex.tv uuid (16 hex digits) of a member, or of the owner for None."""
    name = f"demo-user/{seed}" if member is None else f"demo-user/{seed}/{member.slug}"
    return uuid.uuid5(uuid.NAMESPACE_URL, name).hex[:16]


def account_token(owner_token: str, member: HomeMember) -> str:
    """The member's plex.tv token: what ``switchHomeUser`` returns (not a server token)."""
    return f"{owner_token}-{member.slug}-account"


def server_token(owner_token: str, member: HomeMember) -> str:
    """The member's own ``accessToken`` for the demo server (from their resources)."""
    return f"{owner_token}-{member.slug}"


def find_user(users: list[HomeUser], name: str | int) -> HomeUser:
    """A Home user by title, username, id or uuid (case-insensitive); KeyError if none."""
    text = str(name).strip().lower()
    for user in users:
        if text in (user.title.lower(), str(user.id), user.uuid) or (
            user.username and text == user.username.lower()
        ):
            return user
    raise KeyError(f"no such Plex Home user: {name}")


def owner_ratings(lib: DemoLibrary) -> dict[int, float]:
    """The owner's ratings now: what members' ratings are generated against."""
    with lib.lock:
        return {k: it.user_rating for k, it in lib.items.items() if it.user_rating is not None}


def member_factory(lib: DemoLibrary) -> Callable[[int], dict[int, UserState]]:
    """``DemoLibrary.member_factory`` for the demo's Home, against the owner's ratings of now.

    Members are generated when first needed, but always against the owner's
    ratings as they were when the server was made, so whatever a test rated
    first, the same seed gives the same member ratings.
    """
    owner = owner_ratings(lib)
    by_id = {m.id: m for m in MEMBERS}

    def make(user: int) -> dict[int, UserState]:
        member = by_id.get(user)
        return generate_member_states(lib, member, owner) if member is not None else {}

    return make


def generate_member_states(
    lib: DemoLibrary, member: HomeMember, owner: dict[int, float]
) -> dict[int, UserState]:
    """The member's own ratings and plays, from the library's seed alone.

    Items the owner rated too (in ``owner``) get a value that differs from
    the owner's (shifted by the member's bias, never equal), so a rating
    read with the wrong token shows.
    """
    rng = random.Random(lib.seed * 1_000_033 + member.id * 7_919)
    states: dict[int, UserState] = {}
    with lib.lock:
        for key in sorted(lib.items):
            state = _one(lib.items[key], owner.get(key), member, rng)
            if state is not None:
                states[key] = state
    return states


def _one(
    item: DemoItem, owner: float | None, member: HomeMember, rng: random.Random
) -> UserState | None:
    """One item's values for the member, or None (most items: neither rated nor played)."""
    rand = rng.random
    leaf = item.is_leaf
    share = member.rated_share if leaf else member.rated_share / 10
    if owner is not None:
        share = min(1.0, share * 2)  # families rate the same favourites: plenty of overlap
    rated = rand() < share
    played = leaf and rand() < member.play_share
    if not rated and not played:
        return None
    when = 86_400 + int(rand() * 299 * 86_400)
    state = UserState()
    if rated:
        noise = rng.gauss(0, 1.2)
        if owner is not None:
            value = _clip(round(owner + member.bias + noise))
            if value == round(owner):
                value = value - 1 if value > 1 and member.bias < 0 else min(value + 1, 10)
                if value == owner:
                    value = int(owner) - 1
        else:
            value = _clip(round(6 + member.bias + 1.5 * noise))
        state.user_rating = float(value)
        state.last_rated_at = item.added_at + when
    if played:
        state.view_count = 1 + int(rand() * 24)
        state.last_viewed_at = item.added_at + when // 2
    return state


def _clip(value: float) -> int:
    return int(min(10, max(1, value)))
