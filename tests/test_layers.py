"""The layers of docs/ARCHITECTURE.md hold: Qt only in ui/, no storage in domain/ (import-linter
checks the same contracts in `make test`; this test makes a breach fail pytest too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "stopsearch_app"
QT_MODULES = ("PySide6", "pyqtgraph", "stopsearch_app.ui", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


# __main__.py is the entry point that starts the UI.
NON_UI_FILES = sorted(p for p in PACKAGE.rglob("*.py")
                      if "ui" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py")


@pytest.mark.parametrize("path", NON_UI_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_qt_outside_ui(path):
    offending = {name for name in imported_modules(path) if name.startswith(QT_MODULES)}
    assert not offending, f"{path.relative_to(PACKAGE)} imports {offending}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "domain").rglob("*.py")), ids=lambda p: p.name)
def test_domain_has_no_storage_or_io(path):
    offending = {name for name in imported_modules(path)
                 if name.startswith(("sqlalchemy", "stopsearch_app.store", "stopsearch_app.io"))}
    assert not offending, f"domain/{path.name} imports {offending}"
