"""A finding save does not fail with "database is locked" while an import in another process holds the
write lock for longer than the old retry budget (8.6 s); one transaction per file still holds."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stopsearch_app.store.queries import stats
from stopsearch_app.store.reviews import RecordFinding, current_finding
from tests.store.test_reviews import checked, extract_file, flagged_record, supervisor  # noqa: F401 - fixtures

HOLD_SECONDS = 12


@pytest.mark.slow
def test_a_save_waits_for_an_import_holding_the_write_lock_in_another_process(checked, db_url, met_file):  # noqa: F811
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has row locks: no database-wide write lock to wait for")
    record_id, rules = flagged_record(checked)
    records_before = stats(checked).records
    importer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from stopsearch_app.io.readers import make_reader
        from stopsearch_app.io.sources import expand
        from stopsearch_app.store.database import open_database
        from stopsearch_app.store.importer import import_sources
        engine = open_database({db_url!r})
        held = []
        def progress(done, total, message):
            if done and not held:  # rows written, transaction open: the write lock is held
                held.append(1)
                print("holding", flush=True)
                time.sleep({HOLD_SECONDS})
        report = import_sources(engine, list(expand([Path({str(met_file)!r})])), make_reader(), progress=progress)
        print("imported", report.imported, flush=True)
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert importer.stdout.readline().startswith("holding"), importer.stderr.read()
        started = time.monotonic()
        state = RecordFinding(checked, record_id, "supervisor", supervisor(rules=rules[:1]), who="Sgt Adams").do()
        waited = time.monotonic() - started
        assert importer.stdout.readline().split() == ["imported", "12447"]
    finally:
        importer.kill()
        importer.wait(timeout=10)
    assert state.version == 1 and current_finding(checked, record_id, "supervisor").version == 1
    assert waited > HOLD_SECONDS - 3  # it really waited for the import...
    assert stats(checked).records == records_before + 12_447  # ...which kept its one transaction
    print(f"\nsave waited {waited:.1f} s for the import's write lock")
