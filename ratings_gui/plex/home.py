"""Plex Home members: list them, switch to one (with a PIN when protected), connect as them.

Plex keeps ratings per person and decides whose by the token of the request.
A member's token comes from plex.tv: switching to the member (``POST
/api/home/users/{id}/switch``, plexapi's ``switchHomeUser``) returns their
plex.tv token, and that token's resources list this server with the
member's own ``accessToken``. Every read and write made with that token is
the member's; only the server owner may edit metadata (grouped edits, mood
tags answer 403 for a member).

On a friend's shared server there is no Home to switch in: Plex answers with
the owner's ratings for a friend's token, so switching is refused there.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from plexapi import exceptions as plex_exc
from plexapi.myplex import MyPlexAccount

from ratings_gui.logsetup import add_secret, redact
from ratings_gui.plex.connection import Connection, PlexError, connect_direct, make_session

log = logging.getLogger(__name__)

#: The environment variable the command line reads a member's PIN from.
PIN_ENV = "PLEX_PIN"


class HomeUserError(PlexError):
    """A member that cannot be used (unknown name, wrong or missing PIN, no access): exit 2."""

    plain_message = True


@dataclass(frozen=True)
class HomeUser:
    """One member of the signed-in account's Plex Home, as plex.tv lists them."""

    id: int
    uuid: str
    title: str
    username: str = ""
    admin: bool = False
    restricted: bool = False
    protected: bool = False

    @property
    def name(self) -> str:
        return self.title or self.username or str(self.id)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "uuid": self.uuid,
            "admin": self.admin,
            "protected": self.protected,
            "restricted": self.restricted,
        }


def _flag(value: str | None) -> bool:
    return str(value or "").strip().lower() in ("1", "true")


def _account(token: str, timeout: float) -> MyPlexAccount:
    add_secret(token)
    try:
        return MyPlexAccount(token=token, session=make_session(2), timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        raise HomeUserError(
            "plex.tv did not accept this sign-in for Plex Home members "
            f"({redact(str(exc))[:120]}). Sign in with Plex (not a server token) to switch users."
        ) from None


def home_users(account_token: str, *, timeout: float = 15) -> list[HomeUser]:
    """The Home's members, the admin (owner) first; one plex.tv request."""
    account = _account(account_token, timeout)
    try:
        root = account.query(MyPlexAccount.HOMEUSERS)
    except Exception as exc:  # noqa: BLE001
        raise HomeUserError(
            f"plex.tv did not list the Plex Home: {redact(str(exc))[:160]}"
        ) from None
    users = [
        HomeUser(
            id=int(el.attrib.get("id") or 0),
            uuid=el.attrib.get("uuid", ""),
            title=el.attrib.get("title", ""),
            username=el.attrib.get("username", ""),
            admin=_flag(el.attrib.get("admin")),
            restricted=_flag(el.attrib.get("restricted")),
            protected=_flag(el.attrib.get("protected")),
        )
        for el in root
        if el.tag == "User"
    ]
    users.sort(key=lambda u: (not u.admin, u.name.casefold()))
    return users


def names(users: list[HomeUser]) -> str:
    """``Demo User (owner), Alex (PIN), Sam, Jo``: the members, for a message."""
    out = []
    for u in users:
        extra = " (owner)" if u.admin else (" (PIN)" if u.protected else "")
        out.append(u.name + extra)
    return ", ".join(out)


def find_user(users: list[HomeUser], wanted: str) -> HomeUser:
    """The member named ``wanted`` (title, username, id or uuid; any case)."""
    key = wanted.strip().casefold()
    for u in users:
        if key in (u.title.casefold(), u.username.casefold(), str(u.id), u.uuid.casefold()):
            return u
    raise HomeUserError(
        f"There is no Plex Home member called {wanted!r}. The members are: {names(users)}."
    )


def _switch(account: MyPlexAccount, user: HomeUser, pin: str | None) -> str:
    """The member's plex.tv token; a plain HomeUserError for a missing or wrong PIN."""
    url = f"{MyPlexAccount.HOMEUSERS}/{user.id}/switch"
    params = {"pin": pin} if pin else {}
    try:
        data = account.query(url, account._session.post, params=params)  # noqa: SLF001
    except (plex_exc.BadRequest, plex_exc.Unauthorized) as exc:
        if "(403)" in str(exc) or "(401)" in str(exc):
            if pin:
                raise HomeUserError(
                    f"The PIN for {user.name} is not right; nothing was written."
                ) from None
            raise HomeUserError(
                f"{user.name} is protected by a PIN: give it (--pin PIN or {PIN_ENV} on the "
                "command line); nothing was written."
            ) from None
        raise HomeUserError(f"plex.tv refused to switch to {user.name}.") from None
    token = data.attrib.get("authenticationToken") or data.attrib.get("authToken") or ""
    if not token:
        raise HomeUserError(f"plex.tv gave no sign-in for {user.name}.")
    add_secret(token)
    return token


def connect_as(
    conn: Connection,
    account_token: str,
    user: HomeUser,
    pin: str | None = None,
    *,
    timeout: float = 15,
) -> Connection:
    """The same server, reached with ``user``'s own token (the owner: ``conn`` itself).

    Refused on a friend's shared server (no Home to switch in there) and for a
    member who has no access to this server.
    """
    account = _account(account_token, timeout)
    mine = [r for r in account.resources() if r.clientIdentifier == conn.machine_id]
    if mine and not mine[0].owned:
        raise HomeUserError(
            f"{conn.name} is shared with you by a friend: Plex keeps ratings per Plex Home "
            "member only on servers of your own Home, so switching users is not offered here."
        )
    if user.admin:
        return dataclasses.replace(conn, user="", user_title=user.name)
    member = MyPlexAccount(token=_switch(account, user, pin), session=make_session(2))
    found = [r for r in member.resources() if r.clientIdentifier == conn.machine_id]
    if not found or not found[0].accessToken:
        raise HomeUserError(f"{user.name} has no access to {conn.name}.")
    access = found[0].accessToken
    add_secret(access)
    other = connect_direct(conn.url, access, timeout=conn.timeout / 3 or timeout, name=conn.name)
    other.kind = conn.kind
    other.user = user.uuid
    other.user_title = user.name
    log.info("connected to %s as %s", conn.name, user.name)
    return other
