"""UI fixtures: an application context on a temporary database."""

from __future__ import annotations

import pytest

from stopsearch_app.settings import Settings


@pytest.fixture
def context(engine, tmp_path, qapp):
    from stopsearch_app.ui.context import AppContext

    settings = Settings(user_name="Sgt Tester", user_confirmed=True)
    return AppContext.open(engine, settings, settings_path=tmp_path / "settings.json")


@pytest.fixture
def loaded_context(context, met_file):
    from tests.helpers import import_paths

    import_paths(context.engine, met_file)
    context.labels.refresh()
    return context


@pytest.fixture(autouse=True)
def _no_threads_left_running(qapp):
    yield
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(10_000)
