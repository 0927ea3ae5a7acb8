"""Small helpers shared by tests."""

from __future__ import annotations

from pathlib import Path

from stopsearch_app.io.readers import make_reader
from stopsearch_app.io.sources import expand
from stopsearch_app.store.importer import ImportReport, import_sources

HEADER = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,"
          "Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,"
          "Outcome linked to object of search,Removal of more than just outer clothing")


def import_paths(engine, *paths: Path, force: str | None = None, **kwargs) -> ImportReport:
    return import_sources(engine, list(expand(list(paths))), make_reader(force), imported_by="tester", **kwargs)


def archive_csv(*rows: str, newline: str = "\n") -> str:
    return newline.join((HEADER, *rows)) + newline
