"""The demo database: real police.uk months shipped in resources/data plus (once generated) the
synthetic local extract, imported and checked. ``make run`` opens it; ``stopsearch demo`` builds it."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Engine

from stopsearch_app.resources import resource_path
from stopsearch_app.store.database import APP_NAME, open_database

DEMO_POLICEUK_FILES = (
    "kostis-christodoulou_am10.mam2023__2022-09-metropolitan-stop-and-search.csv",
    "Taimur-Shabbir_SaS-Data-Cleaning__2019-12-city-of-london-stop-and-search.csv",
    "Taimur-Shabbir_SaS-Data-Cleaning__2020-01-city-of-london-stop-and-search.csv",
    "Taimur-Shabbir_SaS-Data-Cleaning__2020-02-city-of-london-stop-and-search.csv",
)


def demo_database_url() -> str:
    folder = Path(user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'demo.db'}"


def demo_files() -> list[Path]:
    return [resource_path("data", "policeuk", name) for name in DEMO_POLICEUK_FILES]


def synthetic_extract_file(folder: Path) -> Path:
    """The seeded synthetic local extract (the same file on every build: same seed, same rows)."""
    from stopsearch_app.io.synthetic_extract import write_csv

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic-local-extract.csv"
    if not path.exists():
        write_csv(path)
    return path


def build_demo_database(url: str | None = None, progress=None, ruleset=None) -> Engine:
    """Import the demo files (idempotent: a second build adds nothing) and return the engine, the
    records checked with ``ruleset`` (default: the shipped charter)."""
    from stopsearch_app.io.readers import make_reader
    from stopsearch_app.io.sources import expand
    from stopsearch_app.store.importer import import_sources

    engine = open_database(url or demo_database_url())
    extract = synthetic_extract_file(Path(user_data_dir(APP_NAME, appauthor=False)))
    report = import_sources(engine, list(expand([*demo_files(), extract])), make_reader(), imported_by="demo",
                            progress=progress)
    failed = report.failed
    if failed:
        raise RuntimeError("the demo data did not import: " + "; ".join(f"{f.path}: {f.error}" for f in failed))
    _check_if_needed(engine, ruleset)
    return engine


def _check_if_needed(engine: Engine, ruleset=None) -> None:
    """Check the demo records when some are unchecked or the rule set (shipped file or the user's
    settings) changed since the last check."""
    from stopsearch_app.domain.charter.ruleset import default_ruleset
    from stopsearch_app.store.checks import checked_count, latest_run, run_check
    from stopsearch_app.store.queries import stats

    run = latest_run(engine)
    ruleset = ruleset or default_ruleset()
    if run is None or run["ruleset_hash"] != ruleset.content_hash or checked_count(engine) != stats(engine).records:
        run_check(engine, ruleset, run_by="demo")
