"""Path mapping: posix, drive letters, UNC, case rules, suggestions from real folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from ratings_gui.core.pathmap import (
    Rule,
    RuleError,
    map_path,
    parse_rule,
    parse_rules,
    suggest_rule,
)
from ratings_gui.tags.files import test_mapping


@pytest.mark.parametrize(
    ("server", "rules", "want"),
    [
        ("/data/music/A/B/01.mp3", ["/data/music=/home/u/Music"], "/home/u/Music/A/B/01.mp3"),
        ("/data/music/A/01.mp3", ["/data/music/=/home/u/Music/"], "/home/u/Music/A/01.mp3"),
        ("/data/musicals/01.mp3", ["/data/music=/m"], None),
        ("/Data/Music/01.mp3", ["/data/music=/m"], None),  # posix is case-sensitive
        ("D:\\Music\\A\\01.mp3", ["d:/music=/mnt/m"], "/mnt/m/A/01.mp3"),
        ("D:\\MUSIC\\A\\01.mp3", ["D:\\Music=M:\\Songs"], "M:\\Songs\\A\\01.mp3"),
        ("\\\\NAS\\Share\\Music\\a.flac", ["\\\\nas\\share=/srv/share"], "/srv/share/Music/a.flac"),
        ("//nas/share/a.flac", ["\\\\NAS\\share=Z:\\"], "Z:\\a.flac"),
        ("/data/music/a.mp3", ["/data/music/a.mp3=/x/b.mp3"], "/x/b.mp3"),
        ("/data/music/sub/a.mp3", ["/data=/d", "/data/music/sub=/s"], "/s/a.mp3"),
        ("/music/a.mp3", ["/=/mnt/root"], "/mnt/root/music/a.mp3"),
        ("D:\\a.mp3", ["/=/mnt"], None),  # styles never cross
    ],
)
def test_map_path(server: str, rules: list[str], want: str | None) -> None:
    assert map_path(server, parse_rules(rules)) == want


def test_parse_rules_and_errors() -> None:
    assert parse_rules(["# note", "", " /a = /b "]) == [Rule("/a", "/b")]
    assert parse_rule("C:\\x=/y") == Rule("C:\\x", "/y")
    for bad in ("/a", "=/b", "/a="):
        with pytest.raises(RuleError):
            parse_rule(bad)


def test_suggest_rule_strips_the_common_tail() -> None:
    assert suggest_rule("/data/music/A/B/01.mp3", "/home/u/Media/A/B/01.mp3") == Rule(
        "/data/music", "/home/u/Media"
    )
    assert suggest_rule("D:\\Music\\a\\01.mp3", "/mnt/M/A/01.mp3") == Rule("D:\\Music", "/mnt/M")
    assert suggest_rule("/x/a.mp3", "/y/b.mp3") is None


def test_test_mapping_counts_and_suggests(tmp_path: Path) -> None:
    real = tmp_path / "Media" / "Library"
    servers = []
    for i in range(30):
        f = real / f"Artist {i % 3}" / "Album" / f"{i:02d}.flac"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
        servers.append(f"/data/music/Artist {i % 3}/Album/{i:02d}.flac")
    good = test_mapping(servers, [Rule("/data/music", str(real))], sample=10)
    assert (good.checked, good.found, good.suggestion) == (10, 10, None) and good.ok
    # a wrong local folder: nothing found, but the search below its parent finds the files
    bad = test_mapping(servers, [Rule("/data/music", str(tmp_path / "Media" / "Music"))])
    assert bad.found == 0 and not bad.ok
    assert bad.suggestion == Rule("/data/music", str(real))
    assert "suggested rule" in bad.describe()
    none = test_mapping(servers, [Rule("/elsewhere", str(real))], sample=5)
    assert none.unmapped == 5 and none.missing[0][1] is None
