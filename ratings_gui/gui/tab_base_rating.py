"""Base rating tab: a rating for every unrated track, previewed before it is written.

Preview and Reset are jobs on the window's runner (one at a time, like
every tab). "Watch while open" runs for as long as the user wants, so it is
a task beside the jobs: its news and its end come back through the window's
one event queue; the worker never touches Tk.
"""

from __future__ import annotations

import threading
import time
import tkinter
from collections.abc import Iterator
from functools import partial
from typing import Any

import customtkinter as ctk

from ratings_gui.core.plan import Plan, Report
from ratings_gui.core.scale import format_stars
from ratings_gui.gui.tabs import Tab, TabEntry, register_tab
from ratings_gui.gui.widgets import (
    ERROR_COLOR,
    SECONDARY,
    Button,
    Fold,
    plural,
    readable_segments,
    tip,
)
from ratings_gui.jobs import base_rating as br
from ratings_gui.jobs.runner import Event, Finished, JobContext, Log

STYLE_KEYS = {v: k for k, v in br.STYLE_NAMES.items()}
MUTED = ("gray35", "gray65")


def value_label(value: float, style: str) -> str:
    """The segment text for a value: ``★★★``, ``★★½``, ``★ like``."""
    text = format_stars(value)
    return f"{text} like" if style == "like" else text


def value_labels(style: str) -> dict[str, float]:
    return {value_label(v, style): v for v in br.STYLES[style]}


DEFAULTS: dict[str, Any] = {
    "style": "whole",
    "value": 6.0,
    "newest_on": False,
    "newest": 500,
    "since_last_run": False,
    "override_program": False,
}
HELP = {
    "library": "The Plex music library whose unrated tracks get the base rating.",
    "style": "How you rate in Plex: whole stars, half stars, or only 'like' (Plexamp's "
    "thumbs). The base rating is offered in the same steps. Default: whole stars.",
    "value": "The rating every unrated track gets. A middle value lets radios play the "
    "track while your own higher and lower ratings still stand out. Default: 3 stars.",
    "newest": "Rate only the most recently added tracks, this many (1 or more). Default: off.",
    "since": "Rate only the tracks added after the last base-rating run on this library. "
    "Default: off.",
    "override": "Also change tracks that still hold a rating this program wrote earlier "
    "(a base or inferred rating you never changed). Default: off.",
    "override_mine": "Also replace ratings you gave yourself. Off: your ratings are never "
    "touched, and the preview counts them. Not remembered: choose it each time.",
    "preview": "Read the library and show which tracks would get the base rating. "
    "Nothing is written until you press Apply.",
    "reset": "Plan the removal of every base rating this program wrote (ratings you changed "
    "since are yours and stay). You review the plan before anything is removed.",
    "watch": "While the window is open, give new tracks the base rating as Plex adds them.",
}


