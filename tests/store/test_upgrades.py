"""Upgrades you can undo (issue 10): a backup beside the database before migrating it, said on stderr; a
database from a newer version or a failing migration gives one line, leaves the file as it was and names
the backup; corrupt settings files are kept aside, not overwritten."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from stopsearch_app.store import database
from stopsearch_app.store.database import DatabaseUpgradeError, make_engine, open_database


def _at_revision(path: Path, revision: str) -> None:
    engine = make_engine(f"sqlite:///{path}")
    config = database._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def _dump(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@pytest.fixture
def old_db(tmp_path, met_file):
    path = tmp_path / "user.db"
    _at_revision(path, "0002")
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE user_notes (text TEXT)")
        connection.execute("INSERT INTO user_notes VALUES ('kept through the upgrade')")
    return path


def test_an_upgrade_backs_up_first_and_says_so_on_stderr(old_db, capsys):
    from stopsearch_app.services.cli import main

    before = _dump(old_db)
    assert main(["--db", f"sqlite:///{old_db}", "stats", "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)  # stdout is still only the JSON
    backups = list(old_db.parent.glob("user.before-upgrade-from-0002-*.db"))
    assert len(backups) == 1 and str(backups[0]) in captured.err and "0002" in captured.err
    assert _dump(backups[0]) == before  # the old database, as it was
    assert (backups[0].stat().st_mode & 0o777) == 0o600
    engine = make_engine(f"sqlite:///{old_db}")
    assert database.current_revision(engine) == database.head_revision()
    engine.dispose()
    assert main(["--db", f"sqlite:///{old_db}", "stats", "--json"]) == 0  # already at head: no new backup
    assert len(list(old_db.parent.glob("user.before-upgrade-*"))) == 1


def test_a_failing_migration_restores_the_file_and_points_at_the_backup(old_db, monkeypatch):
    before = _dump(old_db)
    real_upgrade = command.upgrade

    def failing(config, revision):
        real_upgrade(config, revision)  # the migration ran...
        connection = config.attributes["connection"]
        connection.exec_driver_sql("DELETE FROM user_notes")
        raise RuntimeError("disk I/O error\nsecond line")  # ...then failed

    monkeypatch.setattr(command, "upgrade", failing)  # the module database.migrate imports
    with pytest.raises(DatabaseUpgradeError) as raised:
        open_database(f"sqlite:///{old_db}")
    message = str(raised.value)
    assert "\n" not in message and "restored" in message and "disk I/O error" in message
    backup = next(old_db.parent.glob("user.before-upgrade-from-0002-*.db"))
    assert str(backup) in message
    assert _dump(old_db) == before


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path, capsys):
    from stopsearch_app.services.cli import main

    path = tmp_path / "newer.db"
    open_database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    before = _dump(path)
    assert main(["--db", f"sqlite:///{path}", "stats"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "newer version" in err and "0099" in err
    assert _dump(path) == before and not list(tmp_path.glob("newer.before-upgrade-*"))


def test_a_corrupt_settings_file_is_kept_aside_not_overwritten(tmp_path):
    from stopsearch_app.settings import Settings

    path = tmp_path / "settings.json"
    for corrupt in ('{"user_name": "Sgt A", "rule_se', "[1, 2]", '{"rule_settings": 5, "user_name": ["x"]}'):
        path.write_text(corrupt, encoding="utf-8")
        settings = Settings.load(path)
        assert settings.rule_settings == {}
        kept = sorted(tmp_path.glob("settings.corrupt-*.json"))
        assert kept and kept[-1].read_text(encoding="utf-8") == corrupt
        assert settings.load_notice and str(kept[-1]) in settings.load_notice
        for old in kept:
            old.unlink()
    path.write_text(json.dumps({"schema_version": 2, "user_name": "Sgt A", "rule_settings": {}}), encoding="utf-8")
    assert Settings.load(path).user_name == "Sgt A" and not list(tmp_path.glob("settings.corrupt-*"))
