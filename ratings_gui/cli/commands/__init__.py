"""One module per job's commands; each registers them with :func:`ratings_gui.cli.base.register`."""

from __future__ import annotations

#: Imported in this order, which is the order ``--help`` lists the commands in.
COMMAND_MODULES = (
    "libraries",
    "home_users",
    "history",
    "undo",
    "import_job",
    "base_rating",
    "tags",
    "infer",
    "ratings_csv",
    "transfer",
)
