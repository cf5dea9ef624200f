"""The ratings CSV import end to end: the demo server over real HTTP, the real journal.

A file exported by ``infer --export`` comes back as it went out; own rows
become the user's ratings and inferred rows stay the program's; rows without
keys match by title; what does not match is listed with its reason; a broken
file writes nothing; undo of the run puts the old ratings back.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import job_ctx, ratings_of, run_cli

from ratings_gui.core import inference as inf
from ratings_gui.core import ratingscsv as rcp
from ratings_gui.core.plan import PLEX, Change
from ratings_gui.core.records import Item
from ratings_gui.core.scale import same
from ratings_gui.jobs import infer as ij
from ratings_gui.jobs import ratings_csv as rc
from ratings_gui.jobs.import_job import ImportInputError
from ratings_gui.jobs.undo import UndoJob
from ratings_gui.journal import Provenance
from ratings_gui.plex.snapshot import read_library
from ratings_gui.sources.base import SourceError

INVENTED_REASON = rcp.INFERRED_REASON
MUSIC = "Music"
KINDS = ("artist", "album", "track")
HEADER = ["kind", "key", "artist", "title", "stars", "source"]


def _items(app: Any) -> list[Item]:
    return list(read_library(app.connection, MUSIC))


def _write(path: Path, rows: list[list[Any]], header: list[str] = HEADER, **kw: Any) -> Path:
    with open(path, "w", newline="", encoding=kw.pop("encoding", "utf-8")) as f:
        w = csv.writer(f, **kw)
        w.writerow(header)
        w.writerows(rows)
    return path


def _import(
    app: Any, path: Path, *, overwrite: bool = False
) -> tuple[Any, Any, rc.RatingsImportJob]:
    job = rc.RatingsImportJob(app, MUSIC, str(path), overwrite=overwrite)
    plan = job.prepare(job_ctx())
    return plan, job.apply(job_ctx(), plan), job


def _program(app: Any) -> dict[str, Provenance]:
    return app.journal.program_values(PLEX)


def _export(app: Any, path: Path) -> list[dict[str, str]]:
    items = _items(app)
    ij.export_ratings_csv(path, items, inf.infer(items, ij.program_map(app), inf.Params()))
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _unused_value(current: float | None) -> float:
    """Stars (0.5-5) that differ from the current Plex value."""
    return 1.5 if current is None or not same(current, 3.0) else 4.5


# --- round trip ------------------------------------------------------------------------------


def test_round_trip_export_edit_import_then_second_import_writes_nothing(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    infer_job = ij.InferJob(app, ij.InferOptions(MUSIC))
    infer_job.apply(job_ctx(), infer_job.prepare(job_ctx()))  # inferred values: both sources export
    path = tmp_path / "all.csv"
    rows = _export(app, path)
    assert {r["source"] for r in rows} == {"own", "inferred"}
    assert {r["kind"] for r in rows} == set(KINDS)
    # edit a few stars in every kind and both sources
    edited: dict[int, float] = {}
    for kind in KINDS:
        for source in ("own", "inferred"):
            picked = [r for r in rows if r["kind"] == kind and r["source"] == source][:2]
            for r in picked:
                new = 1.5 if float(r["stars"]) != 1.5 else 4.5
                r["stars"] = str(new)
                edited[int(r["key"])] = new * 2
    assert len(edited) >= 8
    _write(path, [[r[c] for c in HEADER] for r in rows])
    before = ratings_of(demo, KINDS)

    # without "replace": an edited own row over your own rating is kept and listed
    mine = {int(r["key"]) for r in rows if int(r["key"]) in edited and r["source"] == "own"}
    plan0, report0, _ = _import(app, path)
    assert plan0.counts[rcp.KEPT_YOURS] == len(mine) > 0
    assert plan0.counts["update"] == len(edited) - len(mine)
    kept = {int(s["key"]) for s in plan0.skipped if s["reason"] == rcp.KEPT_YOURS}
    assert kept == mine
    assert all(ratings_of(demo, KINDS)[k] == before[k] for k in mine)

    plan, report, _ = _import(app, path, overwrite=True)
    assert plan.counts["update"] == len(mine) and report.changes == len(mine)
    assert plan.counts["already"] == len(rows) - len(mine)
    assert not report.failed and report.counts["applied"] == len(mine)
    after = ratings_of(demo, KINDS)
    # the server now equals the file, row for row, and nothing else moved
    for r in rows:
        assert same(after[int(r["key"])], float(r["stars"]) * 2), r
    assert {k for k in after if after[k] != before[k]} == set(edited)
    # provenance followed the file: edited own rows are the user's, inferred ones the program's
    prog = _program(app)
    for r in rows:
        if int(r["key"]) in edited:
            assert (r["key"] in prog) == (r["source"] == "inferred"), r
    run = app.journal.run(report.run_id)
    assert run.job == rc.JOB and run.options["library"] == MUSIC and run.options["section_id"]

    plan2, report2, _ = _import(app, path)
    assert len(plan2) == 0 and report2.changes == 0
    assert plan2.counts["already"] == len(rows)
    assert ratings_of(demo, KINDS) == after


# --- provenance ------------------------------------------------------------------------------


def test_own_and_inferred_rows_land_in_the_journal_as_whose_they_are(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    items = _items(app)
    tracks = [it for it in items if it.kind == "track"]
    rated = [it for it in tracks if it.user_rating is not None]
    unrated = [it for it in tracks if it.user_rating is None]
    albums = [it for it in items if it.kind == "album" and it.user_rating is None]
    own_new, inf_new, inf_same = unrated[0], albums[0], rated[0]
    # a program value (a base rating, say) that the file calls the user's own
    base = app.journal.start_run("base-rating")
    prog_item = unrated[1]
    demo.lib.set_rating(prog_item.key, 6.0)
    app.journal.mark(
        app.journal.record_pending(
            base, [Change(PLEX, str(prog_item.key), "userRating", None, 6.0, "base")]
        ),
        "applied",
    )
    assert str(prog_item.key) in _program(app)
    rows = [
        ["track", own_new.key, own_new.grandparent_title, own_new.title, "4", "own"],
        ["album", inf_new.key, inf_new.parent_title, inf_new.title, "3.5", "inferred"],
        # equal to what Plex holds, but the file says the program inferred it
        [
            "track",
            inf_same.key,
            inf_same.grandparent_title,
            inf_same.title,
            str(inf_same.user_rating / 2),
            "inferred",
        ],
        # equal to the base rating, but the file says it is the user's own
        ["track", prog_item.key, prog_item.grandparent_title, prog_item.title, "3", ""],
    ]
    path = _write(tmp_path / "prov.csv", rows)
    plan, report, _ = _import(app, path)
    assert plan.counts["update"] == 2
    assert plan.counts["recorded as inferred"] == 1 and plan.counts["recorded as own"] == 1
    recorded = {c.target: c for c in plan.changes if same(c.old, c.new)}
    assert set(recorded) == {str(inf_same.key), str(prog_item.key)}
    assert recorded[str(inf_same.key)].reason == INVENTED_REASON
    assert recorded[str(prog_item.key)].reason == rcp.OWN_REASON
    assert report.changes == 4 and not report.failed

    prog = _program(app)
    assert str(own_new.key) not in prog  # the user's own: inference's evidence
    assert prog[str(inf_new.key)].value == 7.0  # inferred: stays the program's
    assert str(inf_same.key) in prog and same(prog[str(inf_same.key)].value, inf_same.user_rating)
    assert str(prog_item.key) not in prog  # taken over by the user through the file
    assert demo.lib.rating(own_new.key) == 8.0 and demo.lib.rating(inf_new.key) == 7.0
    # inference agrees: the own values are evidence, the inferred ones are not
    res = inf.infer(_items(app), ij.program_map(app), inf.Params())
    assert res.manual[own_new.key] == 8.0 and res.manual[prog_item.key] == 6.0
    assert inf_same.key not in res.manual and inf_new.key not in res.manual

    plan2, report2, _ = _import(app, path)
    assert len(plan2) == 0 and plan2.counts["already"] == 4 and report2.changes == 0


# --- matching without keys, unmatched rows ------------------------------------------------------


def test_title_matching_without_key_column_bom_semicolons_and_star_formats(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    items = _items(app)
    tracks = [it for it in items if it.kind == "track"]
    by_name: dict[tuple[str, str], list[Item]] = {}
    for t in tracks:
        by_name.setdefault((t.grandparent_title, rcp._norm(t.title)), []).append(t)
    twin = next(g for g in by_name.values() if len({t.parent_title for t in g}) > 1)
    single = next(g[0] for g in by_name.values() if len(g) == 1 and g[0].grandparent_title)
    album = next(it for it in items if it.kind == "album")
    artist = next(it for it in items if it.kind == "artist")
    rows = [
        # ";" separated, upper-case headers, decimal comma, glyphs, a fraction
        ["TRACK", single.grandparent_title.upper(), single.title, "", "4,5"],
        ["track", twin[0].grandparent_title, twin[0].title, twin[0].parent_title, "★★★½"],
        ["track", twin[0].grandparent_title, twin[0].title, "", "2"],  # which album?
        ["Albums", album.parent_title, album.title, "", "2/10"],
        ["artist", "", artist.title, "", "5"],
        ["track", "Nobody At All", "No Such Song", "", "3"],
        ["track", single.grandparent_title, single.title, "", "1"],  # same item again
    ]
    path = _write(
        tmp_path / "nokey.csv",
        rows,
        header=["Kind", "Artist", "TITLE", "Album", "Stars"],
        delimiter=";",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    before = ratings_of(demo, KINDS)
    plan, report, job = _import(app, path, overwrite=True)
    assert report.changes + plan.counts["already"] == 4
    assert same(demo.lib.rating(single.key), 9.0)
    assert same(demo.lib.rating(twin[0].key), 7.0)
    assert all(demo.lib.rating(t.key) == before[t.key] for t in twin[1:])
    assert same(demo.lib.rating(album.key), 2.0)
    assert same(demo.lib.rating(artist.key), 10.0)
    reasons = {s["line"]: s["reason"] for s in plan.skipped}
    assert reasons == {4: rcp.AMBIGUOUS, 7: rcp.NOT_FOUND, 8: rcp.DUPLICATE}
    amb = next(s for s in plan.skipped if s["line"] == 4)
    assert str(twin[0].key) in amb["candidates"] and str(twin[1].key) in amb["candidates"]
    assert len(job.items) == len(items)


def test_stale_or_foreign_keys_fall_back_to_the_title(app: Any, demo: Any, tmp_path: Path) -> None:
    items = _items(app)
    tracks = [it for it in items if it.kind == "track"]
    names = [(t.grandparent_title, rcp._norm(t.title)) for t in tracks]
    a, b = [t for t in tracks if names.count((t.grandparent_title, rcp._norm(t.title))) == 1][:2]
    stars = _unused_value(a.user_rating)
    rows = [
        ["track", 987654, a.grandparent_title, a.title, stars, "own"],  # key gone
        ["track", b.key, "Someone Else", "A Song From Another Server", "5", "own"],
    ]
    plan, report, _ = _import(app, _write(tmp_path / "stale.csv", rows))
    assert [c.target for c in plan.changes] == [str(a.key)]
    assert same(demo.lib.rating(a.key), stars * 2) and report.changes == 1
    assert demo.lib.rating(b.key) == b.user_rating  # a foreign key must not rate item b
    (skip,) = plan.skipped
    assert skip["reason"] == rcp.NOT_FOUND and f"key {b.key} is now track" in skip["detail"]


def test_unmatched_rows_are_reported_with_reasons_and_exported(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    t = next(it for it in _items(app) if it.kind == "track" and it.user_rating is None)
    rows = [
        ["track", t.key, t.grandparent_title, t.title, "3", "own"],
        ["movie", "", "", "Inception", "4", "own"],
        ["track", "", "", "No Such Song", "4", "own"],
        ["track", "", "", "Whatever", "lots", "own"],
        ["track", "", "", "Too Good", "7", "own"],
        ["track", "", "", "Left Blank", "", "own"],
        ["track", "", "", "Somebody's", "4", "guessed"],
        ["album", "", "", "", "4", "own"],
        ["track", t.key, "", t.title, "4", "own", "spill"],
    ]
    path = _write(tmp_path / "bad-rows.csv", rows)
    before = ratings_of(demo, KINDS)
    plan, report, job = _import(app, path)
    want = {
        3: rcp.UNKNOWN_KIND,
        4: rcp.NOT_FOUND,
        5: rcp.INVALID_STARS,
        6: rcp.INVALID_STARS,
        7: rcp.NO_STARS,
        8: rcp.UNKNOWN_SOURCE,
        9: rcp.MISSING_TITLE,
        10: rcp.MALFORMED,
    }
    assert {s["line"]: s["reason"] for s in plan.skipped} == want
    assert sum(plan.counts.values()) == len(rows)
    assert report.changes == 1 and demo.lib.rating(t.key) == 6.0
    assert {k for k, v in ratings_of(demo, KINDS).items() if v != before[k]} == {t.key}
    out = tmp_path / "unmatched.csv"
    assert job.write_unmatched(plan, out) == len(want)
    with open(out, newline="", encoding="utf-8-sig") as f:
        got = {int(r["line"]): r for r in csv.DictReader(f)}
    assert {k: r["reason"] for k, r in got.items()} == want
    assert "between 0 and 5" in got[6]["detail"] and got[3]["title"] == "Inception"


# --- broken files ------------------------------------------------------------------------------


def _junk(tmp_path: Path) -> dict[str, Path]:
    files = {
        "binary": bytes(range(256)) * 40,
        "empty": b"",
        "blank lines": b"\n\n  \n",
        "no stars column": b"kind,title\ntrack,Intro\n",
        "prose": b"Dear Plex, these are my favourite songs: Intro, Outro.\n",
        "json": b'[{"kind": "track", "title": "Intro", "stars": 4}]\n',
        "zip": b"PK\x03\x04" + bytes(range(200)),
        "header only": b"kind,key,artist,title,stars,source\n",
        "unclosed quote": b'kind,title,stars\ntrack,"Intro,4\ntrack,Outro,3\n',
        "utf-16 junk": b"\xff\xfe" + b"\x00\xd8" * 50,
    }
    out = {}
    for name, data in files.items():
        p = tmp_path / f"{name.replace(' ', '_')}.csv"
        p.write_bytes(data)
        out[name] = p
    out["missing"] = tmp_path / "nope.csv"
    out["folder"] = tmp_path
    return out


def test_broken_files_raise_a_plain_error_and_write_nothing(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    before = ratings_of(demo, KINDS)
    for name, path in _junk(folder).items():
        with pytest.raises(ImportInputError) as err:
            rc.RatingsImportJob(app, MUSIC, path).prepare(job_ctx())
        text = str(err.value)
        assert text and "Traceback" not in text and len(text) < 600, (name, text)
        assert isinstance(err.value.__cause__, SourceError), name
    assert ratings_of(demo, KINDS) == before
    assert app.journal.runs() == []  # no run was even started


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"kind,title\ntrack,Intro\n", "lacks the column(s) stars"),
        (b"foo,bar\n1,2\n", "is not a ratings CSV"),
        (b"\x00\x01\x02binary\x00" * 30, "not a text file"),
        (b"kind,title,stars\n", "no rows"),
        (b'kind,title,stars\ntrack,"Intro,4\n', "none of its"),
    ],
)
def test_parser_says_what_is_wrong(tmp_path: Path, data: bytes, needle: str) -> None:
    p = tmp_path / "x.csv"
    p.write_bytes(data)
    with pytest.raises(SourceError) as err:
        rc.read_ratings_csv(p)
    assert needle in str(err.value)


def test_parser_reads_what_spreadsheets_write() -> None:
    text = (
        "\ufeffKIND;Key;Artist;Title;Stars;SOURCE\r\n"
        "tracks;12;A;Song;4,5;Inferred\r\n"
        "album;;A;Record;★★½;\r\n"
        "artist;x;;A;80%;own\r\n"
    )
    r1, r2, r3 = rc.parse_ratings_text(text)
    assert (r1.kind, r1.key, r1.rating, r1.source, r1.problem) == ("track", 12, 9.0, "inferred", "")
    assert (r2.kind, r2.key, r2.rating, r2.source) == ("album", None, 5.0, "own")
    assert (r3.kind, r3.key, r3.rating, r3.line) == ("artist", None, 8.0, 4)


def test_mangled_files_give_rows_or_a_plain_error_never_a_crash() -> None:
    """Random edits of a valid file: only SourceError escapes, and every row is counted once."""
    rng = random.Random(3)
    base = (
        "kind;key;artist;title;stars;source\n"
        "track;12;A;Song;4,5;own\n"
        'album;²;B;"Rec;ord";★½;inferred\n'
    )
    alphabet = list(';,"\n\r\t★½☆/%.-0123456789²abcKINDtitle\x85\u2028\ufeff ')
    items = [Item(12, "track", "Song", grandparent_title="A"), Item(13, "album", "Rec;ord")]
    parsed = 0
    for _ in range(600):
        t = list(base)
        for _ in range(rng.randint(1, 12)):
            pos = min(rng.randrange(len(t) + 1), len(t) - 1)
            op = rng.random()
            if op < 0.4:
                t.insert(pos, rng.choice(alphabet))
            elif op < 0.8 and len(t) > 1:
                t.pop(pos)
            else:
                t[pos] = rng.choice(alphabet)
        try:
            rows = rc.parse_ratings_text("".join(t))
        except SourceError:
            continue
        parsed += 1
        plan = rc.plan_ratings_import(rows, items, {})
        assert sum(plan.counts.values()) == len(rows)
        assert len(plan.skipped) == len(rows) - len(plan.changes) - plan.counts["already"]
    assert parsed > 100


# --- the pure plan ------------------------------------------------------------------------------


def test_plan_follows_provenance_for_equal_values() -> None:
    items = [
        Item(1, "track", "Song", grandparent_title="A", user_rating=8.0),
        Item(2, "track", "Other", grandparent_title="A", user_rating=6.0),
        Item(3, "album", "Record", parent_title="A", user_rating=None),
    ]
    rows = [
        rc.RatingRow(2, "track", "Song", "4", 8.0, "own", 1),
        rc.RatingRow(3, "track", "Other", "3", 6.0, "own", 2),
        rc.RatingRow(4, "album", "Record", "2", 4.0, "inferred", 3),
    ]
    program = {"2": Provenance(6.0, "infer", 1, whose="inferred")}
    plan = rc.plan_ratings_import(rows, items, program)
    assert [(c.target, c.old, c.new, c.reason) for c in plan.changes] == [
        ("2", 6.0, 6.0, rcp.OWN_REASON),
        ("3", None, 4.0, INVENTED_REASON),
    ]
    assert plan.counts["already"] == 1 and plan.counts["recorded as own"] == 1
    # a carried standing write is the user's: an own row agrees, an inferred one records
    carried = {"1": Provenance(8.0, rc.JOB, 5, rcp.OWN_REASON)}
    inferred = [rc.RatingRow(2, "track", "Song", "4", 8.0, "inferred", 1)]
    assert rc.plan_ratings_import(rows[:1], items, carried).counts["already"] == 1
    p2 = rc.plan_ratings_import(inferred, items, carried)
    assert p2.counts["recorded as inferred"] == 1 and p2.changes[0].reason == INVENTED_REASON
    # a program value the user has since changed is no longer the program's
    moved = {"2": Provenance(5.0, "infer", 1, whose="inferred")}
    assert rc.plan_ratings_import(rows[1:2], items, moved).counts["already"] == 1


# --- undo and the command line ------------------------------------------------------------------


def test_undo_of_the_import_restores_the_old_ratings(app: Any, demo: Any, tmp_path: Path) -> None:
    items = [it for it in _items(app) if it.kind in KINDS][:40:4]
    rows = [
        [it.kind, it.key, "", it.title, _unused_value(it.user_rating), "inferred" if i % 2 else ""]
        for i, it in enumerate(items)
    ]
    before = ratings_of(demo, KINDS)
    prog_before = _program(app)
    _, report, _ = _import(app, _write(tmp_path / "u.csv", rows), overwrite=True)
    assert report.changes == len(items)
    assert ratings_of(demo, KINDS) != before
    undo = UndoJob(app, report.run_id)
    undo_report = undo.apply(job_ctx(), undo.prepare(job_ctx()))
    assert undo_report.changes == len(items) and not undo_report.failed
    assert ratings_of(demo, KINDS) == before
    assert _program(app) == prog_before  # the undone writes no longer say whose anything is


def test_cli_dry_run_unmatched_apply_and_broken_file(app: Any, demo: Any, tmp_path: Path) -> None:
    t = next(it for it in _items(app) if it.kind == "track" and it.user_rating is None)
    path = _write(
        tmp_path / "cli.csv",
        [
            ["track", t.key, t.grandparent_title, t.title, "2.5", "own"],
            ["track", "", "", "No Such Song", "4", "own"],
        ],
    )
    home = tmp_path / "cli-home"
    unmatched = tmp_path / "left.csv"
    before = ratings_of(demo, KINDS)
    code, dry = run_cli(
        "import-ratings", demo, home, str(path), "--dry-run", "--unmatched", str(unmatched)
    )
    assert code == 0 and dry["dry_run"] and dry["changes"] == 1
    assert dry["counts"]["not found"] == 1 and ratings_of(demo, KINDS) == before
    assert "No Such Song" in unmatched.read_text(encoding="utf-8-sig")
    code, done = run_cli("import-ratings", demo, home, str(path), "--yes")
    assert code == 0 and done["changes"] == 1 and demo.lib.rating(t.key) == 5.0
    code, again = run_cli("import-ratings", demo, home, str(path), "--yes")
    assert code == 0 and again["changes"] == 0
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01junk" * 100)
    code, out = run_cli("import-ratings", demo, home, str(broken), "--yes")
    assert code == 2 and out["error"] and out["changes"] == 0  # the JSON line says why


def test_a_value_the_server_does_not_keep_is_reported_failed(
    app: Any, demo: Any, tmp_path: Path
) -> None:
    """The server answers 200 for one album but keeps nothing: the after-write check says so."""
    from ratings_gui.demo.server import Faults

    rows = _export(app, tmp_path / "all.csv")
    albums = [r for r in rows if r["kind"] == "album"][:2]
    tracks = [r for r in rows if r["kind"] == "track"][:2]
    assert len(albums) == len(tracks) == 2
    for r in albums + tracks:
        r["stars"] = str(_unused_value(demo.lib.rating(int(r["key"]))))
    path = _write(tmp_path / "edit.csv", [[r[c] for c in HEADER] for r in albums + tracks])
    lost = int(albums[0]["key"])
    before = demo.lib.rating(lost)
    demo.faults = Faults(ignore_writes=frozenset({lost}))
    try:
        plan, report, _ = _import(app, path, overwrite=True)
    finally:
        demo.faults = Faults()
    assert len(plan) == 4 and report.changes == 3
    assert [(c.target, why) for c, why in report.failed] == [
        (str(lost), "the server did not keep this value")
    ]
    assert demo.lib.rating(lost) == before
    status = {r.change.target: r.status for r in app.journal.changes(report.run_id)}
    assert status[str(lost)] == "failed" and sum(s == "applied" for s in status.values()) == 3
    assert app.journal.run(report.run_id).status == "done with errors"
