"""A local Plex-compatible server with a generated sample library (standard library only).

Used by ``python -m ratings_gui --demo`` and by every test of the project, so
the real plexapi client can be exercised over real HTTP without a Plex
account. See :mod:`ratings_gui.demo.server` for how to point plexapi at it.
"""

from __future__ import annotations

from ratings_gui.demo.home import DEMO_PIN, MEMBERS, HomeMember, HomeUser
from ratings_gui.demo.library import DemoItem, DemoLibrary, DemoSection
from ratings_gui.demo.server import DemoServer, Faults

__all__ = [
    "DEMO_PIN",
    "MEMBERS",
    "DemoItem",
    "DemoLibrary",
    "DemoSection",
    "DemoServer",
    "Faults",
    "HomeMember",
    "HomeUser",
]
