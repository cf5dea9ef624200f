"""The main window: header, one tab per job, shared progress row and log pane.

The window owns the single :class:`JobRunner`. Jobs run on its worker
thread and report through events; :meth:`App._poll` drains them every
50 ms on the main thread, which is the only thread that touches Tk.
"""

from __future__ import annotations

import logging
import sys
import time
import tkinter as tk
from collections import deque
from collections.abc import Callable
from typing import Any

import customtkinter as ctk

from ratings_gui import APP_TITLE
from ratings_gui.context import AppContext
from ratings_gui.gui.confirm import offer_backup, withdraw_offer
from ratings_gui.gui.dialogs import ConfirmDialog
from ratings_gui.gui.header import Header
from ratings_gui.gui.jobhost import POLL_MS, JobHost
from ratings_gui.gui.plan_preview import PlanPreview
from ratings_gui.gui.tabs import Tab, tab_class, tab_entries
from ratings_gui.gui.theme import quiet_system_theme
from ratings_gui.gui.widgets import (
    LogPane,
    ProgressRow,
    is_dark,
    readable_segments,
    style_treeviews,
)
from ratings_gui.jobs.runner import Finished, JobRunner
from ratings_gui.plex.connection import connect_direct
from ratings_gui.resources import icon_png

log = logging.getLogger(__name__)

#: Fits a 1366x768 laptop with its taskbar and title bar.
DEFAULT_GEOMETRY = "1240x680"
MIN_SIZE = (1040, 640)
#: Room kept free around the window for a taskbar and the title bar.
SCREEN_MARGIN = (20, 80)
#: The log drawer's height when open.
LOG_HEIGHT = 130
#: After a tab switch, when CTkTabview's own delayed hiding (100 ms) is done.
TAB_SETTLE_MS = 150
#: Closing waits this long for a cancelled job to stop.
CLOSE_JOIN_SECONDS = 2.0
#: After "Stop and close", how long the window waits for the write to settle.
CLOSE_WAIT_SECONDS = 10.0


#: The Appearance setting's choices (customtkinter's modes).
APPEARANCES = ("System", "Light", "Dark")


def select_all_on_ctrl_a(root: tk.Misc) -> None:
    """Ctrl+A selects all the text of an entry or a text box, as on every other program
    (Tk's own Ctrl+A moves to the line start)."""

    def entry_all(event: Any) -> str:
        event.widget.select_range(0, "end")
        event.widget.icursor("end")
        return "break"

    def text_all(event: Any) -> str:
        event.widget.tag_add("sel", "1.0", "end-1c")
        return "break"

    for seq in ("<Control-a>", "<Control-A>"):
        root.bind_class("Entry", seq, entry_all)
        root.bind_class("TEntry", seq, entry_all)
        root.bind_class("Text", seq, text_all)


def fit_geometry(geometry: str, screen_w: int, screen_h: int) -> str:
    """A remembered or default ``WxH+X+Y`` shrunk to the screen (never below the minimum).

    A size remembered on a large monitor must not open off the edge of a laptop.
    """
    size, _, pos = geometry.partition("+")
    try:
        w, h = (int(v) for v in size.split("x"))
    except ValueError:
        w, h = (int(v) for v in DEFAULT_GEOMETRY.split("x"))
        pos = ""
    w = max(MIN_SIZE[0], min(w, screen_w - SCREEN_MARGIN[0]))
    h = max(MIN_SIZE[1], min(h, screen_h - SCREEN_MARGIN[1]))
    out = f"{w}x{h}"
    if pos:
        try:
            x, y = (int(v) for v in pos.split("+")[:2])
        except ValueError:
            return out
        x = max(0, min(x, screen_w - w))
        y = max(0, min(y, screen_h - h))
        out += f"+{x}+{y}"
    return out


#: Seconds a thread may hold the GIL while another waits (Python's default: 0.005). Each Tcl
#: call the window makes takes the GIL back from the job's threads: at 0.2 ms a 50k preview's
#: longest stall was 24-25 ms against 39-46 at 1 ms, for 2-7 % of a CPU-bound job's speed.
SWITCH_INTERVAL = 0.0002


