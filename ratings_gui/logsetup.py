"""Logging: a rolling file and one file per run, UTF-8, secrets filtered on every handler.

The Plex token must never reach a log line. Every handler the program adds
gets a :class:`SecretsFilter`; the token is registered the moment it is known.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
#: Token-looking query parameters and headers, masked even if never registered.
_PATTERNS = (
    re.compile(r"(X-Plex-Token[=:\"'\s]+)([^&\s\"',;]+)", re.IGNORECASE),
    re.compile(r"([?&]token=)([^&\s\"']+)", re.IGNORECASE),
    re.compile(r"(authToken[=:\"'\s]+)([^&\s\"',;<>]+)", re.IGNORECASE),
)
MASK = "********"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def add_secret(secret: str | None) -> None:
    """Register a value (a token) that must be masked wherever text leaves the program."""
    if secret and len(secret) >= 4:
        with _LOCK:
            _SECRETS.add(secret)


def redact(text: str) -> str:
    """Mask registered secrets and token-looking parameters in ``text``."""
    if not text:
        return text
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for s in secrets:
        if s in text:
            text = text.replace(s, MASK)
    for pat in _PATTERNS:
        text = pat.sub(lambda m: m.group(1) + MASK, text)
    return text


class SecretsFilter(logging.Filter):
    """Rewrites each record's final message with secrets masked (args included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not drop the record
            msg = str(record.msg)
        record.msg = redact(msg)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _handler_with_filter(handler: logging.Handler) -> logging.Handler:
    handler.addFilter(SecretsFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def setup_logging(log_dir: Path | None, *, verbose: bool = False) -> None:
    """Root logging: rolling file in ``log_dir`` and stderr when there is one (not in a windowed exe)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for h in list(root.handlers):
        if getattr(h, "_ratings_gui", False):
            root.removeHandler(h)
            h.close()
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        fh = RotatingFileHandler(
            log_dir / "ratings_gui.log",
            maxBytes=2_000_000,
            backupCount=5,
            encoding="utf-8",
            errors="backslashreplace",  # a path with non-UTF-8 bytes is logged, not lost
        )
        fh._ratings_gui = True  # type: ignore[attr-defined]
        root.addHandler(_handler_with_filter(fh))
    if sys.stderr is not None and verbose:
        sh = logging.StreamHandler(sys.stderr)
        sh._ratings_gui = True  # type: ignore[attr-defined]
        sh.setLevel(logging.DEBUG)
        root.addHandler(_handler_with_filter(sh))
    # plexapi logs requests at DEBUG with URLs; keep it quiet and filtered too.
    logging.getLogger("plexapi").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)


class RunLog:
    """One log file per run (``runs/<time>-<job>-<id>.log``), removed from root at close."""

    def __init__(self, log_dir: Path, job: str, run_id: int | None) -> None:
        runs = log_dir / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.path = runs / f"{stamp}-{job}-{run_id if run_id is not None else 'dry'}.log"
        self.handler = _handler_with_filter(
            logging.FileHandler(self.path, encoding="utf-8", errors="backslashreplace")
        )
        logging.getLogger().addHandler(self.handler)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
