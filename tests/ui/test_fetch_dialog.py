"""File → Download from police.uk…: force and month pickers, the download off the UI thread with
progress and cancel, against a local server replaying real police.uk API answers."""

from __future__ import annotations

import pytest

from stopsearch_app.io.policeuk_api import PoliceUkApi
from stopsearch_app.store.queries import stats
from stopsearch_app.ui.about_dialog import AboutDialog
from stopsearch_app.ui.fetch_dialog import FetchDialog, force_choices, months_text
from tests.fake_policeuk import FORCE, FakePoliceUk


@pytest.fixture
def api_server():
    with FakePoliceUk() as server:
        yield server


def open_dialog(qtbot, context, server, tmp_path) -> FetchDialog:
    dialog = FetchDialog(context, base_url=server.base_url, cache_folder=tmp_path / "raw")
    qtbot.addWidget(dialog)
    dialog.force_box.setCurrentIndex(dialog.force_box.findData(FORCE))
    dialog.show()
    dialog.find_months()
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled(), timeout=10_000)
    return dialog


def test_the_force_list_is_police_uk_s(qapp):
    slugs = [slug for slug, _name in force_choices()]
    assert len(slugs) == len(set(slugs)) == 45
    assert {"metropolitan", "city-of-london", "btp", FORCE} <= set(slugs)


def test_months_are_offered_newest_first_and_a_range_downloads(qtbot, context, api_server, tmp_path):
    dialog = open_dialog(qtbot, context, api_server, tmp_path)
    offered = [dialog.from_box.itemText(i) for i in range(dialog.from_box.count())]
    assert offered == ["2024-01", "2023-07", "2023-01"]
    # listed by police.uk but not for this force: said
    assert "Not published for this force: 2023-02 – 2023-06, 2023-08 – 2023-12." in dialog.status.text()
    dialog.from_box.setCurrentText("2023-01")
    dialog.to_box.setCurrentText("2024-01")
    changed = []
    context.notifier.records_changed.connect(lambda: changed.append(1))
    with qtbot.waitSignal(dialog.finished_fetch, timeout=30_000) as result:
        dialog.download_button.click()
        assert dialog.is_running() and not dialog.download_button.isEnabled()
    report = result.args[0]
    assert report.months_fetched == ["2023-01", "2023-07", "2024-01"]
    assert report.imports.imported == api_server.served_records() == stats(context.engine).records
    assert "290 searches imported" in dialog.status.text()
    assert changed  # the other views reload
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5_000)
    assert dialog.cancel_button.text() == "Close"


def test_a_failed_month_is_named_in_the_dialog(qtbot, context, api_server, tmp_path):
    dialog = open_dialog(qtbot, context, api_server, tmp_path)
    api_server.fail["2024-01"] = 404  # not transient: no retry wait
    dialog.from_box.setCurrentText("2023-07")
    dialog.to_box.setCurrentText("2024-01")
    with qtbot.waitSignal(dialog.finished_fetch, timeout=30_000) as result:
        dialog.start()
    assert [item["month"] for item in result.args[0].months_failed] == ["2024-01"]
    assert "Failed (download again to complete): 2024-01" in dialog.status.text()
    assert "53 searches imported" in dialog.status.text()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5_000)


def test_cancel_stops_before_the_next_month(qtbot, context, api_server, tmp_path):
    dialog = open_dialog(qtbot, context, api_server, tmp_path)
    api_server.delay = 0.4  # every answer takes a while: time to press Cancel
    dialog.from_box.setCurrentText("2023-01")
    dialog.to_box.setCurrentText("2024-01")
    with qtbot.waitSignal(dialog.finished_fetch, timeout=30_000) as result:
        dialog.start()
        dialog.cancel_button.click()
        assert "Cancelling" in dialog.status.text()
    report = result.args[0]
    assert report.cancelled and len(report.months_fetched) < 3
    assert stats(context.engine).records == report.imports.imported
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5_000)


def test_an_unreachable_api_is_said_in_the_dialog(qtbot, context, tmp_path):
    with FakePoliceUk() as server:
        base = server.base_url
    dialog = FetchDialog(context, base_url=base)
    qtbot.addWidget(dialog)
    dialog._api = lambda: PoliceUkApi(base_url=base, retries=0)
    dialog.find_months()
    qtbot.waitUntil(lambda: "Could not get the months" in dialog.status.text(), timeout=10_000)
    assert not dialog.download_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=5_000)


def test_about_names_the_version_and_the_attributions(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.text.toPlainText()
    assert "Version 0.1.0" in text
    assert "Contains public sector information licensed under the Open Government Licence v3.0." in text
    assert "Contains Ordnance Survey data © Crown copyright and database right 2015." in text
    assert "LGPL" in text


def test_the_main_window_offers_download_and_about(qtbot, context, api_server, tmp_path):
    from stopsearch_app.ui.main_window import Actions, MainWindow

    window = MainWindow(context)
    qtbot.addWidget(window)
    window.fetch_base_url = api_server.base_url
    window.actions[Actions.FETCH].trigger()
    dialog = window.fetch_dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Download from police.uk"
    # the months are asked for on opening (the fake API has none for the default force, the Met)
    qtbot.waitUntil(lambda: "no stop-and-search months for 'metropolitan'" in dialog.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=5_000)
    dialog.reject()
    window.actions[Actions.ABOUT].trigger()
    assert window.about_dialog.isVisible()
    window.about_dialog.reject()
    window.close()


def test_months_text_names_every_month_in_runs():
    assert months_text([]) == ""
    assert months_text(["2023-12", "2024-01", "2024-02", "2024-05"]) == "2023-12 – 2024-02, 2024-05"
