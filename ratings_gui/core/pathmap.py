"""Server paths -> local paths: the bridge between Plex's view of a file and ours.

Plex reports where IT sees a file (``/data/music/A/B/01.mp3`` in a Docker
container, ``D:\\Music\\...`` on a Windows server, ``\\\\nas\\music\\...``).
The program runs elsewhere, so the user gives prefix rules
``server=local``. Mapping is pure string work so it can be tested without
any of those machines; the check that looks at the disk is
:func:`ratings_gui.tags.files.test_mapping`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MappingTest",
    "Rule",
    "RuleError",
    "map_path",
    "parse_rule",
    "parse_rules",
    "sample_paths",
    "suggest_from_index",
    "suggest_rule",
]

_DRIVE = re.compile(r"^[A-Za-z]:")


class RuleError(ValueError):
    """A rule the user typed cannot be understood (message says why)."""


@dataclass(frozen=True)
class Rule:
    """One prefix rule: a path starting with ``server`` lives below ``local`` here."""

    server: str
    local: str

    def __str__(self) -> str:
        return f"{self.server}={self.local}"


def _is_windows(path: str) -> bool:
    """Drive letters and UNC paths are Windows-style: either slash, any case."""
    return bool(_DRIVE.match(path)) or path.startswith("\\\\") or path.startswith("//")


def _split(path: str) -> tuple[str, list[str], bool]:
    """(anchor, components, windows-style). The anchor is '/', 'C:', '//host/share' or ''."""
    if _is_windows(path):
        p = path.replace("\\", "/")
        if p.startswith("//"):
            parts = [x for x in p[2:].split("/") if x]
            anchor = "//" + "/".join(parts[:2])
            return anchor, parts[2:], True
        return p[:2].upper(), [x for x in p[2:].split("/") if x], True
    anchor = "/" if path.startswith("/") else ""
    return anchor, [x for x in path.split("/") if x], False


def _key(text: str, windows: bool) -> str:
    return text.casefold() if windows else text


def _join(prefix: str, rest: Sequence[str]) -> str:
    """Append components to a local prefix with that prefix's own separator."""
    if not rest:
        return prefix
    win = _is_windows(prefix)
    sep = "\\" if win and ("\\" in prefix or "/" not in prefix) else "/"
    base = prefix.rstrip("/\\")
    if not base:  # the file-system root itself
        return prefix[:1] + sep.join(rest)
    return base + sep + sep.join(rest)


def parse_rule(text: str) -> Rule:
    """``server=local`` (split at the first '=' that leaves two non-empty sides)."""
    line = text.strip()
    if "=" not in line:
        raise RuleError(f"{line!r}: write a rule as SERVER_PREFIX=LOCAL_PREFIX")
    server, local = (s.strip() for s in line.split("=", 1))
    if not server or not local:
        raise RuleError(f"{line!r}: both sides of '=' need a folder")
    return Rule(server, local)


def parse_rules(lines: Iterable[str]) -> list[Rule]:
    """One rule per non-empty line; lines starting with '#' are notes."""
    out: list[Rule] = []
    for line in lines:
        if line.strip() and not line.strip().startswith("#"):
            out.append(parse_rule(line))
    return out


def _match(server_path: str, rule: Rule) -> list[str] | None:
    """The components below ``rule.server`` when the path lies inside it, else None."""
    a_anchor, a_parts, a_win = _split(server_path)
    r_anchor, r_parts, r_win = _split(rule.server)
    if a_win != r_win:
        return None
    if _key(a_anchor, a_win) != _key(r_anchor, a_win) or len(r_parts) > len(a_parts):
        return None
    for x, y in zip(a_parts, r_parts, strict=False):
        if _key(x, a_win) != _key(y, a_win):
            return None
    return a_parts[len(r_parts) :]


def map_path(server_path: str, rules: Sequence[Rule]) -> str | None:
    """The local path for a server path by the most specific matching rule; None if none matches.

    Matching is by whole folder names (``/data/music`` does not cover
    ``/data/musicals``) and case-insensitive for Windows-style prefixes.
    """
    best: tuple[int, list[str], Rule] | None = None
    for rule in rules:
        rest = _match(server_path, rule)
        if rest is None:
            continue
        depth = len(_split(rule.server)[1])
        if best is None or depth > best[0]:
            best = (depth, rest, rule)
    if best is None:
        return None
    return _join(best[2].local, best[1])


# --- checking a mapping against the disk --------------------------------------------


def suggest_rule(server_path: str, local_path: str) -> Rule | None:
    """The rule that maps ``server_path`` to ``local_path``: strip their longest common tail."""
    s_anchor, s_parts, s_win = _split(server_path)
    l_anchor, l_parts, l_win = _split(local_path)
    n = 0
    while (
        n < min(len(s_parts), len(l_parts))
        and s_parts[-1 - n].casefold() == l_parts[-1 - n].casefold()
    ):
        n += 1
    if n == 0:
        return None

    def prefix(anchor: str, parts: list[str], win: bool) -> str:
        if win:
            sep = "/" if anchor.startswith("//") else "\\"
            head = anchor if not parts else anchor + sep + sep.join(parts)
            return head + ("\\" if len(head) == 2 else "")
        return anchor + "/".join(parts) if parts else (anchor or ".")

    return Rule(
        prefix(s_anchor, s_parts[: len(s_parts) - n], s_win),
        prefix(l_anchor, l_parts[: len(l_parts) - n], l_win),
    )


@dataclass
class MappingTest:
    """What a sample of mapped paths showed: how many exist, which do not, a better rule."""

    checked: int = 0
    found: int = 0
    unmapped: int = 0
    missing: list[tuple[str, str | None]] = field(default_factory=list)
    suggestion: Rule | None = None
    examples: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.found > 0

    def describe(self) -> str:
        text = f"{self.found:,} of {self.checked:,} sample files found"
        if self.unmapped:
            text += f", {self.unmapped:,} not covered by any rule"
        if self.suggestion is not None:
            text += f"; suggested rule: {self.suggestion}"
        return text


def sample_paths(paths: Sequence[str], n: int) -> list[str]:
    """An evenly spread, repeatable sample (first, last and between)."""
    if len(paths) <= n:
        return list(paths)
    step = (len(paths) - 1) / (n - 1) if n > 1 else 0
    return [paths[round(i * step)] for i in range(n)]


def suggest_from_index(
    missing: Sequence[tuple[str, str | None]], index: Mapping[str, Sequence[str]]
) -> Rule | None:
    """The rule most of the first missing files vote for, given where files of their names are.

    ``index`` maps a case-folded file name to local paths found by that
    name; the common tail of a server path and such a local path makes a rule.
    """
    votes: Counter[Rule] = Counter()
    for sp, _local in missing[:5]:
        parts = _split(sp)[1]
        name = parts[-1] if parts else ""
        for candidate in index.get(name.casefold(), [])[:5]:
            rule = suggest_rule(sp, candidate)
            if rule is not None:
                votes[rule] += 1
                break
    return votes.most_common(1)[0][0] if votes else None