class App(JobHost, ctk.CTk):
    """The window. Attributes tests and tabs use: ``tabs``, ``tab_objects``, ``plex_tab``,
    ``history_tab``, ``preview``, ``log_pane``, ``progress``, ``runner``, ``header``."""

    def __init__(self, app: AppContext, *, appearance: str | None = None) -> None:
        """``appearance`` (System, Light, Dark): the user's setting when not given."""
        quiet_system_theme()  # "System" must not run a process on the Tk thread every 30 ms
        # the worker's turn with the GIL ends after 0.2 ms, not 5: every Tk callback needs it
        sys.setswitchinterval(SWITCH_INTERVAL)
        chosen = appearance or str(app.settings.get("appearance") or "System")
        ctk.set_appearance_mode(chosen if chosen.title() in APPEARANCES else "System")
        super().__init__()
        self.app = app
        self.runner = JobRunner()
        self._job_active = False
        self._later = deque()
        self._job_name = ""
        self._on_done: Callable[[Finished], None] | None = None
        self._poll_id: str | None = None
        self._dark = is_dark()
        self._preview: PlanPreview | None = None
        self._closing = False
        self._job_writes = False
        self.close_dialog: Any = None

        self._place_window()
        self._build_parts()
        shown = self.current_tab()
        if shown is not None:
            shown.ensure_built()  # the first tab on screen; the others when first opened
        self.protocol("WM_DELETE_WINDOW", self.close)
        self._show_context()
        self._poll_id = self.after(POLL_MS, self._poll)
        if getattr(self.app.settings, "load_error", None):
            self.log_line(self.app.settings.load_error)

    def _place_window(self) -> None:
        """Title, the remembered size fitted to this screen, icon, table style, Ctrl+A."""
        self.title(APP_TITLE)
        self.minsize(*MIN_SIZE)  # the widest tab row (Inference: library, passes, mood tag) fits
        geometry = fit_geometry(
            str(self.app.settings.get("window_geometry") or DEFAULT_GEOMETRY),
            self.winfo_screenwidth(),
            self.winfo_screenheight(),
        )
        try:
            self.geometry(geometry)
        except tk.TclError:
            self.geometry(DEFAULT_GEOMETRY)
        self._set_icon()
        style_treeviews(self)
        select_all_on_ctrl_a(self)

    def _build_parts(self) -> None:
        """Header, the tabs (each found by its module), the progress row and the log drawer."""
        self.grid_columnconfigure(0, weight=1)
        self.grid_rowconfigure(1, weight=1)
        self.header = Header(self)
        self.header.grid(row=0, column=0, sticky="ew")

        # The tab bar is the first thing read: the theme's light-on-grey segments are too faint.
        self.tabs = ctk.CTkTabview(
            self, command=self._tab_changed, **readable_segments(tabview=True)
        )
        self.tabs.grid(row=1, column=0, sticky="nsew", padx=10, pady=(4, 0))
        self.tab_objects: dict[str, Tab] = {}
        for entry in tab_entries():
            frame = self.tabs.add(entry.title)
            self.tab_objects[entry.name] = tab_class(entry)(self, frame, entry)

        self.progress = ProgressRow(self, on_cancel=self.cancel_job, on_log=self.toggle_log)
        self.progress.grid(row=2, column=0, sticky="ew", padx=10, pady=(4, 6))
        # The log is a drawer: closed, the plan gets its height; the button counts new lines.
        self.log_pane = LogPane(self, height=LOG_HEIGHT)
        self._unread = 0
        self.log_open = False
        self.set_log_open(bool(self.app.settings.get("log_open")), remember=False)
        demo_folder = getattr(self.app, "demo_folder", None)
        if demo_folder:
            self.header.show_demo_folder(str(demo_folder))

    # --- tabs -------------------------------------------------------------------

    @property
    def plex_tab(self) -> Any:
        return self.tab_objects["plex"]

    @property
    def history_tab(self) -> Any:
        return self.tab_objects["history"]

    @property
    def preview(self) -> PlanPreview | None:
        """The plan preview that showed a plan last (whichever tab it lives in)."""
        return self._preview

    def preview_shown(self, preview: PlanPreview) -> None:
        self._preview = preview
        # a turn of its own: the offer is widgets made and measured (its plan checked then)
        self.later(lambda: offer_backup(self, preview))

    def preview_closed(self, preview: PlanPreview) -> None:
        """Its plan was applied or discarded: no backup offer stays for it."""
        withdraw_offer(self, preview)

    def select_tab(self, name: str) -> None:
        """Switch to a tab by its registry name and run its ``on_show`` (as a click would)."""
        self.tabs.set(self.tab_objects[name].title)
        self._tab_changed()

    def _tab_changed(self) -> None:
        current = self.tabs.get()
        for tab in self.tab_objects.values():
            if tab.title == current:
                tab.start_build()  # in parts: the window draws and answers between them
                tab.follow_journal()  # a result shown there may have been undone meanwhile
                tab.shown()  # on_show, once a tab built in parts is whole
        self._show_context()
        # CTkTabview hides the other tabs 100 ms after a switch; a second switch inside
        # those 100 ms lets the first one's hiding take the new tab too (a blank page).
        self.after(TAB_SETTLE_MS, self._show_current_tab)

    def _show_current_tab(self) -> None:
        """Put the selected tab back on screen if a late hide from an earlier switch took it."""
        try:
            current = self.tabs.get()
            if current and not self.tabs.tab(current).winfo_manager():
                self.tabs.set(current)
        except Exception:  # noqa: BLE001 - the window is closing
            pass

    def connection_changed(self) -> None:
        """Server or library changed: header, then every tab."""
        self._show_context()
        for tab in self.built_tabs():
            tab.on_connection_changed()  # a tab built later lists what it needs then

    def known_libraries(self) -> list[Any] | None:
        """The connected server's libraries as the Plex tab listed them (None: not yet)."""
        plex = self.tab_objects.get("plex")
        if plex is None or not plex.built or self.app.connection is None:
            return None
        listed = list(getattr(plex, "libraries", {}).values())
        return listed or None

    def built_tabs(self) -> list[Tab]:
        """The tabs whose widgets exist (a tab is built when first shown or asked for)."""
        return [t for t in self.tab_objects.values() if t.built]

    def current_tab(self) -> Tab | None:
        current = self.tabs.get()
        return next((t for t in self.tab_objects.values() if t.title == current), None)

    def _show_context(self) -> None:
        """Account, server and library in the header; the library is the one the shown tab
        works on (a music tab's own picker), else the window's."""
        conn = self.app.connection
        server = str(getattr(conn, "name", "") or "") if conn is not None else ""
        if conn is not None and conn.member:
            server += f" · as {conn.user_title}"  # whose ratings every tab shows
        tab = self.current_tab() if hasattr(self, "tab_objects") else None
        library = (tab.shown_library() if tab is not None else None) or self.app.library
        self.header.set(
            account=str(self.app.settings.get("account") or ""),
            server=server,
            library=str(library or "") if conn is not None else "",
        )

    @property
    def appearance(self) -> str:
        """System, Light or Dark, as the user chose it (System follows the computer)."""
        mode = str(self.app.settings.get("appearance") or "System").title()
        return mode if mode in APPEARANCES else "System"

    def set_appearance(self, mode: str) -> None:
        """Light, dark or as the system is: applied at once and kept for the next start."""
        mode = mode.title() if mode.title() in APPEARANCES else "System"
        ctk.set_appearance_mode(mode)
        self._dark = is_dark()
        style_treeviews(self)
        try:
            self.app.settings.set("appearance", mode)
        except Exception:  # noqa: BLE001 - an unwritable settings file must not matter here
            log.warning("appearance not saved", exc_info=True)

    def follow_journal(self) -> None:
        """After every job: each tab's shown run result follows the journal (an undo)."""
        for tab in self.built_tabs():
            try:
                tab.follow_journal()
            except Exception:  # noqa: BLE001 - one tab must not stop the others
                log.exception("tab %s could not follow the history", tab.name)

    # --- log ------------------------------------------------------------------------

    def log_line(self, text: str) -> None:
        """One timestamped line in the log pane (the pane masks secrets again)."""
        self.log_lines([text])

    def log_lines(self, texts: list[str]) -> None:
        """Timestamped lines in the log pane in one go: a job that logs hundreds of lines
        between two polls costs one insert and one scroll, not one each."""
        if not texts:
            return
        stamp = time.strftime("%H:%M:%S")
        self.log_pane.append_many([f"{stamp}  {text}" for text in texts])
        if not self.log_open:
            self._unread += len(texts)
            self.progress.log_button.configure(text=f"Show log ({self._unread})")

    def toggle_log(self) -> None:
        self.set_log_open(not self.log_open)

    def set_log_open(self, open_: bool, *, remember: bool = True) -> None:
        """Open or close the log drawer below the progress row (remembered)."""
        self.log_open = open_
        if open_:
            self.log_pane.grid(row=3, column=0, sticky="nsew", padx=10, pady=(0, 10))
            self._unread = 0
            self.progress.log_button.configure(text="Hide log")
        else:
            self.log_pane.grid_remove()
            self.progress.log_button.configure(
                text=f"Show log ({self._unread})" if self._unread else "Show log"
            )
        if remember:
            try:
                self.app.settings.set("log_open", open_)
            except Exception:  # noqa: BLE001 - an unwritable settings file must not matter here
                log.warning("log drawer state not saved", exc_info=True)

    def show_error(self, text: str) -> None:
        """An error the user must see: in the log and the message label, never a traceback."""
        self.log_line(f"Error: {text}")
        self.progress.error(text)

    # --- tests and lifecycle ---------------------------------------------------------

    def pump(self, until: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Process events until ``until()`` holds or ``timeout`` passes (tests drive the window so)."""
        deadline = time.monotonic() + timeout
        while True:
            self.update()
            if until():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)

    def _set_icon(self) -> None:
        try:
            self._icon = tk.PhotoImage(file=str(icon_png()))
            self.iconphoto(True, self._icon)
        except (OSError, tk.TclError):
            pass

    def close(self) -> None:
        """Window closed: during a write, ask first; then remember geometry, cancel, go."""
        if self._closing:
            return
        if self._job_active and self._job_writes and not self.cancel_requested:
            if self.close_dialog is not None and self.close_dialog.winfo_exists():
                self.close_dialog.lift()
                return
            self.close_dialog = ConfirmDialog(
                self,
                title="A write is running",
                text=(
                    "Ratings are being written now. Stop after the changes already sent "
                    "and close? What was written stays in History, where it can be undone."
                ),
                yes="Stop and close",
                no="Keep writing",
                on_answer=self._close_answered,
            )
            return
        self.close_now()

    def _close_answered(self, stop: bool) -> None:
        self.close_dialog = None
        if stop:
            self.cancel_job()
            self._close_when_idle(time.monotonic() + CLOSE_WAIT_SECONDS)

    def _close_when_idle(self, deadline: float) -> None:
        """Let the cancelled write settle its journal, then close."""
        if self._job_active and time.monotonic() < deadline:
            self.after(100, lambda: self._close_when_idle(deadline))
            return
        self.close_now()

    def close_now(self) -> None:
        """Close without asking (the job is cancelled and waited for briefly)."""
        try:
            self.app.settings.set("window_geometry", self.geometry())
        except Exception:  # noqa: BLE001 - an unwritable settings file must not block closing
            log.warning("window geometry not saved", exc_info=True)
        for tab in self.built_tabs():
            try:
                tab.on_close()
            except Exception:  # noqa: BLE001
                log.warning("tab %s failed to save its options", tab.name, exc_info=True)
        self.destroy()

    def destroy(self) -> None:
        """Cancel the job, wait briefly for it, then destroy (safe to call twice)."""
        if getattr(self, "_destroyed", False):
            return
        self._destroyed = True
        if not self._closing:
            self._closing = True
            if self._poll_id is not None:
                try:
                    self.after_cancel(self._poll_id)
                except (ValueError, tk.TclError):
                    pass
            self.runner.cancel()
            self.runner.join(CLOSE_JOIN_SECONDS)
        # customtkinter leaves after() callbacks behind; cancel them so none fires on a dead window.
        try:
            for after_id in self.tk.splitlist(self.tk.call("after", "info")):
                # Tcl-level cancel: each widget still deletes its own callback command.
                self.tk.call("after", "cancel", after_id)
        except tk.TclError:
            pass
        super().destroy()


def run_app(app: AppContext, *, appearance: str | None = None) -> int:
    """Open the window and run until it closes; the CLI's exit code."""
    window = App(app, appearance=appearance)
    window.mainloop()
    return 0


def open_demo(demo: Any, home: Any = None, *, verbose: bool = False) -> tuple[AppContext, App]:
    """The context and window of a started demo session, signed in to its server.

    ``home`` is the data folder (settings, history, logs); by default the
    session's own (``demo.data_home``, inside its folder): each demo starts
    with an empty History, its runs undo against its own server, and the
    folder goes when the demo ends.
    """
    app = AppContext.open(
        home if home is not None else demo.data_home, verbose=verbose, plextv_base=demo.url
    )
    try:
        app.demo = demo.server
        app.demo_folder = demo.folder
        app.set_connection(connect_direct(demo.url, demo.token))
        app.account_token = demo.token  # the demo's owner: its Plex Home can be switched to
        app.settings.update(
            {"server_url": demo.url, "server_name": app.connection.name, "account": "demo"}
        )
        app.library = app.settings.get("library") or "Music"
        demo.prefill(app.settings)
        return app, App(app)
    except BaseException:
        app.close()
        raise


def run_demo(demo: Any, home: Any = None, *, verbose: bool = False) -> int:
    """``--demo``: the window signed in to a started demo session, its folder named on
    stdout and in the header (the session removes the folder when the window closes).

    ``home``: ``--data-dir`` when given, else the session's own data folder.
    """
    # Lazy: the demo server and its sample library load only for --demo.
    from ratings_gui.demo.session import stop_on_signals

    if sys.stdout is not None:  # a windowed build has no console
        print("\n".join(demo.describe()), flush=True)
    app, window = open_demo(demo, home, verbose=verbose)
    try:

        def close() -> None:
            try:
                window.after(0, window.close_now)  # on the main thread, at the next poll
            except Exception:  # noqa: BLE001 - the window is already gone
                pass

        # Ctrl-C or a kill closes the window, so the demo's folder is removed then too.
        stop_on_signals(close)
        window.mainloop()
        return 0
    finally:
        app.close()
