"""Issue 5, review packs: re-read to the same values, redaction, Excel safety (BOM, formula injection,
10-17 kept as text), manifest hashes, the --no-redact flag, and the export-pack CLI contract."""

from __future__ import annotations

import unicodedata

import argparse
import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

import stopsearch_app.store.review_schema  # noqa: F401 - the review tables on the shared metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.selection import Selection
from stopsearch_app.services.commands_export import PackRequest, export_pack, run_cli
from stopsearch_app.io.pack_csv import DANGEROUS_START, NB_HYPHEN, decode_text, encode_text
from stopsearch_app.io.review_pack import (FINDINGS, MANIFEST, RECORDS, SUMMARY, PackContent, PackIntegrityError,
                                           read_pack, write_pack)
from stopsearch_app.store import reviews
from stopsearch_app.store.checks import run_check
from stopsearch_app.store.queries import Labels
from tests.helpers import import_paths

CSVS = (RECORDS, FINDINGS, SUMMARY)
CHILDREN = Selection.all_searches(age="child")
INJECTIONS = ('=HYPERLINK("http://evil.example","click")', "+1", "-2", "@SUM(A1:A9)", "\tx", "\rx", "'quoted",
              "=1+2", "-", "10-17", "3/4", "007")
FICTITIOUS = ("Jane Example", "John Sample", "07700 900123", "07700 900456", "ZZ99 9ZZ", "ZZ99 1ZZ",
              "1 Example Street", "22 Sample Road")


# --- a hand-made pack: every awkward value survives the round trip --------------------------------
def awkward_content() -> PackContent:
    when = [pd.Timestamp("2025-03-31T23:30:00Z"), pd.Timestamp("2025-07-01T08:05:00Z"), pd.NaT]
    records = pd.DataFrame({
        "record_id": ["MPS-SS-000001", "metropolitan-2022-09-00ff00ff00ff00ff-0", "=cmd|' /C calc'!A0"],
        "force": ["metropolitan", "metropolitan", "city-of-london"],
        "month": ["2025-03", "2025-07", "2025-08"],
        "occurred_at": pd.Series(when, dtype="datetime64[ns, UTC]"),
        "age_range": ["10-17", "under 10", None],
        "child_status": ["child", "child", "unknown"],
        "gender": ["male", None, "female"],
        "removal_more_than_outer": pd.array([True, False, None], dtype="boolean"),
        "detention_minutes": pd.array([12, None, 0], dtype="Int64"),
        "grounds_text": ["+1 said it was =SUM(1)", "Smell of cannabis.\nSecond line, \"quoted\"", "-2"],
        "force_reason": [None, "@SUM(A1)", "\tx"],
        "source_format": ["local", "policeuk-csv", "local"],
        "L1": ["pass", "fail", None], "G3": ["review", "not_assessable", "not_recorded"],
    })
    findings = [{"record_id": "MPS-SS-000001", "kind": "supervisor", "status": "active", "version": 2,
                 "fields": {"outcome": "words_of_advice", "rules_addressed": ("G3", "L1"), "note": text,
                            "bwv_viewed": True, "follow_up": date(2025, 9, 1)},
                 "vocabulary_version": "1.0", "created_by": "Sgt A", "updated_by": "Sgt B",
                 "updated_at": datetime(2025, 8, 1, 12, 0, tzinfo=UTC)} for text in INJECTIONS]
    return PackContent(records=records, rule_order=["L1", "G3"], rule_titles={"L1": "Lawful power", "G3": "Cannabis"},
                       findings=findings, manifest={"app_version": "test", "filters": {"age": "10-17"}})


