"""Issue 9: local RocksDB tables are kept only after a clean stop; after a crash they are
discarded and rebuilt from the changelogs."""

from __future__ import annotations

from pathlib import Path

from hub.adapters.local_state import MARKER, LocalState


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
