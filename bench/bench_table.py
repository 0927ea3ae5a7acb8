"""Table benchmark: open the record table on a database of N records, scroll to the end, open every
other tab (compliance overview, review queue, disparity charts with a filter change, coverage) and
watch the UI thread's longest stall while each loads and while an import runs in the background."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bench.memory import peak_mib

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(db_path: str, import_csv: str) -> dict:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from stopsearch_app.settings import Settings
    from stopsearch_app.store.database import open_database
    from stopsearch_app.ui.app import freeze_start_up_objects, prefer_the_ui_thread
    from stopsearch_app.ui.context import AppContext
    from stopsearch_app.ui.main_window import MainWindow

    app = QApplication([])
    engine = open_database(f"sqlite:///{db_path}")
    context = AppContext.open(engine, Settings(user_name="bench", user_confirmed=True),
                              settings_path=Path(db_path).with_suffix(".settings.json"))
    result: dict = {}
    started = time.perf_counter()
    window = MainWindow(context)
    window.show()
    freeze_start_up_objects()  # as the app's main() does
    prefer_the_ui_thread()
    page = window.records_page
    while page._ids_slot.is_busy():  # rows are on screen and scrollable from here
        app.processEvents()
    app.processEvents()
    result["open_seconds"] = time.perf_counter() - started
    while page.is_loading():  # the count line's totals follow from a second query
        app.processEvents()
    result["totals_seconds"] = time.perf_counter() - started
    while window.coverage_loading():  # the status bar's coverage: let the window settle first
        app.processEvents()
    result["rows_shown"] = page.model.rowCount()

    started = time.perf_counter()
    page.table.scrollToBottom()
    app.processEvents()
    last = page.model.rowCount() - 1
    page.model.data(page.model.index(last, 0))
    result["scroll_to_end_seconds"] = time.perf_counter() - started

    result["tabs"] = _open_every_tab(app, window)

    # UI responsiveness during an import: a 10 ms heartbeat on the UI thread; the longest gap is the stall.
    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    slow: list[tuple[int, int]] = []  # (start ms, length ms) of stalls over 60 ms
    last_tick = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last_tick[0])
        if gaps[-1] > 60:
            slow.append((last_tick[0], now - last_tick[0]))
        last_tick[0] = now
        page.table.verticalScrollBar().setValue((now * 37) % max(page.model.rowCount(), 1))  # keep scrolling

    heartbeat = QTimer()
    heartbeat.timeout.connect(tick)
    heartbeat.start(10)
    window.importer.show_report = False
    done = []
    window.importer.finished.connect(lambda report: done.append(report))
    started = time.perf_counter()
    window.start_import([Path(import_csv)])
    result["start_import_call_ms"] = round((time.perf_counter() - started) * 1000)
    while not done:
        app.processEvents()
        time.sleep(0.001)
    result["import_during_ui_seconds"] = time.perf_counter() - started
    result["import_during_ui_rows"] = done[0].imported
    during = len(gaps)
    # ...and while the window takes in the new records (ids, totals, coverage reload off the UI thread).
    settle_until = time.perf_counter() + 0.5
    while page.is_loading() or window.coverage_loading() or time.perf_counter() < settle_until:
        app.processEvents()
        time.sleep(0.001)
    result["rows_shown_after_import"] = page.model.rowCount()
    heartbeat.stop()
    result["ui_longest_stall_ms"] = max(gaps[:during]) - 10 if during else None
    result["ui_longest_stall_after_import_ms"] = max(gaps[during:]) - 10 if len(gaps) > during else None
    result["ui_heartbeats"] = len(gaps)
    result["ui_stalls_over_60ms"] = slow[:10]
    window.close()
    result["peak_rss_mib"] = peak_mib()
    return result


def print_tabs(tabs: list[dict], indent: str = "") -> None:
    for tab in tabs:
        print(f"{indent}tab {tab['tab']}: on screen after {tab['seconds']:.2f} s, longest UI-thread stall "
              f"{tab['longest_stall_ms']} ms (target <= 100 ms)")


def _open_every_tab(app, window) -> list[dict]:
    """Each tab as a user opens it, with a 10 ms heartbeat on the UI thread: seconds until its
    figures are on screen (the work runs off the UI thread) and the longest stall meanwhile."""
    from PySide6.QtCore import QElapsedTimer

    steps = [
        ("compliance overview", lambda: window.tabs.setCurrentWidget(window.compliance_view),
         window.compliance_view.is_loading),
        ("review queue", lambda: window.tabs.setCurrentWidget(window.review_page), window.review_page.is_loading),
        ("disparity charts (first: builds the count cube)", lambda: window.tabs.setCurrentWidget(window.disparity_view),
         window.disparity_view.is_busy),
        ("disparity filter change: children 10-17", lambda: window.disparity_view.set_filters(age="10-17"),
         window.disparity_view.is_busy),
        ("disparity filter change: officer-defined", lambda: window.disparity_view.set_filters(ethnicity="officer"),
         window.disparity_view.is_busy),
        ("coverage", lambda: window.tabs.setCurrentWidget(window.coverage_view), window.coverage_view.is_loading),
    ]
    out = []
    clock = QElapsedTimer()
    for name, action, busy in steps:
        clock.start()
        action()
        longest, last = 0, clock.elapsed()
        app.processEvents()
        while True:
            now = clock.elapsed()
            longest, last = max(longest, now - last), now
            if not busy() or now > 600_000:
                break
            app.processEvents()
            time.sleep(0.01)
        out.append({"tab": name, "seconds": clock.elapsed() / 1000, "longest_stall_ms": max(longest - 10, 0)})
    window.tabs.setCurrentWidget(window.records_page)
    app.processEvents()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
