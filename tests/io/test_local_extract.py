"""Local extracts through a column mapping: lenient but honest parsing, and bad input."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import Workbook

from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.local_extract import read_local_extract, read_table
from stopsearch_app.io.mapping import (ColumnMapping, MappingError, guess_mapping, list_profiles, load_profile,
                                       save_profile)

HEADERS = ["Search Ref", "Date/Time", "Age", "Sex", "Power", "Grounds", "AA present", "Search level", "BWV"]
ROWS = [
    ["MPS-1", "03/02/2025 14:05", "15", "M", "Misuse of Drugs Act 1971 (section 23)",
     "Smell of cannabis", "N", "EIP", "yes"],
    ["MPS-2", "2025-07-01 00:30", "19", "Female", "Police and Criminal Evidence Act 1984 (section 1)",
     "Seen passing a knife to another youth", "", "outer", "0"],
    ["MPS-3", "04/02/2025 09:00", "fifteen", "F", "", "", "maybe", "mts", "Y"],
]


def csv_bytes(rows=ROWS, headers=HEADERS, encoding="utf-8") -> bytes:
    frame = pd.DataFrame(rows, columns=headers)
    return frame.to_csv(index=False).encode(encoding)


def mapping(**changes) -> ColumnMapping:
    base = guess_mapping(HEADERS)
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_guess_maps_common_header_names():
    guessed = guess_mapping(HEADERS).columns
    assert guessed == {"Search Ref": "source_ref", "Date/Time": "occurred_at", "Age": "age_years",
                       "Sex": "gender", "Power": "legislation", "Grounds": "grounds_text",
                       "AA present": "aa_present", "Search level": "search_level", "BWV": "bwv_activated"}


def test_values_parse_leniently_and_blank_is_not_recorded():
    parsed = read_local_extract(csv_bytes(), "extract.csv", mapping(on_bad_value="blank"), force="metropolitan")
    records = parsed.records
    assert records["source_ref"].tolist() == ["MPS-1", "MPS-2", "MPS-3"]
    # 3 February 2025 14:05 GMT; 1 July 2025 00:30 BST is 23:30 UTC on 30 June, still a July search
    assert records["occurred_at"].tolist()[:2] == [pd.Timestamp("2025-02-03T14:05Z"), pd.Timestamp("2025-06-30T23:30Z")]
    assert records["month"].tolist() == ["2025-02", "2025-07", "2025-02"]
    assert records["gender"].tolist() == ["male", "female", "female"]
    assert records["aa_present"].tolist()[0] is False and pd.isna(records["aa_present"].iloc[1])
    assert records["search_level"].tolist() == ["eip", "outer", "mts"]
    assert records["bwv_activated"].tolist() == [True, False, True]
    assert records["child_status"].tolist() == ["child", "adult", "unknown"]  # "fifteen" left blank, not guessed
    assert pd.isna(records["age_years"].iloc[2]) and pd.isna(records["aa_present"].iloc[2])
    assert any("row 4, column 'Age': 'fifteen' is not a whole number" in w for w in parsed.warnings)
    assert any("row 4, column 'AA present': 'maybe' is not yes/no" in w for w in parsed.warnings)
    assert parsed.mapped_fields >= {"grounds_text", "aa_present", "search_level"}


def test_unreadable_values_quarantine_the_row_when_asked():
    parsed = read_local_extract(csv_bytes(), "extract.csv", mapping(on_bad_value="quarantine"), force="metropolitan")
    assert parsed.records["source_ref"].tolist() == ["MPS-1", "MPS-2"]
    assert [row.row_number for row in parsed.quarantined] == [4]
    assert "'fifteen'" in parsed.quarantined[0].reason and "'maybe'" in parsed.quarantined[0].reason
    assert "MPS-3" in parsed.quarantined[0].raw_text


def test_two_columns_on_one_field_are_refused_with_a_clear_message():
    bad = mapping()
    bad.columns["Grounds"] = "grounds_text"
    bad.columns["Power"] = "grounds_text"
    with pytest.raises(MappingError, match="'Power', 'Grounds'|'Grounds', 'Power'"):
        bad.validate()
    with pytest.raises(ImportRefused, match="all mapped to 'grounds_text'"):
        read_local_extract(csv_bytes(), "extract.csv", bad)


def test_windows_1252_csv_is_read_with_a_warning():
    rows = [ROWS[0][:5] + ["Smelt cannabis – café doorway"] + ROWS[0][6:]]
    parsed = read_local_extract(csv_bytes(rows, encoding="cp1252"), "extract.csv", mapping(), force="metropolitan")
    assert parsed.records["grounds_text"].iloc[0] == "Smelt cannabis – café doorway"
    assert any("Windows-1252" in w for w in parsed.warnings)


def xlsx_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS + ["Minutes"])
    sheet.append(ROWS[0] + [10])
    sheet.append(ROWS[1] + ["=B5"])  # a formula with no saved value (openpyxl writes none)
    sheet.append(["MPS-4", "05/02/2025 10:00", "16", "M", "", "", "Y", "outer", "yes", 5])
    sheet.merge_cells("E3:E4")  # the power of rows 3-4 in one merged block
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_a_formula_merged_cells_and_text_dates():
    table = read_table(xlsx_bytes(), "extract.xlsx")
    assert table.headers[-1] == "Minutes"
    assert any("J3 holds a formula (=B5) with no saved value" in w for w in table.warnings)
    assert any("cells E3:E4 are merged" in w for w in table.warnings)
    columns = dict(guess_mapping(HEADERS).columns, Minutes="detention_minutes")
    parsed = read_local_extract(xlsx_bytes(), "extract.xlsx", ColumnMapping(columns=columns, on_bad_value="blank"),
                                force="metropolitan")
    records = parsed.records
    assert records["legislation"].tolist()[1:] == ["Police and Criminal Evidence Act 1984 (section 1)"] * 2
    assert records["occurred_at"].iloc[2] == pd.Timestamp("2025-02-05T10:00Z")  # the date typed as text
    assert records["detention_minutes"].tolist()[0] == 10 and pd.isna(records["detention_minutes"].iloc[1])
    assert parsed.rows_read == 3 and not parsed.quarantined


def test_rows_without_a_date_are_always_quarantined():
    rows = [ROWS[0], ["MPS-9", "", "15", "M", "", "", "", "", ""]]
    parsed = read_local_extract(csv_bytes(rows), "extract.csv", mapping(on_bad_value="blank"), force="metropolitan")
    assert [row.row_number for row in parsed.quarantined] == [3]
    assert "every search needs a date" in parsed.quarantined[0].reason


def test_duplicate_reference_in_one_file_is_quarantined():
    parsed = read_local_extract(csv_bytes([ROWS[0], ROWS[0]]), "extract.csv", mapping(), force="metropolitan")
    assert len(parsed.records) == 1 and "appears twice" in parsed.quarantined[0].reason


def test_profiles_save_reload_and_carry_a_version(tmp_path):
    chosen = mapping(name="Lambeth monthly", on_bad_value="blank", force="metropolitan")
    path = save_profile(chosen, tmp_path)
    assert '"version": 1' in path.read_text() and '"format": "stopsearch-mapping"' in path.read_text()
    assert list_profiles(tmp_path) == ["Lambeth monthly"]
    again = load_profile("Lambeth monthly", tmp_path)
    assert again.columns == chosen.columns and again.on_bad_value == "blank"
    with pytest.raises(MappingError, match="no mapping profile"):
        load_profile("nope", tmp_path)


def test_a_mapping_that_names_missing_columns_is_refused():
    with pytest.raises(ImportRefused, match="does not have: 'Search Ref'"):
        read_local_extract(csv_bytes(headers=["Ref"] + HEADERS[1:]), "extract.csv", mapping())


def test_garbage_is_refused():
    with pytest.raises(ImportRefused, match="binary"):
        read_local_extract(b"\x00\x01\x02garbage", "extract.csv")
    with pytest.raises(ImportRefused, match="empty"):
        read_local_extract(b"", "extract.csv")
    with pytest.raises(ImportRefused, match="XLSX"):
        read_local_extract(b"PK\x03\x04 not really a zip", "extract.xlsx")
