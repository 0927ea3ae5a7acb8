"""Starting the desktop app: ``stopsearch-app [--demo] [--db URL]`` (also ``python -m stopsearch_app``)."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from stopsearch_app import __version__


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stopsearch-app", description="Stop and Search Charter desktop app")
    parser.add_argument("--demo", action="store_true", help="open the demo database (built on first use)")
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy database URL")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="open the main window, save it as a PNG and exit (docs, CI, checking a bundle)")
    parser.add_argument("--version", action="version", version=f"stopsearch-app {__version__}")
    return parser.parse_args(argv)


def freeze_start_up_objects() -> None:
    """Take what start-up made out of the cyclic garbage collector's sight. A full collection walks
    every tracked object, and after start-up that is ~200,000 module, class and Qt-wrapper objects
    that live as long as the app: walking them held the UI thread for 110-130 ms in the middle of
    scrolling (bench/bench_table.py). Frozen, a full collection walks only what was made since."""
    gc.collect()
    gc.freeze()


UI_SWITCH_INTERVAL_SECONDS = 0.0001


def prefer_the_ui_thread() -> None:
    """Hand the GIL over sooner while a worker thread computes. Each call from Qt into Python (a
    model's ``data``, a chart item's ``paint``) must take the GIL, and a busy worker gives it up only
    every switch interval (5 ms by default): a repaint of the disparity tab during a recomputation
    at 3,000,000 records stalled the UI thread 150-240 ms at 5 ms, ~115 ms at 0.5 ms and ~40 ms at
    0.1 ms, and the computation took no longer (measured slice by slice)."""
    sys.setswitchinterval(UI_SWITCH_INTERVAL_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from stopsearch_app.ui.platform_check import missing_libraries, no_screen

    problem = no_screen()
    if problem:
        print(f"stopsearch-app: {problem}", file=sys.stderr)
        return 2
    advice = missing_libraries()
    if advice:
        print(f"stopsearch-app: {advice}", file=sys.stderr)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    from stopsearch_app.settings import Settings, default_user_name
    from stopsearch_app.store.database import open_database
    from stopsearch_app.ui.context import AppContext
    from stopsearch_app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("stopsearch-app")
    app.setApplicationVersion(__version__)
    settings = Settings.load()
    from stopsearch_app.store.database import DatabaseUpgradeError, on_notice

    # A corrupt settings file kept aside, a backup made before upgrading the database: told, not hidden.
    notices = [settings.load_notice] if settings.load_notice else []
    on_notice(notices.append)
    if args.demo:
        from stopsearch_app.services.demo import build_demo_database, demo_database_url

        from stopsearch_app.domain.charter.ruleset import RuleSetError, default_ruleset, ruleset_from_settings

        try:  # the demo is checked as the user's own checks are (their rule settings)
            ruleset = ruleset_from_settings(settings.rule_settings)
        except RuleSetError:
            ruleset = default_ruleset()
        engine = build_demo_database(args.db or demo_database_url(), ruleset=ruleset)
    else:
        try:
            engine = open_database(args.db or settings.database_url or None)
        except DatabaseUpgradeError as error:
            from PySide6.QtWidgets import QMessageBox

            print(f"stopsearch-app: {error}", file=sys.stderr)
            if not args.screenshot:
                QMessageBox.critical(None, "The database cannot be opened", str(error))
            return 1
    if not settings.user_confirmed and not args.screenshot:
        name, ok = QInputDialog.getText(None, "Who are you?",
                                        "Your name is recorded with every import and finding you make:",
                                        text=settings.user_name or default_user_name())
        if ok and name.strip():
            settings.user_name = name.strip()
            settings.user_confirmed = True
            settings.save()
    context = AppContext.open(engine, settings)
    window = MainWindow(context)
    window.show()
    freeze_start_up_objects()
    prefer_the_ui_thread()
    for notice in notices:
        print(f"stopsearch-app: {notice}", file=sys.stderr)
    if notices:
        import re

        from PySide6.QtWidgets import QMessageBox

        # The status bar names files only (full paths do not fit); the message box has everything.
        short = [re.sub(r"\s*\(.*?\)", "", re.sub(r"(?:/[^\s/]+)+/([^\s/]+)", r"\1", n)) for n in notices]
        window.statusBar().showMessage(" · ".join(" ".join(s.split()) for s in short), 120_000)
        if not args.screenshot:
            box = QMessageBox(QMessageBox.Icon.Information, "Kept for you", "\n\n".join(notices),
                              parent=window)
            box.open()  # not modal: the app is usable at once
    if args.screenshot:
        def grab() -> None:
            if window.records_page.is_loading():
                QTimer.singleShot(200, grab)
                return
            app.processEvents()
            window.grab().save(args.screenshot)
            window.close()
        QTimer.singleShot(500, grab)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