def test_an_unredacted_pack_reads_back_to_the_same_values(tmp_path):
    content = awkward_content()
    result = write_pack(tmp_path / "pack", content, redacted=False)
    assert set(result.files) == {RECORDS, FINDINGS, SUMMARY, MANIFEST}
    pack = read_pack(result.path)
    records = pack.records
    assert records["record_id"].tolist() == content.records["record_id"].tolist()
    assert records["age_range"].tolist() == ["10-17", "under 10", None]
    assert records["grounds_text"].tolist() == content.records["grounds_text"].tolist()
    assert records["force_reason"].tolist() == [None, "@SUM(A1)", "\tx"]
    assert records["removal_more_than_outer"].tolist() == [True, False, None]
    assert records["detention_minutes"].tolist() == [12, None, 0]
    assert records["date"].tolist() == [date(2025, 4, 1), date(2025, 7, 1), None]  # London days
    assert [v.isoformat() if v else None for v in records["occurred_at"]] == [
        "2025-04-01T00:30:00+01:00", "2025-07-01T09:05:00+01:00", None]
    assert records["L1"].tolist() == ["pass", "fail", None] and records["G3"].tolist()[2] == "not_recorded"
    assert pack.findings["note"].tolist() == list(INJECTIONS)
    assert pack.findings["rules_addressed"].tolist() == ["G3 L1"] * len(INJECTIONS)
    assert pack.findings["follow_up"].tolist() == [date(2025, 9, 1)] * len(INJECTIONS)
    assert pack.findings["updated_by"].tolist() == ["Sgt B"] * len(INJECTIONS)
    verdicts = pack.summary[pack.summary["section"] == "verdicts"].set_index("item")
    assert verdicts.loc["L1", "pass"] == 1 and verdicts.loc["L1", "not_checked"] == 1  # unredacted: no <10


@pytest.mark.parametrize("value", [*INJECTIONS, "", "plain", "2025-03", "10\u201117", "1e5", "-0.06", "x'y"])
def test_every_text_cell_encoding_is_undone_exactly(value):
    encoded = encode_text(value)
    assert decode_text(encoded) == value
    assert not encoded.startswith(DANGEROUS_START[:-1]), encoded  # nothing Excel would run


