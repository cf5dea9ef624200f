"""One demo session: the demo server plus ONE folder with its sample exports and music.

``python -m ratings_gui --demo`` and ``python -m ratings_gui.demo`` both
start it, print where the folder is, and remove the folder when they end,
so a demo never leaves files behind. The Tags mapping for the music and the
Import tab's starting folder point into it.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from ratings_gui.demo.exports import write_sample_exports
from ratings_gui.demo.home import home_summary
from ratings_gui.demo.library import DemoLibrary
from ratings_gui.demo.server import DemoServer

README = """Demo files of ratings_gui (removed when the demo ends)

music/    small real audio files of the demo library, as the demo server sees them
          under {server_root}. Tags tab mapping: {rule}
exports/  sample rating exports for the Import tab:
{exports}
app-data/ this demo's own settings, history and logs (a new demo starts with an empty History)
"""


class DemoSession:
    """The demo server and its folder; a context manager that cleans up after itself."""

    def __init__(
        self,
        *,
        seed: int = 1,
        tracks: int = 1500,
        movies: int = 60,
        shows: int = 8,
        token: str = "demo-token",
        folder: Path | None = None,
    ) -> None:
        self.lib = DemoLibrary.generate(seed=seed, tracks=tracks, movies=movies, shows=shows)
        self.token = token
        self._own_folder = folder is None
        self.folder = (
            Path(folder)
            if folder is not None
            else Path(tempfile.mkdtemp(prefix="ratings-gui-demo-"))
        )
        self.server: DemoServer | None = None
        self.exports: dict[str, Path] = {}

    @property
    def music(self) -> Path:
        return self.folder / "music"

    @property
    def data_home(self) -> Path:
        """The window's data folder for this session: settings, history (journal), logs.

        Inside the demo's folder, so it goes with it: a new demo never shows
        the runs of an earlier one, whose items and files no longer exist.
        """
        return self.folder / "app-data"

    @property
    def url(self) -> str:
        return self.server.url if self.server is not None else ""

    @property
    def mapping_rule(self) -> str:
        """The Tags tab's rule: the server's music folder = the demo's music folder here."""
        return f"{self.lib.media_root}={self.music}"

    def start(self, port: int = 0) -> str:
        """Write the music and the sample exports, start the server; returns its URL."""
        try:
            self.server = DemoServer(self.lib, token=self.token, media_dir=self.music)
            url = self.server.start(port)
            self.exports = write_sample_exports(self.lib, self.folder / "exports")
            listing = "\n".join(f"          {p.name}" for p in self.exports.values())
            (self.folder / "README.txt").write_text(
                README.format(
                    server_root=self.lib.media_root, rule=self.mapping_rule, exports=listing
                ),
                encoding="utf-8",
            )
        except BaseException:
            self.stop()
            raise
        return url

    def describe(self) -> list[str]:
        """What the user needs to try the demo, as printed on stdout."""
        lines = [
            f"Demo Plex server: {self.url}",
            f"Token: {self.token}",
            f"Sign-in page: {self.url}/auth",
            f"Plex Home users: {home_summary()}",
            f"Demo files (removed when the demo ends): {self.folder}",
            f"  Music files: {self.music} (the server sees them under {self.lib.media_root})",
            f"  Tags mapping: {self.mapping_rule}",
            f"  Sample exports: {self.folder / 'exports'}",
            f"  Settings and history of this demo: {self.data_home}",
        ]
        lines += [f"    {p.name}" for p in self.exports.values()]
        return lines

    def prefill(self, settings: Any) -> None:
        """Point the Tags mapping at the demo's music and Import at its first sample.

        The folder is new each time, so the remembered values of the last
        demo would point at a folder that no longer exists.
        """
        tags = settings.tab("tags")
        tags["rules"] = self.mapping_rule
        settings.set_tab("tags", tags)
        imp = settings.tab("import")
        current = str(imp.get("path") or "")
        if not current or not Path(current).exists():
            imp["path"] = str(self.exports.get("imdb", ""))
            settings.set_tab("import", imp)

    def stop(self) -> None:
        """Stop the server and remove the folder (only a folder this session made)."""
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> DemoSession:
        if self.server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def stop_on_signals(stop: Callable[[], None] | None = None) -> None:
    """Ctrl-C and a polite kill end the demo through its clean-up.

    ``stop`` runs on such a signal (the window passes its own close: an
    exception raised in a Tk callback never leaves ``mainloop``); without it
    the signal raises KeyboardInterrupt. A process started in the background
    may inherit an ignored SIGINT; the demo wants it back, and SIGTERM (or
    closing a console) too.
    """

    def handler(_signum: int, _frame: object) -> None:
        if stop is None:
            raise KeyboardInterrupt
        stop()

    for name in ("SIGINT", "SIGTERM", "SIGBREAK", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                signal.signal(sig, handler)
            except (OSError, ValueError):
                pass
