"""While a job reads or a run writes, no full garbage collection walks what it keeps (each
one held the interpreter lock 20-46 ms in a 50k run, 47-252 ms in a 50k read, the window
waiting); young collections go on, so short-lived cycles are still freed. Real runs against
the demo server, real audio files."""

from __future__ import annotations

import gc
from typing import Any

from conftest import job_ctx

from ratings_gui.core.pathmap import Rule
from ratings_gui.jobs import base_rating as br
from ratings_gui.jobs import tags_sync as ts
from ratings_gui.jobs.base import young_gc_only


def test_inside_only_young_collections_run_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    full = gc.get_stats()[2]["collections"]
    young = gc.get_stats()[0]["collections"]
    with young_gc_only():
        kept = [[i] for i in range(400_000)]  # a run's journal rows and results, kept alive
        cycles = 0
        for _ in range(2_000):  # and short-lived cycles
            a: list[Any] = []
            a.append(a)
            cycles += 1
        assert gc.get_stats()[2]["collections"] == full
        assert gc.get_stats()[0]["collections"] > young
    assert gc.get_threshold() == before
    assert len(kept) == 400_000 and cycles == 2_000
    # what the run kept is out of later full collections' walks until the next read
    assert gc.get_freeze_count() >= 400_000
    gc.unfreeze()


def test_a_base_rating_run_writes_without_a_full_collection(app: Any, demo: Any) -> None:
    seen: list[tuple[int, int]] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append((info["generation"], gc.get_threshold()[2]))

    job = br.BaseRatingJob(app, br.BaseRatingOptions("Music", 6.0))
    plan = job.prepare(job_ctx())
    assert plan.changes
    normal = gc.get_threshold()
    gc.callbacks.append(watch)
    try:
        report = job.apply(job_ctx(), plan)
    finally:
        gc.callbacks.remove(watch)
        gc.unfreeze()
    assert len(report.applied) == len(plan.changes)
    assert gc.get_threshold() == normal
    assert seen, "a run of hundreds of writes makes young collections"
    # every collection while the run wrote was a young one, under the raised threshold
    during = [g for g, third in seen if third != normal[2]]
    assert during and all(g < 2 for g in during)


def test_a_tags_preview_leaves_no_tag_chunks_behind(mapp: Any, media_demo: Any) -> None:
    """An AIFF or WAV file's tag is read as chunks that point at each other (a cycle):
    only a collection frees them. With the collector off for the whole read, every
    such file a preview read stayed in memory for good (about 98,000 objects after
    a 50k library's Tags and Import probe)."""
    demo = media_demo
    chunked = [
        k
        for k in demo.lib.keys_of(1, "track")
        if demo.lib.items[k].file.lower().endswith((".wav", ".aif", ".aiff"))
    ]
    assert len(chunked) >= 10, "the demo library mixes in WAV and AIFF files"
    gc.collect()
    job = ts.TagsSyncJob(
        mapp, ts.TagsOptions("Music", [Rule(demo.lib.media_root, str(demo.media_dir))])
    )
    plan = job.prepare(job_ctx())
    assert plan.counts  # the files were read and counted
    del plan, job
    gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a full collection finds stays in gc.garbage to look at
    try:
        gc.collect()
        left = [o for o in gc.garbage if type(o).__module__.startswith("mutagen")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    # the last file or two may still be young when the read ends; not one per file
    assert len(left) <= 8, f"{len(left)} mutagen objects left by {len(chunked)} files"
