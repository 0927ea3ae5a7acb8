"""Finding saves while a large import holds SQLite's write lock (issue 10, store side).

    python -m bench.bench_save_during_import --rows 1000000 [--ui]

Imports a generated police.uk file in a child process (as the app does: import_process.py) and, from
this process, saves a finding every 0.5 s until the import ends: prints each save's latency, the slowest,
and whether any failed. One transaction per file holds, so a save waits for the import's commit.
With ``--ui`` the saves go through the app's review form and its worker while the window imports
(:func:`ui_main`): the longest UI-thread stall and the slowest save.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from bench.generate import write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ui", action="store_true", help="save through the app's review form (ui_main)")
    args = parser.parse_args()
    if args.ui:
        print(json.dumps(ui_main(args.rows)))
        return
    from stopsearch_app.services.import_process import import_in_child
    from stopsearch_app.io.synthetic_extract import generate_extract
    from stopsearch_app.io.synthetic_extract import write_csv as write_extract
    from stopsearch_app.store.checks import run_check
    from stopsearch_app.store.database import open_database
    from stopsearch_app.store.queries import Labels
    from stopsearch_app.store.reviews import ChangeFinding, RecordFinding, queue_ids, record_id_for
    from stopsearch_app.store.importer import import_sources
    from stopsearch_app.io.readers import make_reader
    from stopsearch_app.io.sources import expand

    folder = Path(tempfile.mkdtemp(prefix="bench-save-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = open_database(url)
    extract = write_extract(folder / "extract.csv", generate_extract(rows=300, seed=4))
    import_sources(engine, list(expand([extract])), make_reader(fmt="local"), imported_by="bench")
    run_check(engine, run_by="bench")
    labels = Labels(engine)
    record_id = record_id_for(engine, labels, int(queue_ids(engine, labels)[0]))
    state = RecordFinding(engine, record_id, "supervisor", {"outcome": "words_of_advice", "note": "n0",
                                                             "rules_addressed": [], "bwv_viewed": True},
                          who="bench").do()
    big = write(args.rows, folder / "2024-01-metropolitan-stop-and-search.csv")
    done = threading.Event()
    outcome: dict = {}

    def run_import() -> None:
        started = time.monotonic()
        report = import_in_child(url, [big], force=None, fmt="auto", mapping_json=None, user="bench",
                                 progress=lambda *a: None, is_cancelled=lambda: False)
        outcome.update(imported=report.imported, seconds=round(time.monotonic() - started, 1))
        done.set()

    thread = threading.Thread(target=run_import)
    thread.start()
    latencies, failures = [], []
    time.sleep(2)
    while not done.is_set():
        started = time.monotonic()
        try:
            state = ChangeFinding(engine, record_id, "supervisor", {**state.fields, "note": f"n{len(latencies) + len(failures) + 1}"},
                                  who="bench", why="bench", expected_version=state.version).do()
            latencies.append(round(time.monotonic() - started, 2))
        except Exception as error:  # noqa: BLE001 - counted
            failures.append(f"{type(error).__name__}: {error}")
        time.sleep(0.5)
    thread.join()
    print(json.dumps({"rows": args.rows, "import": outcome, "saves": len(latencies), "failed": failures,
                      "slowest_save_s": max(latencies, default=None), "latencies_s": latencies}))


def ui_main(rows: int, folder: Path | None = None) -> dict:
    """The same in the app (issue 10 acceptance): the main window on a checked database, a ``rows``-row
    import started from it (its child process, as File > Import does), and meanwhile a supervisor finding
    changed through the real review form every 0.5 s (its Change button: the save runs on the form's
    worker). A 10 ms heartbeat on the UI thread measures the longest stall; each save's time runs from the
    click to the form's answer."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from stopsearch_app.io.readers import make_reader
    from stopsearch_app.io.sources import expand
    from stopsearch_app.io.synthetic_extract import generate_extract
    from stopsearch_app.io.synthetic_extract import write_csv as write_extract
    from stopsearch_app.settings import Settings
    from stopsearch_app.store.checks import run_check
    from stopsearch_app.store.database import open_database
    from stopsearch_app.store.importer import import_sources
    from stopsearch_app.ui.context import AppContext
    from stopsearch_app.ui.main_window import MainWindow

    folder = folder or Path(tempfile.mkdtemp(prefix="bench-ui-save-"))
    engine = open_database(f"sqlite:///{folder / 'bench-ui.db'}")
    extract = write_extract(folder / "extract.csv", generate_extract(rows=300, seed=4))
    import_sources(engine, list(expand([extract])), make_reader(fmt="local"), imported_by="bench")
    run_check(engine, run_by="bench")
    big = write(rows, folder / "2024-01-metropolitan-stop-and-search.csv")
    app = QApplication.instance() or QApplication([])
    context = AppContext.open(engine, Settings(user_name="bench", user_confirmed=True),
                              settings_path=folder / "settings.json")
    window = MainWindow(context)
    window.resize(1366, 768)
    window.show()
    window.tabs.setCurrentWidget(window.review_page)
    page, form = window.review_page, window.review_page.panel

    def settle(condition, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.002)

    settle(lambda: not page.is_loading())
    page.queue.select_row(0)
    settle(lambda: form.record is not None)
    form.outcome.setCurrentIndex(form.outcome.findData("words_of_advice"))
    form.note.setPlainText("n0")
    QTest.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    settle(lambda: not form.is_saving())

    clock = QElapsedTimer()
    clock.start()
    gaps: list[int] = []
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.timeout.connect(tick)
    heartbeat.start(10)
    window.importer.show_report = False
    done: list = []
    window.importer.finished.connect(done.append)
    started = time.monotonic()
    window.start_import([big])
    latencies: list[float] = []
    failures: list[str] = []
    outcomes: list = []
    form.activity.save_finished.connect(outcomes.append)
    while not done:
        settle(lambda: bool(done), 0.5)
        if done:
            break
        form.note.setPlainText(f"n{len(latencies) + len(failures) + 1}")
        form.reason.setText("bench")
        clicked = time.monotonic()
        before = len(outcomes)
        QTest.mouseClick(form.change_button, Qt.MouseButton.LeftButton)
        settle(lambda: len(outcomes) > before, 1000)
        outcome = outcomes[-1]
        (latencies if outcome.saved else failures).append(round(time.monotonic() - clicked, 2)
                                                          if outcome.saved else outcome.message)
    import_seconds = round(time.monotonic() - started, 1)
    heartbeat.stop()
    window.close()
    return {"rows": rows, "imported": done[0].imported, "import_seconds": import_seconds,
            "ui_longest_stall_ms": max(gaps) - 10 if gaps else None, "ui_heartbeats": len(gaps),
            "saves": len(latencies), "failed": failures, "slowest_save_s": max(latencies, default=None),
            "latencies_s": latencies}


if __name__ == "__main__":
    main()