def test_no_cell_starts_with_a_formula_character_and_files_have_a_bom(tmp_path):
    result = write_pack(tmp_path / "pack", awkward_content(), redacted=False)
    for name in CSVS:
        raw = (result.path / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        with (result.path / name).open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    raw_records = (result.path / RECORDS).read_text(encoding="utf-8-sig")
    assert "'=cmd|" in raw_records and "\"'+1 said it was =SUM(1)\"" in raw_records


def test_10_17_is_written_so_excel_keeps_it_as_text(tmp_path):
    result = write_pack(tmp_path / "pack", awkward_content(), redacted=False)
    with (result.path / RECORDS).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cell = rows[0]["age_range"]
    assert cell == f"10{NB_HYPHEN}17" and not cell.startswith("=")  # not a date to Excel, and not a formula
    assert read_pack(result.path).records["age_range"][0] == "10-17"
    manifest = json.loads((result.path / MANIFEST).read_text(encoding="utf-8"))
    assert any("10-17" in convention for convention in manifest["csv"]["conventions"])


def test_manifest_hashes_match_the_files_and_catch_a_change(tmp_path):
    result = write_pack(tmp_path / "pack", awkward_content())
    manifest = json.loads((result.path / MANIFEST).read_text(encoding="utf-8"))
    import hashlib

    for item in manifest["files"]:
        assert hashlib.sha256((result.path / item["name"]).read_bytes()).hexdigest() == item["sha256"]
    records = result.path / RECORDS
    records.write_bytes(records.read_bytes().replace(b"metropolitan", b"metrOpolitan", 1))
    with pytest.raises(PackIntegrityError, match="records.csv changed"):
        read_pack(result.path)
    read_pack(result.path, verify=False)  # still readable when asked not to check


def test_a_redacted_pack_drops_personal_columns_and_redacts_text(tmp_path):
    content = awkward_content()
    content.records["officer_ref"] = ["OFC-1234", None, "OFC-9"]
    content.records["grounds_text"] = ["Caller Ms Jane Example, 07700 900123, said so", None, "ok"]
    pack = read_pack(write_pack(tmp_path / "pack", content).path)
    assert pack.redacted
    assert "officer_ref" not in pack.records and "occurred_at" not in pack.records
    assert "grounds_text" not in pack.records
    assert pack.records["grounds_text_redacted"][0] == "Caller Ms [name], [phone], said so"  # the title stays
    assert "updated_by" not in pack.findings and "note_redacted" in pack.findings
    assert pack.findings["updated_at"][0] == date(2025, 8, 1)  # the day only
    verdicts = pack.summary[pack.summary["section"] == "verdicts"].set_index("item")
    assert verdicts.loc["L1", "pass"] == "<10"  # small counts suppressed when redacted
    assert pack.manifest["redaction"]["version"]


# --- a pack from the database ---------------------------------------------------------------------
@pytest.fixture
def checked(engine, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    path = write_csv(tmp_path / "synthetic-extract.csv", generate_extract(rows=1500, months=2))
    import_paths(engine, path)
    run_check(engine, run_by="tester")
    return engine


def personal_values(engine) -> set[str]:
    """Officer, person and vehicle references and safeguarding referral numbers (the location text is
    withheld as a column, but its street and borough may appear in redacted grounds: the rule keeps street
    names without a house number)."""
    from sqlalchemy import select

    from stopsearch_app.store.schema import search_local

    with engine.connect() as connection:
        rows = connection.execute(select(search_local.c.officer_ref, search_local.c.person_ref,
                                         search_local.c.vehicle_reg, search_local.c.safeguarding_referral_ref)).all()
    return {value for row in rows for value in row if value}


def add_findings(engine) -> str:
    labels = Labels(engine)
    search_id = int(reviews.queue_ids(engine, labels)[0])
    record_id = reviews.record_id_for(engine, labels, search_id)
    reviews.RecordFinding(engine, record_id, "supervisor",
                          {"outcome": "training_need", "note": "=HYPERLINK(\"x\") Mr John Sample, 07700 900456"},
                          who="Sgt Adams").do()
    reviews.RecordFinding(engine, record_id, "panel", {"rag": "amber", "grounds_reasonable": "partly",
                                                       "learning_note": "-2 points", "police_response": "@noted"},
                          who="Panel chair").do()
    return record_id


def test_a_redacted_pack_from_the_database_holds_no_personal_detail(checked, tmp_path):
    record_id = add_findings(checked)
    result = export_pack(checked, PackRequest(out=tmp_path / "pack", selection=CHILDREN), user="Sgt Adams")
    assert result.redacted and result.records > 50 and result.findings == 2
    text = "\n".join((result.path / name).read_text(encoding="utf-8-sig") for name in CSVS)
    secrets = personal_values(checked)
    assert secrets
    leaked = sorted(value for value in secrets if value in text)
    assert not leaked, leaked[:5]
    for planted in FICTITIOUS:
        assert planted not in text, planted
    pack = read_pack(result.path)
    for column in ("officer_ref", "person_ref", "vehicle_reg", "source_ref", "latitude", "longitude", "location_text",
                   "occurred_at", "age_years", "safeguarding_referral_ref", "grounds_text"):
        assert column not in pack.records, column
    assert all(isinstance(v, date) for v in pack.records["date"].dropna())
    assert set(pack.records["child_status"]) == {"child"}
    assert {"L1", "G3", "S1"} <= set(pack.records.columns)
    assert set(pack.records["G3"].dropna()) <= {"pass", "fail", "review", "not_recorded", "not_assessable",
                                                 "not_applicable"}
    supervisor_row = pack.findings[pack.findings["kind"] == "supervisor"].iloc[0]
    # the record id is the pack's pseudonym, the same in records.csv and findings.csv
    assert supervisor_row["record_id"] == result.pseudonyms[record_id] != record_id
    assert supervisor_row["record_id"] in set(pack.records["record_id"])
    assert not set(pack.records["record_id"]) & set(result.pseudonyms)
    assert "authorisation_ref" not in pack.records
    # redacted (an unknown capitalised word is taken for a name), and read back as text, not a formula
    assert supervisor_row["note_redacted"] == "=[name](\"x\") Mr [name], [phone]"
    panel_row = pack.findings[pack.findings["kind"] == "panel"].iloc[0]
    assert (panel_row["rag"], panel_row["learning_note_redacted"], panel_row["police_response_redacted"]) == (
        "amber", "-2 points", "@noted")
    manifest = pack.manifest
    assert manifest["redacted"] is True and manifest["rule_set"]["id"] == "met-charter-2025"
    assert manifest["census_table"]["year"] == 2021 and manifest["app_version"]
    sections = set(pack.summary["section"])
    assert "verdicts" in sections
    assert "disparity" in sections or "unavailable" in set(pack.summary["item"])


def test_no_redact_keeps_everything_and_says_so(checked, tmp_path):
    add_findings(checked)
    result = export_pack(checked, PackRequest(out=tmp_path / "pack", selection=CHILDREN, redact=False), user="Sgt Adams")
    pack = read_pack(result.path)
    assert pack.manifest["redacted"] is False and "supervisor's own use" in pack.manifest["purpose"]
    assert pack.manifest["redaction"] is None
    for column in ("officer_ref", "person_ref", "source_ref", "occurred_at", "grounds_text", "latitude"):
        assert column in pack.records, column
    assert pack.records["officer_ref"].notna().any()
    notes = pack.findings.set_index("kind")["note"]
    assert "Mr John Sample, 07700 900456" in notes["supervisor"]
    assert set(pack.findings["updated_by"]) == {"Sgt Adams", "Panel chair"}


def test_a_sample_pack_is_reproducible_and_records_its_seed(checked, tmp_path):
    request = PackRequest(out=tmp_path / "a", selection=CHILDREN, sample=12, seed=2024)
    first_result = export_pack(checked, request, user="Sgt Adams")
    second_result = export_pack(checked, PackRequest(out=tmp_path / "b", selection=CHILDREN, sample=12, seed=2024),
                                user="Sgt Adams")
    first, second = read_pack(first_result.path), read_pack(second_result.path)
    real = [{v: k for k, v in result.pseudonyms.items()} for result in (first_result, second_result)]
    assert [real[0][p] for p in first.records["record_id"]] == [real[1][p] for p in second.records["record_id"]]
    assert [real[0][p] for p in first.always["record_id"]] == [real[1][p] for p in second.always["record_id"]]
    # the same records under other pseudonyms: two packs cannot be joined by their ids
    assert not set(first.records["record_id"]) & set(second.records["record_id"])
    assert not set(first.always["record_id"]) & set(second.always["record_id"])
    sample = first.manifest["sample"]
    # Exactly N at random; the must-see cases are their own list (always.csv), never counted in N.
    assert sample["seed"] == 2024 and sample["n"] == 12 and sample["size"] == len(first.records) == 12
    assert first.manifest["records"] == 12
    assert sample["always_included"] == len(first.always) == first.manifest["always_included"] > 0
    assert set(first.records["sample_reason"]) == {"random draw"}
    assert first.records["sample_position"].tolist() == list(range(1, 13))
    assert all(r.startswith("must-see") for r in first.always["sample_reason"])
    assert not set(first.records["record_id"]) & set(first.always["record_id"])
    strip = first.records[first.records["search_level"].isin(["mts", "eip"])]
    assert strip.empty  # every child strip search is in always.csv, none in the random draw
    strata = first.summary[first.summary["section"] == "sample_strata"]
    assert len(strata) >= 3


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    # NFKC: the PDF's fonts set "ff" and "fi" as ligatures, which come back as one character each.
    return unicodedata.normalize("NFKC", " ".join(" ".join(page.extract_text().split())
                                                  for page in PdfReader(str(path)).pages))


def test_every_pack_has_a_report_with_the_period_the_sample_and_the_rag_summary(checked, tmp_path):
    request = PackRequest(out=tmp_path / "first", selection=CHILDREN, sample=10, seed=11)
    exported = export_pack(checked, request, user="Sgt Adams")
    first = read_pack(exported.path)
    real = {pseudonym: record for record, pseudonym in exported.pseudonyms.items()}  # the app's own map back
    rated, awaited = real[first.records["record_id"].iloc[0]], real[first.records["record_id"].iloc[1]]
    reviews.RecordFinding(checked, rated, review.PANEL, {"rag": "green", "learning_note": "Grounds clearly written up",
                                                          "police_response": "Noted"}, who="Panel chair").do()
    reviews.RecordFinding(checked, awaited, review.PANEL, {"rag": "red"}, who="Panel chair").do()
    second = export_pack(checked, PackRequest(out=tmp_path / "pack", selection=CHILDREN, sample=10, seed=11), user="Sgt Adams")
    pack = read_pack(second.path)
    awaited = second.pseudonyms[awaited]  # as the second pack names it
    assert "report.pdf" in {item["name"] for item in pack.manifest["files"]}  # hashed like every file
    text = _pdf_text(pack.path / "report.pdf")
    months = sorted(set(pack.records["month"]) | set(pack.always["month"]))
    assert f"Period: {months[0]} to {months[-1]}" in text
    assert "10 records drawn at random (seed 11" in text
    assert f"{len(pack.always)} must-see cases" in text
    for record_id in pack.records["record_id"]:  # the record ids wrap in the table: compare without spaces
        assert record_id.replace(" ", "") in text.replace(" ", "")
    assert "Green 1" in text and "Red 1" in text and f"not rated yet {10 + len(pack.always) - 2}" in text
    assert "Grounds clearly written up" in text
    assert "Police responses outstanding" in text and awaited.replace(" ", "") in text.replace(" ", "")
    assert "Counts from 1 to 9 are shown as <10" in text
    assert "MDA_S23" not in text and "PACE_S1" not in text  # labels, never codes


def test_export_pack_cli_contract(checked, db_url, tmp_path):
    checked.dispose()
    args = argparse.Namespace(db=db_url, out=tmp_path / "cli-pack", filter_force=None, month_from=None, month_to=None,
                              borough=None, age="child", area="london", ethnicity="self", sample=None, seed=None,
                              no_redact=False, user="Sgt Adams", json=True)
    output, status = run_cli(args)
    assert status == 0
    assert {"path", "files", "records", "redacted"} <= set(output)
    assert output["redacted"] is True and output["records"] > 0
    assert {"records.csv", "findings.csv", "summary.csv", "report.pdf", "manifest.json"} <= set(output["files"])
    folder = Path(output["path"])
    assert all((folder / name).is_file() for name in output["files"])
    json.dumps({k: v for k, v in output.items() if k != "_text"})  # the JSON the CLI prints
    with pytest.raises(ValueError, match="--seed needs --sample"):
        run_cli(argparse.Namespace(**{**vars(args), "seed": 3}))
    with pytest.raises(ValueError, match="no records match"):
        run_cli(argparse.Namespace(**{**vars(args), "month_from": "2030-01"}))


def test_a_rule_turned_off_has_no_column_and_the_manifest_says_so(checked, tmp_path):
    from stopsearch_app.domain.charter.ruleset import ruleset_from_settings

    run_check(checked, ruleset_from_settings({"enabled": {"K4": False}, "promote_to_law": {"S5": True}}),
              run_by="Sgt Adams")
    pack = read_pack(export_pack(checked, PackRequest(out=tmp_path / "pack", selection=CHILDREN), user="Sgt Adams").path)
    assert "K4" not in pack.records.columns and {"K3", "K5", "S5"} <= set(pack.records.columns)
    rule_set = pack.manifest["rule_set"]
    assert rule_set["rules_turned_off"] == ["K4"]
    assert rule_set["settings"] == {"enabled": {"K4": False}, "promote_to_law": {"S5": True}}
    assert "K4" not in set(pack.summary["item"])
