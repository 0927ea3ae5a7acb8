"""Readers register a sniff and an open; make_reader takes the surest, a forced format, or refuses."""

from __future__ import annotations

import pytest

from stopsearch_app.io import reader_registry as registry
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.readers import choose, make_reader
from stopsearch_app.io.sources import SourceFile
from tests.conftest import MET_SEPTEMBER_2022, POLICEUK

API_JSON = POLICEUK / "Fideladdi_Analyzing-SaS-London__stops-Jan2023_API.json"
FLAT_CSV = POLICEUK / "Malaphice_StopAndSearchData__avon-and-somerset_stop_search_data_API-flattened.csv"


def pick(path, **request) -> str:
    source = SourceFile(path)
    return choose(source, source.read_head(registry.HEAD_BYTES), registry.ReadRequest(**request)).name


def test_every_reader_module_registered_itself():
    assert [reader.name for reader in registry.registered()][:3] == ["policeuk-csv", "policeuk-json", "local"]


def test_the_real_files_go_to_their_readers(tmp_path):
    assert pick(MET_SEPTEMBER_2022) == "policeuk-csv"
    assert pick(FLAT_CSV) == "policeuk-csv"
    assert pick(API_JSON) == "policeuk-json"
    template = tmp_path / "extract.csv"
    template.write_text("occurred_at,force,age_range,gender,legislation,outcome\n2024-01-02T10:00,metropolitan,"
                        "10-17,Male,Misuse of Drugs Act 1971 (section 23),A no further action disposal\n")
    assert pick(template) == "local"  # the shipped template: no police.uk layout claims it
    # a mapping asks for the local reader, whatever the file looks like and whatever the format says
    assert pick(MET_SEPTEMBER_2022, mapping=object()) == "local"
    assert pick(MET_SEPTEMBER_2022, fmt="policeuk-json", mapping=object()) == "local"


def test_a_forced_format_is_used_and_refuses_what_it_cannot_read():
    assert pick(API_JSON, fmt="policeuk-json") == "policeuk-json"
    assert pick(MET_SEPTEMBER_2022, fmt="policeuk-json") == "policeuk-json"
    with pytest.raises(ImportRefused, match="this is JSON, not a police.uk CSV"):
        make_reader(fmt="policeuk-csv")(SourceFile(API_JSON))
    with pytest.raises(KeyError, match="no reader for format 'parquet'"):
        make_reader(fmt="parquet")


def test_nothing_claims_a_file_and_the_refusal_says_why(tmp_path):
    other = tmp_path / "2024-01-metropolitan-stop-and-search.csv"
    other.write_text("name,address\nA,B\n")
    with pytest.raises(ImportRefused, match="not a police.uk stop-and-search file: the header lacks 'Type'"):
        make_reader()(SourceFile(other))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportRefused, match="empty"):
        make_reader()(SourceFile(empty))


def test_a_new_reader_is_one_registration(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_READERS", dict(registry._READERS))  # leave the real registry as it was
    opened = []
    registry.register(registry.Reader(
        "tsv-test", sniff=lambda source, head, request: registry.CONTENT if b"\t" in head.split(b"\n")[0] else 0,
        open=lambda source, request: opened.append(source.name) or "stream"))
    tsv = tmp_path / "a.tsv"
    tsv.write_bytes(b"a\tb\n1\t2\n")
    assert make_reader()(SourceFile(tsv)) == "stream" and opened == ["a.tsv"]
    assert pick(MET_SEPTEMBER_2022) == "policeuk-csv"  # ties go to the first registered
