"""Record identity must never change across releases: reviews attach to record ids."""

from __future__ import annotations

from stopsearch_app.io.policeuk import read_policeuk
from tests.helpers import archive_csv
from tests.io.test_policeuk_quirks import MET_ROW


def test_fingerprint_of_a_real_met_row_is_pinned():
    # If this fails, a dependency changed how fingerprints are computed: re-imports would duplicate
    # every record a user already has. Do not update the value; keep the old algorithm.
    records = read_policeuk(archive_csv(MET_ROW).encode(), "2022-09-metropolitan-stop-and-search.csv").records
    from stopsearch_app.domain.identity import record_id

    row = records.iloc[0]
    assert record_id(row["force"], row["month"], row["fingerprint"], row["occurrence"]) == PINNED_ID


PINNED_ID = "metropolitan-2022-09-1efd2a799d56f397-0"
