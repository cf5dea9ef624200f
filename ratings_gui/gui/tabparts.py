"""A tab built in parts: one turn of the Tk thread each, so its first showing never stalls.

A tab's widgets take 100 to 250 ms to make (customtkinter draws each on a
Canvas); a :meth:`build` that yields is made a part at a time, the
window drawing and answering between the parts. Anything that asks for a
widget of a part not made yet gets the rest of the tab made first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: Between two parts of a tab's build (after the last part is drawn).
BUILD_STEP_MS = 1


class BuiltInParts:
    """A part of :class:`~ratings_gui.gui.tabs.Tab` (a mixin): its build, whole or in parts."""

    window: Any
    frame: Any
    built: bool

    def build(self) -> Iterator[None] | None:
        """Create the widgets; a generator builds in parts (each ``yield`` ends one)."""

    def set_busy(self, busy: bool) -> None:
        """A job started or ended: the tab's start buttons follow."""

    def on_show(self) -> None:
        """The user switched to this tab."""

    def init_parts(self) -> None:
        #: The parts still to come (:meth:`build` yields), one a Tk turn.
        self._steps: Iterator[None] | None = None
        self._building = False
        self._step_job: str | None = None

    def ensure_built(self) -> None:
        """The whole tab, now (something asked for it): built, or its parts still to come
        built at once."""
        self.start_build()
        self.finish_build()

    def start_build(self) -> None:
        """Build the tab's widgets if they are not yet (the tab is shown).

        A :meth:`build` that yields is built in parts: the first now, each
        next one on a later turn of the Tk thread (a tab's widgets take 100 to
        250 ms to make; in one turn the window would stand still that long).
        """
        if self.built:
            return
        self.built = True
        steps = self.build()
        if steps is None:
            self._built_all()
            return
        self._steps = steps
        self._step()

    @property
    def building(self) -> bool:
        """Parts of the tab are still to be built (on the next turns)."""
        return self._steps is not None

    def _step(self) -> None:
        """One part of the build; the next one after the Tk thread has drawn this one."""
        self._step_job = None
        steps = self._steps
        if steps is None:
            return
        self._building = True
        try:
            next(steps)
        except StopIteration:
            self._steps = None
        finally:
            self._building = False
        if self._steps is None:
            self._built_all()
            return
        # after the idle work (the part's drawing), not before it
        self.frame.after_idle(self._later_step)

    def _later_step(self) -> None:
        if self._steps is not None and self._step_job is None:
            self._step_job = self.frame.after(BUILD_STEP_MS, self._step)

    def finish_build(self) -> None:
        """Every part still to come, now (something needs the whole tab)."""
        steps = self._steps
        if steps is None or self._building:
            return
        if self._step_job is not None:
            self.frame.after_cancel(self._step_job)
            self._step_job = None
        self._building = True
        try:
            for _ in steps:
                pass
        finally:
            self._steps = None
            self._building = False
        self._built_all()

    def _built_all(self) -> None:
        if self.window.job_running:  # not just its end still showing: the buttons are back
            self.set_busy(True)
        if self.__dict__.pop("_show_when_built", False):
            self.on_show()

    def shown(self) -> None:
        """The user switched to this tab: :meth:`on_show` now, or once the parts are built
        (it would ask for their widgets and build them all in this one turn)."""
        if self.building:
            self._show_when_built = True
        else:
            self.on_show()

    def __getattr__(self, name: str) -> Any:
        """A widget asked for before the tab was built (or before its part was): build it,
        then answer."""
        if name.startswith("__"):
            raise AttributeError(name)
        state = self.__dict__
        if not state.get("built", True):
            self.start_build()
        if state.get("_steps") is not None and not state.get("_building"):
            self.finish_build()
        return object.__getattribute__(self, name)
