"""``libraries``: the server's libraries with their type and size."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ratings_gui.cli.base import EXIT_OK, Command, Output, register, summary
from ratings_gui.plex.snapshot import list_libraries

if TYPE_CHECKING:
    from ratings_gui.context import AppContext


def _libraries_args(p: argparse.ArgumentParser) -> None:
    pass


def _libraries_run(app: AppContext, args: argparse.Namespace, out: Output) -> int:
    libs = list_libraries(app.connection)
    for lib in libs:
        out.say(f"{lib.name}\t{lib.type_label}\t{lib.count_label}")
    out.result(
        summary(
            "libraries",
            counts={"libraries": len(libs)},
            libraries=[{"name": x.name, "type": x.type, "count": x.count} for x in libs],
        )
    )
    return EXIT_OK


register(
    Command(
        "libraries",
        "list the server's libraries with their type and size",
        _libraries_args,
        _libraries_run,
    )
)
