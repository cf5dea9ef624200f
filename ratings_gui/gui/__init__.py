"""The desktop window: a thin customtkinter shell over the same jobs the CLI runs.

This package is the only place that imports customtkinter or tkinter, so
the rest of the program stays importable (and testable) without a display.
"""

from __future__ import annotations
