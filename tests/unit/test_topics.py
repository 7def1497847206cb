"""The names start-up prepares are the ones the stages use: the table changelogs created before
Faust starts must be every table the app registers, or a write races the declaration."""

from __future__ import annotations

from pathlib import Path

from agents.app import create_app
from hub.config import Settings
from hub.topic_names import TABLES, changelogs


def test_start_up_creates_the_changelog_of_every_table_the_stages_use(tmp_path: Path) -> None:
    settings = Settings(store="memory://", data_dir=str(tmp_path), app_id="tcm-hub-names")
    app = create_app(settings)
    assert sorted(app.tables) == sorted(TABLES)
    assert sorted(changelogs(settings.app_id)) == sorted(
        table.changelog_topic.get_topic_name() for table in app.tables.values())
