"""Drawing a review pack's charts as PNG files, in a process of its own.

    python -m stopsearch_app.ui.pack_charts DB_URL FOLDER REQUEST_JSON
    python -m stopsearch_app.ui.pack_charts --report REPORT_JSON_FILE OUT_PDF

The pack is written off the UI thread (and by the command line, which has no Qt), so the charts are
drawn by this small program on the offscreen platform, with the same chart modules as the Disparity
tab (the registry of :mod:`stopsearch_app.ui.charts`: every chart the dashboard has figures for).
It prints the written file names as a JSON list.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from stopsearch_app.domain.dashboard import Dashboard


def render(db_url: str, folder: Path, request: dict) -> list[str]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from stopsearch_app.services.disparity import compute_dashboard
    from stopsearch_app.store.database import open_database
    from stopsearch_app.store.queries import Labels

    app = QApplication.instance() or QApplication([])
    engine = open_database(db_url)
    dashboard = compute_dashboard(engine, Labels(engine), **request)
    engine.dispose()
    return render_dashboard(app, dashboard, folder) if dashboard.is_available else []


def render_dashboard(app, dashboard: Dashboard, folder: Path) -> list[str]:
    """Every chart of the registry the dashboard has figures for, as ``KEY.png`` in ``folder``."""
    from stopsearch_app.ui.charts import available
    from stopsearch_app.ui.charts.panel import ChartPanel

    panels = {}
    for chart in available(dashboard):
        panels[chart.key] = ChartPanel(chart.key)
        chart.draw(panels[chart.key], dashboard, False)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, panel in panels.items():
        panel.resize(1100, 700)
        panel.show()
        app.processEvents()  # pyqtgraph lays out its axes on the first paint
        written.append(str(panel.export(folder / f"{key}.png")))
        panel.close()
    return written


def render_report(data_file: Path, out: Path) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from stopsearch_app.ui.pack_report import write_pdf

    _app = QGuiApplication.instance() or QGuiApplication([])
    return str(write_pdf(json.loads(data_file.read_text(encoding="utf-8")), out))


def main() -> None:
    from stopsearch_app.io.lifeline import die_with_parent

    die_with_parent()  # a killed export must not leave this process drawing
    if sys.argv[1] == "--report":
        print(json.dumps(render_report(Path(sys.argv[2]), Path(sys.argv[3]))))
        return
    # The database URL (a password, perhaps) comes on stdin: argv is visible to every local user in ps.
    db_url = sys.stdin.readline().strip()
    folder, request = Path(sys.argv[1]), json.loads(sys.argv[2])
    print(json.dumps(render(db_url, folder, request)))


if __name__ == "__main__":
    main()
