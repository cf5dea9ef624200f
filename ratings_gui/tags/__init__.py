"""Rating tags inside audio files: the only package that touches them.

One module per tag family (``id3``, ``vorbis``, ``mp4``, ``asf``, ``ape``)
fills in :class:`~ratings_gui.tags.base.Family`; :mod:`.api` picks the
family by extension and does the safe, verified save.
"""

from __future__ import annotations

from .api import (
    FAMILIES,
    SUPPORTED_EXTENSIONS,
    family_for,
    read_many,
    read_rating,
    restore_fields,
    snapshot_fields,
    write_rating,
)
from .base import TagError, TagRating

__all__ = [
    "FAMILIES",
    "SUPPORTED_EXTENSIONS",
    "TagError",
    "TagRating",
    "family_for",
    "read_many",
    "read_rating",
    "restore_fields",
    "snapshot_fields",
    "write_rating",
]
