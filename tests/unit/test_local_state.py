"""Issue 9: local RocksDB tables are kept only after a clean stop; after a crash they are
discarded and rebuilt from the changelogs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.adapters.local_state import MARKER, LocalState
from hub.errors import ConfigError


def tables(tmp_path: Path) -> Path:
    directory = tmp_path / "v1" / "tables"
    (directory / "episodes-0.db").mkdir(parents=True)
    (directory / "episodes-0.db" / "000001.sst").write_bytes(b"local data")
    return directory


def test_tables_left_by_a_crash_are_discarded(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    assert LocalState(directory, persistent=True).open() is True
    assert not directory.exists()


def test_tables_after_a_clean_stop_are_kept_and_the_next_run_must_stop_cleanly_too(
        tmp_path: Path) -> None:
    directory = tables(tmp_path)
    first = LocalState(directory, persistent=True)
    first.stopped_cleanly()
    assert (directory / MARKER).exists()
    second = LocalState(directory, persistent=True)
    assert second.open() is False and (directory / "episodes-0.db").exists()
    assert not (directory / MARKER).exists()  # a crash of this run leaves no marker behind
    assert LocalState(directory, persistent=True).open() is True  # ... and is discarded


def test_a_first_start_and_the_memory_store_have_nothing_to_discard(tmp_path: Path) -> None:
    assert LocalState(tmp_path / "absent", persistent=True).open() is False
    directory = tables(tmp_path)
    assert LocalState(directory, persistent=False).open() is False
    assert directory.exists()


def test_tables_that_cannot_be_discarded_are_one_line_naming_the_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk refuses (permissions, a read-only mount): the worker stops with one line that
    names the folder and what to do, not a traceback (the CLI prints ConfigError as one line)."""
    directory = tables(tmp_path)

    def refuse(path: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("hub.adapters.local_state.shutil.rmtree", refuse)
    with pytest.raises(ConfigError, match=f"HUB_DATA_DIR: cannot discard .*{directory.name}"):
        LocalState(directory, persistent=True).open()
