"""``home-users``: the members of the signed-in account's Plex Home, for ``--user NAME``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ratings_gui.cli.base import EXIT_OK, Command, Output, register, summary
from ratings_gui.plex.home import home_users

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _args(p: argparse.ArgumentParser) -> None:
    pass


def _run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    users = home_users(app.account_token)
    for u in users:
        marks = [
            m
            for m, on in (("owner", u.admin), ("PIN", u.protected), ("managed", u.restricted))
            if on
        ]
        out.say(f"{u.name}\t{u.id}\t{', '.join(marks)}")
    out.result(
        summary("home-users", counts={"users": len(users)}, users=[u.as_json() for u in users])
    )
    return EXIT_OK


register(
    Command(
        "home-users",
        "list the members of your Plex Home (each command takes --user NAME to work as one)",
        _args,
        _run,
    )
)
