"""The Inference tab in a real window: parameters, preview with histogram, apply, backtest.

Real HTTP to the demo server; the window runs under Xvfb (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_gui_helpers import app_fixture, pump_until, require_display, screenshot

pytestmark = pytest.mark.gui


@pytest.fixture
def win(app: Any) -> Iterator[Any]:
    require_display()
    yield from app_fixture(app)


def test_preview_histogram_apply_backtest(win: Any, demo: Any, tmp_path: Path) -> None:
    keys = [k for kind in ("artist", "album", "track") for k in demo.lib.keys_of(1, kind)]
    before = {k: demo.lib.rating(k) for k in keys}
    tab = win.tab_objects["inference"]
    win.select_tab("inference")
    pump_until(win, lambda: tab.libraries == ["Music"], 10, "the music libraries")

    tab.param_vars["confidence"].set("abc")
    tab.preview_button.invoke()
    assert tab.job is None  # the bad entry was refused before any job started
    tab.param_vars["confidence"].set("2")
    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "the plan")
    plan = tab.preview.plan
    assert len(plan) > 50
    assert tab.chart.bars() == 20  # ten half-star bins, before and after
    assert "inferred" in tab.summary_text() and "track" in tab.summary_text()
    assert win.ctx.settings.tab("inference")["params"]["confidence"] == "2"
    pump_until(win, lambda: tab.preview.shown_rows == min(len(plan), tab.preview.row_cap))
    win.update()
    screenshot("inference")

    tab.preview.apply_button.invoke()
    pump_until(win, lambda: tab.preview.plan is None and not win.busy, 30, "the apply")
    after = {k: demo.lib.rating(k) for k in keys}
    assert all(after[k] == v for k, v in before.items() if v is not None)
    assert sum(after[k] != before[k] for k in keys) == len(plan)

    tab.backtest_button.invoke()
    pump_until(win, lambda: not win.busy and tab.last_backtest is not None, 20, "backtest")
    assert "library mean" in tab.summary_text()
    bt = tab.last_backtest
    assert bt.mae < bt.baselines["library mean"][0]

    tab.preview_button.invoke()
    pump_until(win, lambda: tab.preview.plan is not None and not win.busy, 20, "second plan")
    assert len(tab.preview.plan) == 0
    assert tab.export_report(str(tmp_path / "cov.csv")) == 3
    assert tab.export_ratings(str(tmp_path / "all.csv")) > len(plan)
    win.update()
    screenshot("inference_after")
