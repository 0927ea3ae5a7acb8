"""Every police.uk quirk of shared/spec/records.md, with real rows from the shipped files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from stopsearch_app.domain.records import SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.policeuk import detect_format, force_from_name, read_policeuk
from tests.helpers import HEADER, archive_csv

# Real rows: Met September 2022 (first row, BST: 23:00 UTC on 31 August) and Essex January 2020.
MET_ROW = ("Person and Vehicle search,2022-08-31T23:00:00+00:00,False,,51.495396,-0.061485,Male,10-17,"
           "White - English/Welsh/Scottish/Northern Irish/British,White,Misuse of Drugs Act 1971 (section 23),"
           "Controlled drugs,A no further action disposal,,")
ESSEX_ROW = ("Person search,2020-01-01T00:01:00+00:00,False,,51.842625,0.785231,Male,10-17,"
             "White - English/Welsh/Scottish/Northern Irish/British,White,Misuse of Drugs Act 1971 (section 23),"
             "Controlled drugs,Community resolution,True,False")
DERBYSHIRE_ROW = ("Person search,2020-01-02T21:23:00+00:00,,,52.830329,-1.436380,Male,10-17,"
                  "Asian/Asian British - Chinese,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,"
                  "A no further action disposal,True,False")


def read(text: str, name: str = "2022-09-metropolitan-stop-and-search.csv"):
    return read_policeuk(text.encode("utf-8"), name)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_lf_and_crlf_line_endings_read_the_same(newline):
    parsed = read(archive_csv(MET_ROW, ESSEX_ROW, newline=newline))
    assert len(parsed.records) == 2 and not parsed.quarantined
    assert parsed.records["outcome"].tolist() == ["A no further action disposal", "Community resolution"]


def test_blank_boolean_columns_are_not_recorded_never_false():
    records = read(archive_csv(MET_ROW, ESSEX_ROW)).records
    assert records["outcome_linked"].isna().tolist() == [True, False]
    assert records["removal_more_than_outer"].isna().tolist() == [True, False]
    assert records["outcome_linked"].iloc[1] is True or bool(records["outcome_linked"].iloc[1]) is True
    assert bool(records["removal_more_than_outer"].iloc[1]) is False
    assert pd.isna(records["part_of_operation"].iloc[0]) is False  # "False" is recorded


def test_bst_rows_dated_the_last_evening_of_the_previous_month_count_in_the_file_month():
    records = read(archive_csv(MET_ROW)).records
    assert records["occurred_at"].iloc[0] == pd.Timestamp("2022-08-31T23:00:00Z")
    assert records["month"].iloc[0] == "2022-09"


def test_winter_midnight_utc_is_the_same_london_month():
    records = read(archive_csv(ESSEX_ROW.replace("2020-01-01T00:01:00", "2019-12-31T23:59:00"))).records
    assert records["month"].iloc[0] == "2019-12"  # GMT: no shift in winter


def test_fractional_seconds_and_date_only_values():
    rows = [MET_ROW.replace("2022-08-31T23:00:00+00:00", "2022-09-10T12:30:15.250+00:00"),
            MET_ROW.replace("2022-08-31T23:00:00+00:00", "2022-09-11")]
    records = read(archive_csv(*rows)).records
    assert records["occurred_at"].tolist() == [pd.Timestamp("2022-09-10T12:30:15.250Z"),
                                               pd.Timestamp("2022-09-11T00:00:00Z")]


def test_legacy_self_defined_ethnicity_codes_map_to_groups():
    rows = [MET_ROW.replace("White - English/Welsh/Scottish/Northern Irish/British", value)
            for value in ("White - White British (W1)", "Black or Black British - Caribbean (B1)",
                          "Not Stated (NS)", "Asian or Asian British - Indian (A1)")]
    records = read(archive_csv(*rows)).records
    assert records["sde_group"].tolist() == ["White", "Black", "Not stated", "Asian"]
    assert records["self_defined_ethnicity"].iloc[0] == "White - White British (W1)"


def test_not_stated_is_unknown_not_other():
    row = MET_ROW.replace("White - English/Welsh/Scottish/Northern Irish/British", "Other ethnic group - Not stated")
    assert read(archive_csv(row)).records["sde_group"].iloc[0] == "Not stated"


@pytest.mark.parametrize(("raw", "code"), [
    ("Nothing found - no further action", "nfa"), ("Suspect arrested", "arrest"),
    ("Suspect summonsed to court", "summons"), ("Offender cautioned", "caution"),
    ("Offender given penalty notice", "penalty_notice"),
    ("Offender given drugs possession warning", "cannabis_warning"), ("Local resolution", "community_resolution"),
    ("Article found - Detailed outcome unavailable", "other"), ("A no further action disposal", "nfa"),
    ("Khat or Cannabis warning", "cannabis_warning"), ("Summons / charged by post", "summons"),
])
def test_current_and_legacy_outcomes_map_to_one_code(raw, code):
    records = read(archive_csv(MET_ROW.replace("A no further action disposal", raw))).records
    assert records["outcome_code"].iloc[0] == code
    assert records["outcome"].iloc[0] == raw


def test_trailing_spaces_inside_values_are_normalised():
    row = MET_ROW.replace("Misuse of Drugs Act 1971 (section 23)", '"Environmental Protection Act 1990 (section 34B )"')
    row2 = MET_ROW.replace("Misuse of Drugs Act 1971 (section 23)", "Misuse of Drugs Act 1971 (section 23) ")
    records = read(archive_csv(row, row2)).records
    assert records["legislation"].tolist() == ["Environmental Protection Act 1990 (section 34B)",
                                               "Misuse of Drugs Act 1971 (section 23)"]
    assert records["power"].tolist() == ["OTHER", "MDA_S23"]


def test_excel_damaged_age_range_is_repaired_with_a_warning():
    parsed = read(archive_csv(MET_ROW.replace(",10-17,", ",Oct-17,")))
    assert parsed.records["age_range"].iloc[0] == "10-17"
    assert parsed.records["child_status"].iloc[0] == "child"
    assert any("Oct-17" in warning for warning in parsed.warnings)


def test_blank_coordinates_are_not_located():
    row = ESSEX_ROW.replace("51.842625,0.785231", ",")
    records = read(archive_csv(row), "2020-01-essex-stop-and-search.csv").records
    assert records["latitude"].isna().all() and records["longitude"].isna().all()


def test_force_comes_from_the_file_name_even_with_a_prefix():
    assert force_from_name("Taimur__2020-01-south-yorkshire-stop-and-search.csv") == "south-yorkshire"
    assert force_from_name("stops.json") is None


def test_utf8_bom_header_is_recognised():
    parsed = read_policeuk(b"\xef\xbb\xbf" + archive_csv(MET_ROW).encode(), "2022-09-metropolitan-stop-and-search.csv")
    assert len(parsed.records) == 1


API_RECORD = {
    "age_range": "10-17", "outcome": "", "involved_person": True,
    "self_defined_ethnicity": "White - English/Welsh/Scottish/Northern Irish/British", "gender": "Male",
    "legislation": "Misuse of Drugs Act 1971 (section 23)", "outcome_linked_to_object_of_search": False,
    "datetime": "2022-08-31T23:00:00+00:00", "removal_of_more_than_outer_clothing": None,
    "outcome_object": {"id": "bu-no-further-action", "name": "A no further action disposal"},
    "location": {"latitude": "51.495396", "street": {"id": 1, "name": "On or near X"}, "longitude": "-0.061485"},
    "operation": False, "officer_defined_ethnicity": "White", "type": "Person and Vehicle search",
    "operation_name": None, "object_of_search": "Controlled drugs",
}


def test_api_json_outcome_from_outcome_object_and_string_coordinates():
    parsed = read_policeuk(json.dumps([API_RECORD]).encode(), "met.json", force="metropolitan")
    record = parsed.records.iloc[0]
    assert parsed.format is SourceFormat.POLICEUK_JSON
    assert record["outcome"] == "A no further action disposal" and record["outcome_code"] == "nfa"
    assert record["latitude"] == pytest.approx(51.495396) and record["force"] == "metropolitan"


def test_api_json_legacy_false_outcome_is_blank():
    item = dict(API_RECORD, outcome=False, outcome_object={"id": "", "name": ""})
    record = read_policeuk(json.dumps([item]).encode(), "x.json", force="metropolitan").records.iloc[0]
    assert pd.isna(record["outcome"]) and pd.isna(record["outcome_code"])


def test_api_json_extra_keys_kept_or_noted():
    item = dict(API_RECORD, force_id="leicestershire", borough=None, mystery="x")
    parsed = read_policeuk(json.dumps([item]).encode(), "x.json")
    assert parsed.records["force"].iloc[0] == "leicestershire"
    assert any("mystery" in warning for warning in parsed.warnings)


def test_constant_false_find_flag_over_a_force_month_is_treated_as_not_recorded():
    items = [dict(API_RECORD, datetime=f"2022-09-{1 + i % 28:02d}T10:{i % 60:02d}:00+00:00") for i in range(150)]
    parsed = read_policeuk(json.dumps(items).encode(), "met.json", force="metropolitan")
    assert parsed.records["outcome_linked"].isna().all()
    assert any("probably not recorded" in warning for warning in parsed.warnings)


def test_small_all_false_month_is_kept_as_recorded():
    items = [dict(API_RECORD, datetime=f"2022-09-{1 + i:02d}T10:00:00+00:00") for i in range(5)]
    parsed = read_policeuk(json.dumps(items).encode(), "met.json", force="metropolitan")
    assert (parsed.records["outcome_linked"] == False).all()  # noqa: E712


def test_flattened_api_csv_is_recognised(tmp_path):
    flat = pd.json_normalize([API_RECORD]).to_csv(index=False)
    parsed = read_policeuk(flat.encode(), "avon-and-somerset_flat.csv", force="avon-and-somerset")
    assert parsed.format is SourceFormat.POLICEUK_FLAT
    assert parsed.records["outcome_code"].iloc[0] == "nfa"


def test_csv_and_api_of_the_same_search_have_the_same_fingerprint():
    csv_record = read(archive_csv(MET_ROW)).records.iloc[0]
    api_record = read_policeuk(json.dumps([API_RECORD]).encode(), "x.json", force="metropolitan").records.iloc[0]
    assert csv_record["fingerprint"] == api_record["fingerprint"]
    assert csv_record["month"] == api_record["month"]


def test_identical_rows_in_a_month_get_successive_occurrences():
    records = read(archive_csv(MET_ROW, MET_ROW, ESSEX_ROW)).records
    assert records["occurrence"].tolist() == [0, 1, 0]


# --- bad input ---------------------------------------------------------------------------------

def test_empty_file_is_refused():
    with pytest.raises(ImportRefused, match="empty"):
        detect_format(b"", "x.csv")


def test_binary_file_is_refused():
    with pytest.raises(ImportRefused, match="binary"):
        detect_format(b"PK\x03\x04\x00\x00garbage\x00", "x.csv")


def test_wrong_header_is_refused_naming_the_missing_columns():
    with pytest.raises(ImportRefused) as error:
        detect_format(b"name,age\nx,1\n", "people.csv")
    assert "not a police.uk stop-and-search file" in str(error.value) and "'Type'" in str(error.value)


def test_bad_and_blank_dates_are_quarantined_with_row_and_reason():
    parsed = read(archive_csv(MET_ROW, MET_ROW.replace("2022-08-31T23:00:00+00:00", "31/08/2022 23:00"),
                              MET_ROW.replace("2022-08-31T23:00:00+00:00", ""), ESSEX_ROW))
    assert len(parsed.records) == 2
    assert [(row.row_number, "ISO 8601" in row.reason or "blank" in row.reason) for row in parsed.quarantined] == \
        [(3, True), (4, True)]
    assert "31/08/2022 23:00" in parsed.quarantined[0].raw_text


def test_truncated_file_quarantines_the_cut_row():
    text = archive_csv(MET_ROW, ESSEX_ROW)
    parsed = read(text[: len(text) - 40])
    assert len(parsed.records) == 1
    assert len(parsed.quarantined) == 1 and "truncated" in parsed.quarantined[0].reason
    assert parsed.rows_read == 2


def test_truncated_json_is_refused():
    with pytest.raises(ImportRefused, match="truncated"):
        read_policeuk(json.dumps([API_RECORD, API_RECORD])[:-30].encode(), "x.json")


def test_not_a_boolean_is_quarantined():
    parsed = read(archive_csv(ESSEX_ROW.replace("True,False", "Maybe,False")), "2020-01-essex-stop-and-search.csv")
    assert not len(parsed.records) and "outcome_linked" in parsed.quarantined[0].reason


def test_windows_1252_file_is_read_with_a_warning():
    data = archive_csv(MET_ROW.replace("Controlled drugs", "Controlled drugs – café")).encode("cp1252")
    parsed = read_policeuk(data, "2022-09-metropolitan-stop-and-search.csv")
    assert parsed.records["object_of_search"].iloc[0] == "Controlled drugs – café"
    assert any("Windows-1252" in warning for warning in parsed.warnings)


def test_header_only_file_has_no_records():
    parsed = read(HEADER + "\n")
    assert parsed.rows_read == 0 and parsed.records.empty
