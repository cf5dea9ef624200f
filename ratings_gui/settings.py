"""Where the program keeps things, the user's settings, and the Plex token.

Everything the program stores lives under one folder: the platformdirs
user folders by default, or ``--data-dir`` / ``RATINGS_GUI_HOME`` (tests
and portable installs use that). The token goes to the OS keyring; with no
keyring backend the user chooses "this session only" or the settings file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratings_gui import APP_NAME

log = logging.getLogger(__name__)

ENV_HOME = "RATINGS_GUI_HOME"
KEYRING_SERVICE = "ratings_gui:plex"


@dataclass(frozen=True)
class Paths:
    """The program's folders: config (settings.json), data (journal), logs."""

    config: Path
    data: Path
    logs: Path

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def journal_file(self) -> Path:
        return self.data / "journal.sqlite3"

    def ensure(self) -> Paths:
        for p in (self.config, self.data, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> Paths:
    """``--data-dir`` wins, then ``RATINGS_GUI_HOME``, then the platform's user folders."""
    home = data_dir or os.environ.get(ENV_HOME)
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config", root / "data", root / "logs")
    import platformdirs

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )


class Settings:
    """A JSON settings file written atomically; ``get``/``set`` by dotted-free keys.

    Keys used by the program: ``client_id``, ``server_url``, ``server_name``,
    ``library``, ``account``, ``window_geometry``, ``token_storage``
    (``keyring``/``file``/``session``), ``token`` (only with ``file``), and
    one dict per tab under ``tab.<name>``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {}
        self.load_error: str | None = None
        if path.exists():
            try:
                self._data = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(self._data, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as exc:
                # A broken settings file must not stop the program; keep a copy.
                self.load_error = f"settings file could not be read ({exc}); defaults used"
                log.warning(self.load_error)
                self._data = {}
                try:
                    path.replace(path.with_suffix(".broken.json"))
                except OSError:
                    pass

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(key, default)

    def set(self, key: str, value: Any, *, save: bool = True) -> None:
        with self._lock:
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value
        if save:
            self.save()

    def update(self, values: dict[str, Any]) -> None:
        with self._lock:
            for k, v in values.items():
                if v is None:
                    self._data.pop(k, None)
                else:
                    self._data[k] = v
        self.save()

    def tab(self, name: str) -> dict[str, Any]:
        """A copy of one tab's remembered options."""
        return dict(self.get(f"tab.{name}", {}) or {})

    def set_tab(self, name: str, options: dict[str, Any]) -> None:
        self.set(f"tab.{name}", dict(options))

    def save(self) -> None:
        with self._lock:
            text = json.dumps(self._data, indent=2, sort_keys=True, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def client_id(self) -> str:
        """A random identifier made once per installation (X-Plex-Client-Identifier)."""
        cid = self.get("client_id")
        if not cid:
            cid = str(uuid.uuid4())
            self.set("client_id", cid)
        return str(cid)


class TokenStoreError(RuntimeError):
    """The token could not be kept where the user asked."""


class TokenStore:
    """The Plex token: OS keyring first; else this session only or the settings file.

    ``storage`` is ``keyring``, ``session`` or ``file``. With no keyring
    backend, :meth:`keyring_available` is False and the window asks the user
    which of the other two to use; the CLI uses the session.
    """

    def __init__(self, settings: Settings, account: str = "default") -> None:
        self.settings = settings
        self.account = account
        self._session_token: str | None = None

    @staticmethod
    def keyring_available() -> bool:
        try:
            import keyring
            from keyring.backends import fail

            kr = keyring.get_keyring()
            if isinstance(kr, fail.Keyring):
                return False
            # chainer with no usable backends is also "none"
            return getattr(kr, "priority", 1) > 0
        except Exception:  # noqa: BLE001 - any backend failure means "no keyring"
            return False

    @property
    def storage(self) -> str:
        return str(self.settings.get("token_storage") or "keyring")

    def save(self, token: str, storage: str | None = None) -> str:
        """Keep the token; returns where it went. Raises TokenStoreError for keyring trouble."""
        storage = storage or self.storage
        self._session_token = token
        if storage == "keyring":
            try:
                import keyring

                keyring.set_password(KEYRING_SERVICE, self.account, token)
            except Exception as exc:  # noqa: BLE001
                raise TokenStoreError(
                    "No system keyring is available to keep the Plex token. "
                    "Choose 'this session only' or 'settings file'."
                ) from exc
            self.settings.update({"token_storage": "keyring", "token": None})
        elif storage == "file":
            self.settings.update({"token_storage": "file", "token": token})
        else:
            self.settings.update({"token_storage": "session", "token": None})
        return storage

    def load(self) -> str | None:
        if self._session_token:
            return self._session_token
        storage = self.storage
        if storage == "file":
            tok = self.settings.get("token")
            return str(tok) if tok else None
        if storage == "keyring":
            try:
                import keyring

                return keyring.get_password(KEYRING_SERVICE, self.account)
            except Exception:  # noqa: BLE001
                return None
        return None

    def forget(self) -> None:
        """Sign out: the token leaves the keyring, the settings file and memory."""
        self._session_token = None
        try:
            import keyring

            keyring.delete_password(KEYRING_SERVICE, self.account)
        except Exception:  # noqa: BLE001 - nothing stored, or no backend
            pass
        self.settings.update({"token": None})
