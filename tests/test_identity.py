"""Record identity must never change across releases: reviews attach to record ids."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["metropolitan", "city-of-london"]), st.integers(-3, 3)), max_size=60),
       st.lists(st.integers(1, 15), min_size=1, max_size=6))
def test_occurrences_counted_across_chunks_equal_one_pass_over_the_file(rows, sizes):
    """The n-th identical record gets n-1 however the file is cut into chunks."""
    import numpy as np
    import pandas as pd

    from stopsearch_app.domain.identity import OccurrenceCounter

    forces = pd.Series([force for force, _ in rows], dtype=object)
    fingerprints = np.array([fingerprint for _, fingerprint in rows], dtype=np.int64)
    expected = pd.DataFrame({"f": forces, "p": fingerprints}).groupby(["f", "p"], sort=False).cumcount().to_numpy()
    counter, got, start, turn = OccurrenceCounter(), [], 0, 0
    while start < len(rows):
        end = start + sizes[turn % len(sizes)]
        got.append(counter.assign(forces.iloc[start:end].reset_index(drop=True), fingerprints[start:end]))
        start, turn = end, turn + 1
    assert np.concatenate(got or [np.empty(0, dtype=np.int64)]).tolist() == expected.tolist()
