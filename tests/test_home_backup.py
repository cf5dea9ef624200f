"""Plex Home: backup and restore per member, every member at once, and copy between members.

Real HTTP to the demo server (a Plex Home: the owner, Alex with PIN 1234,
managed Sam, Jo; ratings per token) through the command line, plex.tv
reached through ``RATINGS_GUI_PLEXTV``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from test_home_users import USERS, everyone, only_changed

from ratings_gui.core import backup as bk
from ratings_gui.core import restoreplan as rp
from ratings_gui.demo.server import DemoServer
from ratings_gui.demo.transfer import transferred_copy
from ratings_gui.jobs import transfer as jt

LIBRARIES = ("Music", "Movies", "TV Shows")
OFFSET = 100_000


@pytest.fixture(autouse=True)
def _plextv(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATINGS_GUI_PLEXTV", demo.url)
    monkeypatch.delenv("PLEX_PIN", raising=False)


@pytest.fixture
def second(demo: Any) -> Iterator[DemoServer]:
    """Another server of the same Home: the same media under new keys, nobody's ratings."""
    lib = transferred_copy(demo.lib, key_offset=OFFSET)
    lib.member_factory = lambda user: {}  # the members have rated nothing here yet
    srv = DemoServer(lib, token="second-token")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _cli(command: str, srv: Any, home: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """A command on ``srv`` over every library (no --library)."""
    return run_cli(command, srv, home, *extra, library="")


def _clear_everyone(demo: Any, home: Path) -> None:
    """clear-ratings of every library, as each member (the journal keeps whose)."""
    for user in USERS:
        who = ("--user", user) if user else ()
        for lib in LIBRARIES:
            code, out = run_cli("clear-ratings", demo, home, *who, "--yes", library=lib)
            assert code == 0, out
    assert all(not r for r in everyone(demo).values())


def test_backup_of_one_member_says_whose_and_keeps_their_own_guesses(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    code, base = run_cli("base-rating", demo, home, "--stars", "3", "--user", "Jo", "--yes")
    assert code == 0 and base["changes"] > 0
    path = tmp_path / "jo.json"
    code, out = _cli("backup", demo, home, str(path), "--user", "Jo")
    assert code == 0, out
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == bk.ONE_USER_VERSION and doc["user"]["name"] == "Jo"
    assert doc["user"]["uuid"] == demo.home_user("Jo").uuid
    entries = {e.key: e for e in jt.read_backup_file(path).entries}
    assert {k: e.rating for k, e in entries.items()} == demo.ratings_of("Jo")
    # Jo's base ratings are the program's for Jo, not Jo's own; the rest are Jo's
    assert sum(1 for e in entries.values() if e.owner == bk.BASE) == base["changes"]
    # the owner's backup holds the owner's ratings, none of them a guess
    code, out = _cli("backup", demo, home, str(tmp_path / "owner.json"))
    owner = jt.read_backup_file(tmp_path / "owner.json")
    assert owner.user is None and {e.key: e.rating for e in owner.entries} == demo.ratings_of(None)
    assert all(e.owner == bk.USER for e in owner.entries)


def test_all_users_backup_clear_restore_brings_everyone_back(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    before = everyone(demo)
    assert all(before.values()) and before["Alex"] != before[None]
    path = tmp_path / "home.json.gz"
    code, out = _cli("backup", demo, home, str(path), "--all-users")
    assert code == 0, out
    assert [u["name"] for u in out["users"]] == ["Demo User", "Alex", "Jo", "Sam"]
    assert out["skipped_users"] == []
    doc = json.loads(gzip.decompress(path.read_bytes()))
    assert doc["version"] == bk.HOME_VERSION and "libraries" not in doc
    backup = jt.read_backup_file(path)
    for section in backup.members:
        assert section.user is not None
        who = None if section.user.admin else section.user.name
        assert section.user.uuid == demo.home_user(section.user.name).uuid
        assert {e.key: e.rating for e in section.entries} == before[who]

    _clear_everyone(demo, home)
    code, out = _cli("restore", demo, home, str(path), "--all-users", "--yes")
    assert code == 0, out
    assert everyone(demo) == before
    runs = {u["name"]: u for u in out["users"]}
    assert set(runs) == {"Demo User", "Alex", "Jo", "Sam"}
    assert all(runs[u or "Demo User"]["changes"] == len(before[u]) for u in USERS)

    # each member's restore is its own run: undo Sam's, and only Sam's ratings go
    code, undo = run_cli("undo", demo, home, str(runs["Sam"]["run_id"]), "--yes")
    assert code == 0, undo
    assert only_changed(before, everyone(demo), "Sam") == {k: None for k in before["Sam"]}


def test_all_users_restore_on_another_server_of_the_home(
    demo: Any, second: DemoServer, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = everyone(demo)
    path = tmp_path / "home.json"
    code, out = _cli("backup", demo, home, str(path), "--all-users")
    assert code == 0, out
    monkeypatch.setenv("RATINGS_GUI_PLEXTV", second.url)
    assert not any(everyone(second).values())
    code, out = _cli("restore", second, home, str(path), "--all-users", "--dry-run")
    assert code == 0 and not any(everyone(second).values())
    assert sum(u["planned"] for u in out["users"]) == sum(len(v) for v in before.values())
    code, out = _cli("restore", second, home, str(path), "--all-users", "--yes")
    assert code == 0, out
    moved = {u: {k - OFFSET: v for k, v in r.items()} for u, r in everyone(second).items()}
    assert moved == before
    assert everyone(demo) == before  # the first server is untouched


def test_a_member_whose_switch_needs_a_pin_is_skipped_whole_and_named(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "home.json"
    code, out = _cli("backup", demo, home, str(path), "--all-users")
    assert code == 0
    before = everyone(demo)
    _clear_everyone(demo, home)
    demo.admin_needs_pin = True  # plex.tv asks the owner for Alex's PIN too
    code, out = _cli("restore", demo, home, str(path), "--all-users", "--yes")
    assert code == 0, out
    alex = next(u for u in out["users"] if u["name"] == "Alex")
    assert "Alex is protected by a PIN" in alex["skipped"] and "run_id" not in alex
    after = everyone(demo)
    assert after["Alex"] == {} and all(after[u] == before[u] for u in USERS if u != "Alex")
    # a backup skips Alex too, and says so in the file
    code, out = _cli("backup", demo, home, str(tmp_path / "again.json"), "--all-users")
    assert code == 0 and [s["name"] for s in out["skipped_users"]] == ["Alex"]
    assert "Alex" not in [u["name"] for u in out["users"]]


def test_one_member_from_either_kind_of_file_into_a_chosen_member(
    demo: Any, home: Path, tmp_path: Path
) -> None:
    before = everyone(demo)
    one, every = tmp_path / "jo.json", tmp_path / "home.json"
    assert _cli("backup", demo, home, str(one), "--user", "Jo")[0] == 0
    assert _cli("backup", demo, home, str(every), "--all-users")[0] == 0
    for user in ("Jo", "Sam"):
        code, _ = run_cli("clear-ratings", demo, home, "--user", user, "--yes", library="Music")
        assert code == 0
    cleared = everyone(demo)
    # Jo's one-person file restored into Sam: Sam gets Jo's ratings
    code, out = _cli("restore", demo, home, str(one), "--user", "Sam", "--yes")
    assert code == 0, out
    changed = only_changed(cleared, everyone(demo), "Sam")
    assert changed == {k: v for k, v in before["Jo"].items() if cleared["Sam"].get(k) is None}
    jo_music = {k: v for k, v in before["Jo"].items() if k not in cleared["Jo"]}
    # Jo's section of the every-member file, restored as Jo
    mid = everyone(demo)
    code, out = _cli("restore", demo, home, str(every), "--user", "Jo", "--yes")
    assert code == 0, out
    assert only_changed(mid, everyone(demo), "Jo") == jo_music
    # an every-member file without --all-users or --user: the owner's own section
    code, out = _cli("restore", demo, home, str(every), "--dry-run")
    assert code == 0 and out["changes"] == 0  # the owner's ratings are all there
    # a one-person file with --all-users: a plain refusal, nothing written
    code, out = _cli("restore", demo, home, str(one), "--all-users", "--yes")
    assert code == 2 and "one person (Jo)" in out["error"]
    code, out = _cli("backup", demo, home, str(one), "--all-users", "--user", "Jo", "--yes")
    assert code == 2 and "not both" in out["error"]


def test_old_one_user_file_still_restores(demo: Any, home: Path, tmp_path: Path) -> None:
    """A file of format 1 without ``user`` (before Plex Home members) restores as before."""
    path = tmp_path / "old.json"
    assert _cli("backup", demo, home, str(path), "--user", "Alex", "--pin", "1234")[0] == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["user"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = everyone(demo)
    run_cli("clear-ratings", demo, home, "--user", "Jo", "--yes", library="Movies")
    cleared = everyone(demo)
    code, out = _cli("restore", demo, home, str(path), "--user", "Jo", "--yes")
    assert code == 0, out
    changed = only_changed(cleared, everyone(demo), "Jo")
    alex = before["Alex"]
    assert changed and all(alex[k] == v for k, v in changed.items())


# --- copy ratings between members ------------------------------------------------------------


def test_copy_fills_only_the_unrated_items_of_b_then_overwrite_then_undo(
    demo: Any, home: Path
) -> None:
    before = everyone(demo)
    sam, jo = before["Sam"], before["Jo"]
    # a base rating for Sam first: the program's guesses for Sam are replaced by Jo's
    code, base = run_cli("base-rating", demo, home, "--stars", "2", "--user", "Sam", "--yes")
    assert code == 0 and base["changes"] > 0
    with_base = everyone(demo)
    guessed = {k for k in with_base["Sam"] if k not in sam}

    code, dry = run_cli("copy-ratings", demo, home, "--from-user", "Jo", "--to-user", "Sam",
                        "--dry-run")  # fmt: skip
    assert code == 0 and everyone(demo) == with_base
    code, out = run_cli("copy-ratings", demo, home, "--from-user", "Jo", "--to-user", "Sam",
                        "--yes")  # fmt: skip
    assert code == 0, out
    assert out["changes"] == dry["changes"] > 0
    changed = only_changed(with_base, everyone(demo), "Sam")
    music = set(demo.lib.keys_of(1, "track")) | set(demo.lib.keys_of(1, "album"))
    music |= set(demo.lib.keys_of(1, "artist"))
    want = {
        k: v for k, v in jo.items() if k in music and k not in sam and with_base["Sam"].get(k) != v
    }
    assert changed == want
    # Sam's own ratings stayed, even where Jo's differ; Sam's guesses were replaced
    kept = [k for k in music if k in sam and k in jo and sam[k] != jo[k]]
    assert kept and all(everyone(demo)["Sam"][k] == sam[k] for k in kept)
    replaced = [k for k in guessed if k in jo and jo[k] != with_base["Sam"][k]]
    assert out["counts"][rp.OVER_PROGRAM] == len(replaced)
    # a guess equal to Jo's value becomes Sam's own: recorded, nothing sent
    recorded = [k for k in guessed if k in jo and jo[k] == with_base["Sam"][k]]
    assert out["counts"].get(rp.RECORDED, 0) == len(recorded)

    # the copied values are Sam's own now: a second base rating for Sam leaves them
    mid = everyone(demo)
    code, base2 = run_cli("base-rating", demo, home, "--stars", "2", "--user", "Sam", "--yes")
    assert code == 0 and base2["changes"] == 0 and everyone(demo) == mid
    code, again = run_cli("copy-ratings", demo, home, "--from-user", "Jo", "--to-user", "Sam",
                          "--overwrite", "--backup-first", "--yes")  # fmt: skip
    assert code == 0, again
    over = only_changed(mid, everyone(demo), "Sam")
    assert over == {k: jo[k] for k in kept} and again["counts"][rp.COPY_OVERWRITTEN] == len(kept)
    # the automatic backup before it kept Sam's replaced ratings (not the owner's)
    (kept_file,) = (home / "data" / "backups").glob("copy-ratings-*")
    saved = jt.read_backup_file(kept_file)
    assert saved.user is not None and saved.user.name == "Sam"
    assert {e.key: e.rating for e in saved.entries} == {k: sam[k] for k in kept}

    # undo, asked as the owner, runs as Sam: Sam's ratings go back, nobody else's move
    for run in (again, out):
        code, undo = run_cli("undo", demo, home, str(run["run_id"]), "--yes")
        assert code == 0, undo
    assert everyone(demo) == with_base


def test_copy_as_the_owner_and_plain_refusals(demo: Any, home: Path) -> None:
    before = everyone(demo)
    code, out = run_cli("copy-ratings", demo, home, "--from-user", "Alex", "--to-user",
                        "Demo User", "--kind", "movie", "--yes", library="Movies")  # fmt: skip
    assert code == 0, out
    changed = only_changed(before, everyone(demo), None)
    movies = set(demo.lib.keys_of(2, "movie"))
    assert changed and set(changed) <= movies
    alex = before["Alex"]
    assert changed == {k: v for k, v in alex.items() if k in movies and k not in before[None]}
    code, out = run_cli("copy-ratings", demo, home, "--from-user", "Jo", "--to-user", "jo")
    assert code == 2 and "not to Jo" in out["error"]
    code, out = run_cli("copy-ratings", demo, home, "--from-user", "Jo", "--to-user", "Nobody")
    assert code == 2 and "no Plex Home member called 'Nobody'" in out["error"]


def test_every_member_file_round_trips_and_a_hand_edit_is_refused() -> None:
    """Format 2 in pure code: sections keep their member; the checksum covers every section."""
    entry = bk.Entry("movie", 7, 8.0, "Film", year=2001, ids=("imdb://tt1",))
    lib = bk.BackupLibrary("Movies", "movie", 2, ("/m",), [entry])
    sections = [
        bk.Backup([lib], user=bk.BackupUser("Demo User", "aa", admin=True)),
        bk.Backup(
            [bk.BackupLibrary("Movies", "movie", 2, ("/m",), [])], user=bk.BackupUser("Jo", "bb")
        ),
    ]
    home_file = bk.Backup([], members=sections, skipped_users=[{"name": "Alex", "reason": "PIN"}])
    back = bk.decode(bk.encode(home_file, compress=True))
    assert back.is_home and back.version == bk.HOME_VERSION and len(back) == 1
    assert [m.user for m in back.members] == [s.user for s in sections]
    assert back.section_for("bb", "") is back.members[1]
    assert back.section_for("zz", "jo") is back.members[1]  # a new uuid: found by name
    assert back.skipped_users == [{"name": "Alex", "reason": "PIN"}]
    with pytest.raises(bk.BackupError, match="2 Plex Home members"):
        rp.plan_restore(back, [])
    text = bk.encode(home_file).decode().replace('"rating": 8.0', '"rating": 9.0')
    with pytest.raises(bk.BackupError, match="changed after it was written"):
        bk.decode(text.encode())