class BaseRatingTab(Tab):
    """Options, Preview -> plan -> Apply, Reset (plan first), and the watch switch."""

    music_tab = True

    def build(self) -> Iterator[None]:
        """In parts (see :meth:`Tab.ensure_built`): the options, the bar, then the plan."""
        self.libraries: list[str] = []
        self._watch_cancel: threading.Event | None = None
        self._watch_thread: threading.Thread | None = None
        self.watch_interval = br.DEFAULT_INTERVAL
        self.watch_rated = 0
        saved = {**DEFAULTS, **self.options()}
        options, bar, body = self.job_layout()
        yield  # the frames first: the tab switch is drawn in a turn of its own
        pad = {"padx": (8, 4), "pady": 3}
        line, self.library_menu = self.option_line(HELP["library"])
        caption = ctk.CTkLabel(line, text="Rate in")
        caption.pack(side="left", padx=(16, 4))
        self.style_button = ctk.CTkSegmentedButton(
            line,
            values=list(br.STYLE_NAMES.values()),
            command=self._style_clicked,
            **readable_segments(),
        )
        self.style_button.pack(side="left", **pad)
        tip(HELP["style"], caption, self.style_button)
        self._build_value_line(options)
        yield
        more = self._build_more(options, saved)
        self._build_bar(bar, more, saved)
        yield
        preview = self.make_preview(body)
        preview.grid(row=0, column=0, sticky="nsew", padx=4)
        self.start_buttons = [self.preview_button, self.reset_button]

        self.set_style(str(saved["style"]), float(saved["value"]))
        # tkinter's own bind: CTkFrame.bind would bind its drawing canvas instead
        tkinter.Misc.bind(self.frame, "<Destroy>", self._destroyed, "+")
        self.on_connection_changed()

    def _build_value_line(self, options: ctk.CTkFrame) -> None:
        pad = {"padx": (8, 4), "pady": 3}
        line = ctk.CTkFrame(options, fg_color="transparent")
        line.pack(fill="x", padx=2, pady=(0, 3))
        caption = ctk.CTkLabel(line, text="Base rating")
        caption.pack(side="left", **pad)
        self.value_button = ctk.CTkSegmentedButton(
            line,
            values=["★★★"],
            command=lambda _v: self._show_value(),
            font=ctk.CTkFont(size=15),
            **readable_segments(),
        )
        self.value_button.pack(side="left", **pad)
        tip(HELP["value"], caption, self.value_button)

    def _build_more(self, options: ctk.CTkFrame, saved: dict[str, Any]) -> ctk.CTkFrame:
        """Less used options, folded: the plan gets their height."""
        more = ctk.CTkFrame(options, fg_color="transparent")
        row = ctk.CTkFrame(more, fg_color="transparent")
        row.pack(fill="x", padx=4, pady=2)
        self.newest_var = ctk.BooleanVar(value=bool(saved["newest_on"]))
        self.newest_count = ctk.StringVar(value=str(saved["newest"]))
        self.newest_check = ctk.CTkCheckBox(row, text="Only the newest", variable=self.newest_var)
        self.newest_check.pack(side="left", padx=(4, 6))
        self.newest_entry = ctk.CTkEntry(row, textvariable=self.newest_count, width=70)
        self.newest_entry.pack(side="left")
        ctk.CTkLabel(row, text="tracks").pack(side="left", padx=(6, 24))
        tip(HELP["newest"], self.newest_check, self.newest_entry)
        self.since_var = ctk.BooleanVar(value=bool(saved["since_last_run"]))
        self.since_check = ctk.CTkCheckBox(
            row, text="Only tracks added since the last run", variable=self.since_var
        )
        self.since_check.pack(side="left")
        tip(HELP["since"], self.since_check)
        self.last_run_label = ctk.CTkLabel(row, text="", text_color=MUTED)
        self.last_run_label.pack(side="left", padx=8)

        row2 = ctk.CTkFrame(more, fg_color="transparent")
        row2.pack(fill="x", padx=4, pady=(2, 4))
        self.override_var = ctk.BooleanVar(value=bool(saved["override_program"]))
        self.override_check = ctk.CTkCheckBox(
            row2, text="Replace ratings this program set before", variable=self.override_var
        )
        self.override_check.pack(side="left", padx=(4, 16))
        tip(HELP["override"], self.override_check)
        # Never remembered: the user's own ratings are replaced only by a fresh choice.
        self.override_mine_var = ctk.BooleanVar(value=False)
        self.override_mine_check = ctk.CTkCheckBox(
            row2,
            text="Also replace MY OWN ratings",
            variable=self.override_mine_var,
            text_color=ERROR_COLOR,
        )
        self.override_mine_check.pack(side="left")
        tip(HELP["override_mine"], self.override_mine_check)
        return more

    def _build_bar(self, bar: ctk.CTkFrame, more: ctk.CTkFrame, saved: dict[str, Any]) -> None:
        self.preview_button = Button(bar, text="Preview", width=110, command=self.preview_plan)
        self.preview_button.pack(side="left")
        tip(HELP["preview"], self.preview_button)
        self.reset_button = Button(
            bar, text="Reset base ratings…", width=160, command=self.preview_reset, **SECONDARY
        )
        self.reset_button.pack(side="left", padx=8)
        tip(HELP["reset"], self.reset_button)
        self.more = Fold(
            bar,
            "More options",
            show=lambda: more.pack(fill="x"),
            hide=more.pack_forget,
            on_change=lambda open_: self.remember(more_open=open_),
        )
        self.more.button.pack(side="left", padx=(4, 0))
        self.more.set_open(bool(saved.get("more_open", False)), notify=False)
        self.plan_note = ctk.CTkLabel(bar, text="", text_color=ERROR_COLOR)
        self.plan_note.pack(side="left", padx=8)
        self.watch_status = ctk.CTkLabel(bar, text="", text_color=MUTED)
        self.watch_status.pack(side="right", padx=(8, 4))
        self.watch_var = ctk.BooleanVar(value=False)
        self.watch_switch = ctk.CTkSwitch(
            bar, text="Watch while open", variable=self.watch_var, command=self._watch_toggled
        )
        self.watch_switch.pack(side="right")
        tip(HELP["watch"], self.watch_switch)

    def restore_defaults(self) -> None:
        """The default style, value and options (the user's-own-ratings box off)."""
        self.set_style(str(DEFAULTS["style"]), float(DEFAULTS["value"]))
        self.newest_var.set(DEFAULTS["newest_on"])
        self.newest_count.set(str(DEFAULTS["newest"]))
        self.since_var.set(DEFAULTS["since_last_run"])
        self.override_var.set(DEFAULTS["override_program"])
        self.override_mine_var.set(False)
        self.remember(**DEFAULTS)

    # --- options ------------------------------------------------------------------------

    def set_style(self, style: str, value: float | None = None) -> None:
        """Switch the value choices to a style, keeping the nearest value."""
        style = style if style in br.STYLES else "whole"
        current = value if value is not None else self.value()
        labels = value_labels(style)
        self.style_button.set(br.STYLE_NAMES[style])
        self.value_button.configure(values=list(labels))
        best = min(labels.items(), key=lambda kv: abs(kv[1] - (current or 6.0)))
        self.value_button.set(best[0])
        self._show_value()

    def _style_clicked(self, name: str) -> None:
        self.set_style(STYLE_KEYS.get(name, "whole"))

    def style(self) -> str:
        return STYLE_KEYS.get(self.style_button.get(), "whole")

    def value(self) -> float | None:
        return value_labels(self.style()).get(self.value_button.get())

    def _show_value(self) -> None:
        self.plan_note.configure(text="")

    def read_options(self) -> br.BaseRatingOptions:
        """Every widget read here, on the main thread, before a job starts."""
        library = self.library_menu.get()
        if library not in self.libraries:
            raise ValueError("Choose a music library first (sign in on the Plex tab).")
        value = self.value()
        if value is None:
            raise ValueError("Choose the base rating.")
        newest = None
        if self.newest_var.get():
            try:
                newest = int(self.newest_count.get().strip())
            except ValueError:
                newest = 0
            if newest < 1:
                raise ValueError("'Only the newest' needs a number of tracks, 1 or more.")
        return br.BaseRatingOptions(
            library,
            value,
            self.style(),
            override_program=bool(self.override_var.get()),
            override_user=bool(self.override_mine_var.get()),
            newest=newest,
            since_last_run=bool(self.since_var.get()),
        )

    def _save(self, opts: br.BaseRatingOptions) -> None:
        self.remember(
            library=opts.library,
            style=opts.style,
            value=opts.value,
            newest_on=opts.newest is not None,
            newest=opts.newest or self.newest_count.get(),
            since_last_run=opts.since_last_run,
            override_program=opts.override_program,
        )

    # --- libraries -------------------------------------------------------------------------

    def music_libraries_listed(self, names: list[str]) -> None:
        super().music_libraries_listed(names)
        self._show_last_run()

    def _show_last_run(self) -> None:
        lib = self.library_menu.get()
        last = br.last_run_start(self.app.journal, lib) if lib in self.libraries else None
        text = time.strftime("(last: %Y-%m-%d %H:%M)", time.localtime(last)) if last else ""
        self.last_run_label.configure(text=text or "(no run yet)")

    def on_show(self) -> None:
        self._show_last_run()

    # --- preview, apply, reset ----------------------------------------------------------------

    def preview_plan(self, *, reset: bool = False) -> None:
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.window.show_error(str(exc))
            return
        self._save(opts)
        what = "base ratings to remove" if reset else "unrated tracks"
        self.preview_job(
            br.BaseRatingJob(self.app, opts, reset=reset),
            name=br.RESET_JOB if reset else br.JOB,
            phase=f"Reading {opts.library} for {what}…",
        )

    def preview_reset(self) -> None:
        self.preview_plan(reset=True)

    def plan_title(self, plan: Plan) -> str:
        lib = plan.options.get("library", "")
        if self.plan_job.reset:
            return f"Reset: remove {plural(len(plan), 'base rating')} from {lib}"
        title = f"Base rating {format_stars(plan.options['value'])} for {lib}"
        mine = plan.counts.get(br.REPLACES_MINE, 0)
        return title + (f" — replaces {mine:,} of YOUR ratings" if mine else "")

    def planned(self, plan: Plan, result: object) -> None:
        mine = 0 if self.plan_job.reset else plan.counts.get(br.REPLACES_MINE, 0)
        self.plan_note.configure(text=f"Replaces {mine:,} of YOUR OWN ratings" if mine else "")
        self.say(f"{self.plan_title(plan)}: {plural(len(plan), 'change')} planned.")

    def item_kind(self, change: Any) -> str:
        return "track"  # base ratings are track ratings

    def applied(self, report: Report | None) -> None:
        self._show_last_run()

    def plan_closed(self) -> None:
        self.plan_note.configure(text="")

    # --- watch --------------------------------------------------------------------------------

    @property
    def watching(self) -> bool:
        return self._watch_thread is not None and self._watch_thread.is_alive()

    def _watch_toggled(self) -> None:
        if self.watch_var.get():
            self.start_watch()
        else:
            self.stop_watch()

    def start_watch(self) -> None:
        """Rate tracks the server adds from now on, until switched off or the window closes."""
        if self.watching:
            return
        try:
            opts = self.read_options()
        except ValueError as exc:
            self.watch_var.set(False)
            self.window.show_error(str(exc))
            return
        cancel = threading.Event()
        post = self.window.runner.post

        def news(ev: Event) -> None:
            """Worker: the watch's log lines to this tab (its write progress is not shown)."""
            if isinstance(ev, Log):
                post(partial(self._watch_said, ev))

        ctx = JobContext(news, cancel)
        interval = self.watch_interval
        self._watch_cancel = cancel
        self._watch_thread = self.window.run_task(
            lambda: br.watch(
                self.app,
                opts,
                ctx,
                interval=interval,
                on_batch=lambda r: post(partial(self._watch_rated, r.changes)),
            ),
            self._watch_ended,
            name="base-rating-watch",
        )
        self.watch_var.set(True)
        self.watch_status.configure(
            text=f"watching {opts.library} ({format_stars(opts.value)}), {self.watch_rated} rated"
        )

    def stop_watch(self, wait: float = 0.0) -> None:
        if self._watch_cancel is not None:
            self._watch_cancel.set()
        if wait and self._watch_thread is not None:
            self._watch_thread.join(wait)
        self.watch_var.set(False)
        self.watch_status.configure(text="")

    def _watch_said(self, ev: Log) -> None:
        if ev.level >= 20:
            self.say(ev.text)

    def _watch_rated(self, changes: int) -> None:
        self.watch_rated += changes
        if self.watching:
            lib = self.library_menu.get()
            self.watch_status.configure(text=f"watching {lib}, {self.watch_rated} rated")
        self._show_last_run()

    def _watch_ended(self, ev: Finished) -> None:
        if ev.error and not ev.cancelled:
            self.window.show_error(f"Watch stopped: {ev.error}")
        self.watch_var.set(False)
        self.watch_status.configure(text="")

    def on_close(self) -> None:
        self.stop_watch(wait=1.0)

    def _destroyed(self, event: Any) -> None:
        if event.widget is self.frame and self._watch_cancel is not None:
            self._watch_cancel.set()


#: This tab, declared once (the window finds it; no list to edit).
ENTRY = TabEntry(
    "base_rating",
    "Base rating",
    "Give every track you have not rated a starting rating, so Plexamp's radios and DJs"
    " play it instead of skipping it.",
    order=40,
)
TAB = register_tab(ENTRY, BaseRatingTab)
