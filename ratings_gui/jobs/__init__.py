"""Jobs: read -> plan -> apply, each runnable from the window or the CLI.

Each job module declares itself (``core.provenance.declare``) when imported;
:func:`declare_all` imports every module of this package, so the registry is
complete before the journal is asked whose a value is. No list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil


def declare_all() -> None:
    """Import every job module (each declares its job once)."""
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
