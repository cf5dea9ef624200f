"""Settings file, data folder override, client id, and where the token is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from ratings_gui.settings import Settings, TokenStore, TokenStoreError, resolve_paths


def test_data_dir_and_env_move_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = resolve_paths(tmp_path / "a")
    assert p.journal_file.is_relative_to(tmp_path / "a") and p.logs.is_relative_to(tmp_path / "a")
    monkeypatch.setenv("RATINGS_GUI_HOME", str(tmp_path / "b"))
    assert resolve_paths().settings_file.is_relative_to(tmp_path / "b")
    assert resolve_paths(tmp_path / "c").data.is_relative_to(tmp_path / "c")  # --data-dir wins


def test_settings_roundtrip_and_client_id_kept(tmp_path: Path) -> None:
    s = Settings(tmp_path / "s.json")
    cid = s.client_id()
    s.set_tab("base", {"stars": 3})
    s2 = Settings(tmp_path / "s.json")
    assert s2.client_id() == cid and len(cid) == 36
    assert s2.tab("base") == {"stars": 3}


def test_broken_settings_file_uses_defaults(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text("{not json", encoding="utf-8")
    s = Settings(tmp_path / "s.json")
    assert s.get("library") is None and s.load_error
    assert (tmp_path / "s.broken.json").exists()


def test_token_in_keyring_and_sign_out(tmp_path: Path, memory_keyring: dict) -> None:
    s = Settings(tmp_path / "s.json")
    ts = TokenStore(s)
    assert TokenStore.keyring_available()
    assert ts.save("tok-123") == "keyring"
    assert "tok-123" not in (tmp_path / "s.json").read_text(encoding="utf-8")
    assert TokenStore(Settings(tmp_path / "s.json")).load() == "tok-123"
    ts.forget()
    assert TokenStore(Settings(tmp_path / "s.json")).load() is None
    assert not memory_keyring


def test_no_keyring_says_so_and_offers_choices(tmp_path: Path, no_keyring: None) -> None:
    s = Settings(tmp_path / "s.json")
    ts = TokenStore(s)
    assert not TokenStore.keyring_available()
    with pytest.raises(TokenStoreError, match="keyring"):
        ts.save("tok-1")
    assert ts.save("tok-1", storage="session") == "session"
    assert TokenStore(Settings(tmp_path / "s.json")).load() is None  # gone with the session
    assert ts.save("tok-2", storage="file") == "file"
    assert TokenStore(Settings(tmp_path / "s.json")).load() == "tok-2"
    ts.forget()
    assert "tok-2" not in (tmp_path / "s.json").read_text(encoding="utf-8")
