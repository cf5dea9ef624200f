"""Byte-exact edits of a tag block made of items: only the rating items change.

Each container keeps its tags as a run of items (ASF descriptors, MP4 ``ilst``
atoms, APEv2 items, ID3 frames). mutagen renders every item again on save, in
its own order and types, so a rating written through it changes bytes the user
never asked to touch. A container module here cuts its block into
:class:`Item` s; :func:`splice` copies every other item as it was and rebuilds
only the rating items that changed, where they stood. :func:`capture` records
the rating items as stored (with their places), so :func:`put_back` gives undo
the very same bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BodyFn", "Item", "capture", "put_back", "splice"]

#: key -> function(the item as stored, or None for a new one) -> the new item's bytes.
BodyFn = Callable[[bytes | None], bytes]


@dataclass(frozen=True)
class Item:
    """One item as stored; ``key`` is the snapshot field it holds ('' = not a rating)."""

    raw: bytes
    key: str = ""


def splice(
    items: Sequence[Item],
    wanted: Mapping[str, BodyFn],
    before: Mapping[str, str],
    after: Mapping[str, str],
) -> list[bytes]:
    """The items with only the rating items changed to ``wanted``.

    A rating item whose field did not change is copied as it was; a changed
    one is rebuilt in its place; a new one goes after the last item; one no
    longer wanted is dropped.
    """
    out: list[bytes] = []
    done: set[str] = set()
    for it in items:
        if not it.key:
            out.append(it.raw)
        elif it.key in wanted and it.key not in done:
            done.add(it.key)
            same = before.get(it.key) == after.get(it.key)
            out.append(it.raw if same else wanted[it.key](it.raw))
    for key, make in wanted.items():
        if key not in done:
            out.append(make(None))
    return out


def capture(items: Sequence[Item], **extra: Any) -> str:
    """The rating items as stored and their places, plus ``extra`` (sizes), as JSON."""
    saved = [[i, base64.b64encode(it.raw).decode("ascii")] for i, it in enumerate(items) if it.key]
    return json.dumps({"items": saved, **extra}, separators=(",", ":"))


def put_back(items: Sequence[Item], layout: str) -> tuple[list[bytes], dict[str, Any]] | None:
    """The items with the rating items exactly as ``layout`` recorded them, and its extras."""
    try:
        saved = json.loads(layout)
        raw = sorted((int(i), base64.b64decode(b, validate=True)) for i, b in saved.pop("items"))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    out = [it.raw for it in items if not it.key]
    for index, body in raw:
        if index > len(out):
            return None
        out.insert(index, body)
    return out, saved
