"""Local table data is trusted only after a clean stop.

Faust's RocksDB store writes to local disk at once and, at start-up, replays the changelog on top
of what it finds. After a crash the local files can hold writes whose changelog records never
reached Kafka, and a worker that kept them would disagree with the one that takes the partition
over. As Kafka Streams does under exactly-once, a worker that did not stop cleanly throws its local
table data away and rebuilds it from the changelogs (what Kafka has is the truth).

A marker file says "the last run stopped cleanly". It is removed when a worker starts and written
back only when the worker returns normally, so SIGKILL, an OOM kill or a power cut leave no marker.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hub.errors import ConfigError
from hub.logs import get_logger

log = get_logger("hub.local_state")
MARKER = ".clean-stop"


class LocalState:
    def __init__(self, tabledir: Path, *, persistent: bool):
        self._dir = tabledir
        self._persistent = persistent  # memory:// keeps nothing across a stop

    @property
    def marker(self) -> Path:
        return self._dir / MARKER

    def open(self) -> bool:
        """Before the worker starts: discard local tables left by an unclean stop. True when
        data was discarded."""
        if not self._persistent or not self._dir.is_dir():
            return False
        if self.marker.exists():
            self.marker.unlink()
            return False
        if not any(self._dir.iterdir()):
            return False
        log.warning("local_state.discarded", reason="the last run did not stop cleanly",
                    rebuild="from the changelog topics")
        try:
            shutil.rmtree(self._dir)
        except OSError as exc:  # one line naming the folder, not a traceback
            raise ConfigError(f"HUB_DATA_DIR: cannot discard the tables left by an unclean "
                              f"stop in {self._dir} ({exc.strerror}); remove them by hand "
                              "or fix the permissions") from exc
        return True

    def stopped_cleanly(self) -> None:
        """After the worker returned normally (its stores are flushed and closed)."""
        if self._persistent and self._dir.is_dir():
            self.marker.write_text("the last run stopped cleanly\n", encoding="utf-8")
