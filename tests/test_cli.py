"""The command-line contract of shared/spec/cli.md for import, stats and demo."""

from __future__ import annotations

import csv

import json

import pytest

from stopsearch_app.services.cli import main


def run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    try:
        return status, json.loads(captured.out), captured.err
    except ValueError:
        return status, captured.out, captured.err


def test_import_and_stats_json(capsys, db_url, met_file):
    status, result, _ = run(capsys, "--db", db_url, "import", str(met_file), "--json")
    assert status == 0
    assert (result["imported"], result["duplicates"], result["quarantined"]) == (12_447, 0, 0)
    assert result["files"][0]["force"] == "metropolitan" and result["files"][0]["rows_read"] == 12_447
    status, result, _ = run(capsys, "--db", db_url, "import", str(met_file), "--json")
    assert (status, result["imported"], result["duplicates"]) == (0, 0, 12_447)
    status, result, _ = run(capsys, "--db", db_url, "stats", "--json")
    assert result["records"] == 12_447 and result["children"] == 1_856 and result["months"] == ["2022-09"]
    assert result["child_status_unknown"] == 1_770 and result["quarantined"] == 0


def test_json_flag_before_the_command_works_too(capsys, db_url, met_file):
    status, result, _ = run(capsys, "--db", db_url, "--json", "stats")
    assert status == 0 and result["records"] == 0


def test_bad_file_exits_1_with_one_line_reason(capsys, db_url, write_file):
    path = write_file("people.csv", "name,age\nx,1\n")
    status, result, err = run(capsys, "--db", db_url, "import", str(path), "--json")
    assert status == 1 and result["files"][0]["error"]
    assert "not a police.uk stop-and-search file" in err and len(err.strip().splitlines()) == 1


def test_missing_path_exits_1(capsys, db_url, tmp_path):
    status, _, err = run(capsys, "--db", db_url, "import", str(tmp_path / "nope.csv"))
    assert status == 1 and "no such file" in err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_stopsearch_db_environment_variable(capsys, db_url, met_file, monkeypatch):
    monkeypatch.setenv("STOPSEARCH_DB", db_url)
    assert run(capsys, "import", str(met_file), "--json")[1]["imported"] == 12_447
    assert run(capsys, "stats", "--json")[1]["records"] == 12_447


def test_demo_builds_the_demo_database(capsys, db_url):
    status, result, _ = run(capsys, "demo", "--db", db_url, "--json")
    assert status == 0 and "metropolitan" in result["forces"] and "city-of-london" in result["forces"]
    assert result["children"] >= 1_856
    again = run(capsys, "demo", "--db", db_url, "--json")[1]
    assert again["records"] == result["records"]


def test_check_on_the_met_file_is_honest(capsys, db_url, met_file, tmp_path):
    run(capsys, "--db", db_url, "import", str(met_file), "--json")
    out = tmp_path / "verdicts.csv"
    status, result, _ = run(capsys, "--db", db_url, "check", "--children-only", "--out", str(out), "--json")
    assert status == 0 and result["children"] == 1_856 and result["records_checked"] == 12_447
    rules = result["rules"]
    assert all(set(counts) == {"pass", "fail", "review", "not_recorded", "not_assessable", "not_applicable"}
               for counts in rules.values())
    assert all(sum(counts.values()) == 1_856 for counts in rules.values())
    for rule_id in ("S1", "S5", "G1", "G2", "C1", "C3"):
        assert rules[rule_id]["not_assessable"] == 1_856
    assert rules["S9"]["not_recorded"] == 1_856
    assert sorted(result["assessable_rules"]) == ["K3", "K4", "K5", "L1", "L2", "Q1", "Q2", "S9"]
    with out.open(encoding="utf-8-sig", newline="") as handle:  # the Excel-safe writer: BOM, quoted text
        lines = list(csv.reader(handle))
    assert lines[0] == ["record_id", "rule_id", "verdict", "reason"]
    assert len(lines) - 1 == 1_856 * len(rules)
    assert lines[1][0].startswith("metropolitan-2022-09-")


def test_check_out_uses_the_extracts_own_reference(capsys, db_url, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    path = write_csv(tmp_path / "extract.csv", generate_extract(rows=200, seed=3))
    assert run(capsys, "--db", db_url, "import", str(path), "--format", "local", "--json")[0] == 0
    out = tmp_path / "verdicts.csv"
    status, result, _ = run(capsys, "--db", db_url, "check", "--out", str(out), "--json")
    assert status == 0
    first = out.read_text(encoding="utf-8-sig").splitlines()[1]
    assert first.startswith('"MPS-SS-')


def test_check_out_never_writes_a_formula_from_a_record_reference(capsys, db_url, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    frame = generate_extract(rows=100, seed=3)
    frame.loc[0, "source_ref"] = "=1+1-2"
    frame.loc[1, "source_ref"] = "@SUM(A1:A2)"
    path = write_csv(tmp_path / "extract.csv", frame)
    assert run(capsys, "--db", db_url, "import", str(path), "--format", "local", "--json")[0] == 0
    out = tmp_path / "verdicts.csv"
    assert run(capsys, "--db", db_url, "check", "--out", str(out), "--json")[0] == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [row[0] for row in csv.reader(handle)][1:]
    assert "'=1+1-2" in cells and "'@SUM(A1:A2)" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_check_with_an_unknown_rule_set_exits_1(capsys, db_url):
    status, _, err = run(capsys, "--db", db_url, "check", "--ruleset", "no-such-charter")
    assert status == 1 and "rule set" in err


def test_the_stopsearch_program_closes_its_database_before_it_exits(tmp_path, met_file):
    """The program skips the interpreter's last garbage collection (cli.entry_point); its SQLite
    connections must still be closed first, which checkpoints the WAL and removes it."""
    import subprocess
    import sys

    database = tmp_path / "program.db"
    for argv in (["import", str(met_file)], ["check"]):
        completed = subprocess.run([sys.executable, "-m", "stopsearch_app.services.cli", "--db",
                                    f"sqlite:///{database}", *argv, "--json"],
                                   capture_output=True, text=True, check=False, timeout=300)
        assert completed.returncode == 0, completed.stderr
        assert json.loads(completed.stdout)
        assert not database.with_name(database.name + "-wal").exists(), argv
