"""Test set-up: headless Qt before anything imports it, temporary databases, the real police.uk files."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from stopsearch_app.resources import resource_path  # noqa: E402

POLICEUK = resource_path("data", "policeuk")
MET_SEPTEMBER_2022 = POLICEUK / "kostis-christodoulou_am10.mam2023__2022-09-metropolitan-stop-and-search.csv"


@pytest.fixture(autouse=True)
def _isolated_user_folders(tmp_path_factory, monkeypatch):
    """Settings and default databases go to a temporary home, never the developer's own."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))  # PostgreSQL's columnar cache (store/columnar.py)
    monkeypatch.delenv("STOPSEARCH_DB", raising=False)


@pytest.fixture
def db_url(tmp_path) -> str:
    """A new SQLite file per test, or, with STOPSEARCH_TEST_POSTGRES set to a server URL
    (``make test-postgres``), a new PostgreSQL database per test: the same code runs on both."""
    server = os.environ.get("STOPSEARCH_TEST_POSTGRES")
    if not server:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    from uuid import uuid4

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"stopsearch_test_{uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(server).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url):
    from stopsearch_app.store.database import open_database

    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def met_file(tmp_path) -> Path:
    """The Met September 2022 archive file under its police.uk name."""
    target = tmp_path / "2022-09-metropolitan-stop-and-search.csv"
    shutil.copy(MET_SEPTEMBER_2022, target)
    return target


@pytest.fixture
def write_file(tmp_path):
    def write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write
