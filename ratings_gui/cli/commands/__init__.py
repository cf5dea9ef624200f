"""One module per job's commands; each registers them with :func:`ratings_gui.cli.base.register`.

Every module of this package is a command module: adding a command is adding
a module, no list to edit (:func:`command_modules` finds them).
"""

from __future__ import annotations

import pkgutil


def command_modules() -> list[str]:
    """The names of this package's modules (each registers its commands when imported)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__))
