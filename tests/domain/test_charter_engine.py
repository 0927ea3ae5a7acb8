"""The charter engine as a whole: rule-set files, verdict codes, packed storage, coverage, summaries, and
the synthetic extract (shared/spec/charter-rules.md; shared/spec/records.md "Local extracts")."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from stopsearch_app.domain.charter import (REGISTRY, VERDICT_KEYS, Verdict, RuleSetError, available_rulesets, check,
                                           default_ruleset, find_ruleset, load_ruleset, pack_verdicts,
                                           unpack_concatenated, unpack_verdicts)
from stopsearch_app.domain.records import FIELDS, PUBLIC_FIELDS, SourceFormat
from stopsearch_app.io.synthetic_extract import SYNTHETIC_FIELDS, generate_extract, write_csv, write_xlsx
from stopsearch_app.resources import resource_path

SPEC_IDS = ("L1", "L2", "L3", "L4", "G1", "G2", "G3", "G4", "G5", "C1", "C2", "C3", "C4", "C5", "C6", "R1",
            "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "K1", "K2", "K3", "K4", "K5", "Q1", "Q2", "Q3")
PUBLIC_RULES = {"L1", "L2", "K3", "K4", "K5", "S9", "Q1", "Q2"}


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return generate_extract()


@pytest.fixture(scope="module")
def extract_result(extract: pd.DataFrame):
    return check(extract.assign(source_format=SourceFormat.LOCAL.value, batch_id=1), default_ruleset(),
                 {1: SYNTHETIC_FIELDS})


# -- verdicts ---------------------------------------------------------------------------------------------

def test_verdict_codes_and_keys_are_the_stable_interface() -> None:
    assert [(v.name, int(v)) for v in Verdict] == [("PASS", 1), ("FAIL", 2), ("REVIEW", 3), ("NOT_RECORDED", 4),
                                                     ("NOT_ASSESSABLE", 5), ("NOT_APPLICABLE", 6)]
    assert VERDICT_KEYS == ("pass", "fail", "review", "not_recorded", "not_assessable", "not_applicable")
    assert all(Verdict.from_key(v.key) is v and str(v) == v.key for v in Verdict)
    with pytest.raises(ValueError, match="unknown verdict"):
        Verdict.from_key("compliant")


def test_every_verdict_reads_without_colour() -> None:
    for attribute in ("glyph", "char", "colour", "label"):
        values = [getattr(v, attribute) for v in Verdict]
        assert len(set(values)) == len(values) and all(values), attribute
    assert all(re.fullmatch(r"#[0-9A-F]{6}", v.colour) for v in Verdict)
    assert all(len(v.char) == 1 and v.char.isascii() and v.char != "-" for v in Verdict)


# -- rule-set files ---------------------------------------------------------------------------------------

def test_default_ruleset_holds_every_spec_rule_in_order() -> None:
    ruleset = default_ruleset()
    assert ruleset.id == "met-charter-2025" and ruleset.version and ruleset.effective_from == "2025-02-27"
    assert ruleset.rule_ids == SPEC_IDS
    assert set(REGISTRY) == set(SPEC_IDS)
    assert re.fullmatch(r"[0-9a-f]{64}", ruleset.content_hash)
    rules = {rule.id: rule for rule in ruleset.rules}
    assert rules["G1"].params["min_words"] == 12
    assert rules["C6"].params["detention_minutes"] == 20
    assert (rules["K2"].params["repeat_count"], rules["K2"].params["window_days"]) == (3, 365)
    assert {rid: (rules[rid].basis, rules[rid].promote_to_law) for rid in ("S5", "S6")} == {
        "S5": ("guidance", False), "S6": ("guidance", False)}
    assert rules["C3"].basis == "policy" and rules["G3"].basis == "guidance" and rules["S1"].basis == "law"
    assert all(rules[rid].severity in ("critical", "high") for rid in SPEC_IDS if rid[0] in "SL")
    assert {rid for rid, rule in rules.items() if rule.child_only} == {
        "C5", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S9", "K1", "K2", "K3", "K4", "K5"}
    assert all(rule.enabled for rule in ruleset.rules)


def test_ruleset_is_found_by_id_and_hash_is_stable() -> None:
    assert "met-charter-2025" in available_rulesets()
    assert find_ruleset("met-charter-2025") is default_ruleset()
    again = load_ruleset(resource_path("charter", "met-charter-2025.toml"))
    assert again.content_hash == default_ruleset().content_hash
    with pytest.raises(RuleSetError, match="no rule set 'nope'"):
        find_ruleset("nope")


def write_variant(folder: Path, edit_rules=lambda text: text, edit_phrases=lambda text: text) -> Path:
    source = resource_path("charter")
    (folder / "phrases.toml").write_text(edit_phrases((source / "phrases.toml").read_text(encoding="utf-8")),
                                         encoding="utf-8")
    path = folder / "variant.toml"
    path.write_text(edit_rules((source / "met-charter-2025.toml").read_text(encoding="utf-8")), encoding="utf-8")
    return path


def replace_once(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


@pytest.mark.parametrize(("edit", "message"), [
    (replace_once('id = "Q3"', 'id = "Z9"'), "no implementation for rule ID Z9"),
    (replace_once('id = "L2"', 'id = "L1"'), "duplicate rule ID L1"),
    (replace_once('basis = "law"', 'basis = "statute"'), "bad basis 'statute'"),
    (replace_once('fields = ["legislation", "power"]\n', ''), "missing fields"),
    (replace_once('fields = ["receipt_offered"]', 'fields = ["receipt_offered", "receipt"]'), "unknown fields receipt"),
    (replace_once('min_words = 12', 'min_word = 12'), "unknown parameter 'min_word'"),
    (replace_once('min_words = 12', 'min_words = "twelve"'), "parameter 'min_words' should be like 12"),
    (replace_once('severity = "critical"', 'severity = "urgent"'), "bad severity 'urgent'"),
    (replace_once('applies_to = "children"', 'applies_to = "young people"'), "bad applies_to"),
    (replace_once('requires = ["receipt_offered"]', 'requires = ["vehicle_reg"]'), "not in its fields"),
    (replace_once('id = "L1"\ntitle = "A lawful power is recorded and is a known power"\ncategory = "legal_basis"\n'
                  'basis = "law"\ncitation = "PACE Code A 4.3"\nfields = ["legislation", "power"]\n'
                  'requires = ["legislation"]\nseverity = "critical"\nenabled = true\napplies_to = "all"\n'
                  'promote_to_law = false',
                  'id = "L1"\ntitle = "A lawful power is recorded and is a known power"\ncategory = "legal_basis"\n'
                  'basis = "law"\ncitation = "PACE Code A 4.3"\nfields = ["legislation", "power"]\n'
                  'requires = ["legislation"]\nseverity = "critical"\nenabled = true\napplies_to = "all"\n'
                  'promote_to_law = true'), "promote_to_law is only for guidance rules"),
    (replace_once('phrases = "phrases.toml"', 'phrases = "missing.toml"'), "phrase file"),
    (replace_once('min_rank = "inspector"', 'min_rank = "captain"'), "min_rank 'captain' is not a rank"),
    (replace_once('version = "2025.1"\ntitle', 'title'), "missing top-level 'version'"),
    (replace_once('[rule.reasons]\nfail = "No legal power', '[rule.reasons]\nbroken = "No legal power'),
     "reasons for unknown verdicts broken"),
])
def test_ruleset_loading_errors_are_clear(tmp_path: Path, edit, message: str) -> None:
    with pytest.raises(RuleSetError) as error:
        load_ruleset(write_variant(tmp_path, edit))
    assert message in str(error.value)


def test_ruleset_errors_are_listed_together(tmp_path: Path) -> None:
    def edit(text: str) -> str:
        return replace_once('id = "Q3"', 'id = "Z9"')(replace_once('basis = "law"', 'basis = "statute"')(text))
    with pytest.raises(RuleSetError) as error:
        load_ruleset(write_variant(tmp_path, edit))
    assert "Z9" in str(error.value) and "statute" in str(error.value)


def test_phrase_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match=r"'\*' is only allowed at the end of a word"):
        load_ruleset(write_variant(tmp_path, edit_phrases=replace_once('"nervy"', '"ner*vy"')))


def test_content_hash_covers_phrases_and_settings(tmp_path: Path) -> None:
    base = load_ruleset(write_variant(tmp_path))
    changed = load_ruleset(write_variant(tmp_path, edit_phrases=replace_once('"nervy"', '"jittery"')))
    assert base.content_hash == default_ruleset().content_hash != changed.content_hash
    assert base.with_settings(params={"G1": {"min_words": 8}}).content_hash != base.content_hash


def test_promote_to_law_changes_the_effective_basis() -> None:
    ruleset = default_ruleset()
    assert ruleset.rule("S5").effective_basis == "guidance" and not ruleset.rule("S5").is_legal
    promoted = ruleset.with_settings(promote_to_law={"S5": True, "S6": True})
    assert promoted.rule("S5").effective_basis == "law" and promoted.rule("S6").is_legal
    assert promoted.rule("S5").basis == "guidance"  # as written in the file: shown as promoted guidance
    assert promoted.content_hash != ruleset.content_hash
    with pytest.raises(RuleSetError, match="only a guidance rule can be promoted"):
        ruleset.with_settings(promote_to_law={"C3": True})
    with pytest.raises(RuleSetError, match="unknown rule 'X1'"):
        ruleset.with_settings(enabled={"X1": False})
    with pytest.raises(RuleSetError, match="unknown parameter"):
        ruleset.with_settings(params={"C6": {"minutes": 5}})


# -- packed storage ---------------------------------------------------------------------------------------

def test_pack_unpack_round_trip(extract_result) -> None:
    packed = extract_result.packed()
    assert packed.str.len().eq(len(default_ruleset().rules)).all()
    assert set("".join(packed.iloc[:200].tolist())) <= {v.char for v in Verdict}
    unpacked = unpack_verdicts(packed, extract_result.pack_order)
    assert unpacked.index.equals(extract_result.verdicts.index)
    assert (unpacked.to_numpy() == extract_result.verdicts.to_numpy()).all()
    assert (unpack_verdicts(packed.tolist(), extract_result.pack_order).to_numpy()
            == extract_result.verdicts.to_numpy()).all()
    # strings end to end, as the database joins a block of them for counting
    assert (unpack_concatenated("".join(packed), len(extract_result.pack_order))
            == extract_result.verdicts.to_numpy()).all()


def test_disabled_rules_are_packed_as_not_run(extract: pd.DataFrame) -> None:
    ruleset = default_ruleset().with_settings(enabled={"G3": False, "Q3": False})
    result = check(extract.iloc[:50], ruleset)
    assert "G3" not in result.rule_ids and result.pack_order == SPEC_IDS
    packed = result.packed()
    position = SPEC_IDS.index("G3")
    assert packed.str[position].eq("-").all() and packed.str[-1].eq("-").all()
    unpacked = unpack_verdicts(packed, result.pack_order)
    assert (unpacked["G3"] == 0).all() and (unpacked["L1"] > 0).all()


def test_unpack_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="expected 3"):
        unpack_verdicts(["PF", "PFR"], ["A", "B", "C"])
    with pytest.raises(ValueError, match="not a verdict"):
        unpack_verdicts(["PFZ"], ["A", "B", "C"])
    with pytest.raises(ValueError, match="0 \\(not run\\) or 1-6"):
        pack_verdicts(np.array([[1, 9]], dtype=np.int8))
    with pytest.raises(ValueError, match="do not split into records of 3"):
        unpack_concatenated("PFRP", 3)
    for text in ("PFZ", "PF\u00e9"):
        with pytest.raises(ValueError, match="not a verdict"):
            unpack_concatenated(text, 3)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int8, st.tuples(st.integers(0, 50), st.integers(0, 40)), elements=st.integers(0, 6)))
def test_pack_unpack_round_trip_any_matrix(matrix: np.ndarray) -> None:
    names = [f"R{i}" for i in range(matrix.shape[1])]
    packed = pack_verdicts(matrix)
    assert len(packed) == matrix.shape[0]
    assert (unpack_verdicts(packed, names).to_numpy().reshape(matrix.shape) == matrix).all()


# -- coverage and summaries -------------------------------------------------------------------------------

def public_frame(extract: pd.DataFrame, source: SourceFormat = SourceFormat.POLICEUK_CSV) -> pd.DataFrame:
    frame = extract[[field.name for field in FIELDS if field.public]].copy()
    frame["source_format"] = source.value
    frame["batch_id"] = 9
    return frame


@pytest.mark.parametrize("source", [SourceFormat.POLICEUK_CSV, SourceFormat.POLICEUK_JSON, SourceFormat.POLICEUK_FLAT])
def test_a_policeuk_only_load_can_assess_exactly_the_public_rules(extract: pd.DataFrame, source: SourceFormat) -> None:
    result = check(public_frame(extract, source))
    assert result.assessable_rules() == ["L1", "L2", "S9", "K3", "K4", "K5", "Q1", "Q2"]
    summary = result.summary()
    for rule_id in set(SPEC_IDS) - PUBLIC_RULES:
        assert summary[rule_id]["not_assessable"] == len(extract), rule_id
        assert summary[rule_id]["pass"] == summary[rule_id]["fail"] == 0, rule_id


def test_public_rows_with_stray_local_values_still_cannot_be_assessed(extract: pd.DataFrame) -> None:
    frame = extract.assign(source_format=SourceFormat.POLICEUK_CSV.value, batch_id=3)
    result = check(frame)
    assert set(result.assessable_rules()) == PUBLIC_RULES


def test_a_mixed_load_can_assess_every_rule(extract: pd.DataFrame) -> None:
    frame = pd.concat([public_frame(extract.iloc[:500]),
                       extract.iloc[500:].assign(source_format=SourceFormat.LOCAL.value, batch_id=1)],
                      ignore_index=True)
    result = check(frame, default_ruleset(), {1: SYNTHETIC_FIELDS})
    assert result.assessable_rules() == list(SPEC_IDS)
    assert (result.verdicts.loc[:499, "G1"] == Verdict.NOT_ASSESSABLE).all()
    assert result.coverage.loc["G1", "assessable"] == len(frame) - 500


def test_an_unlisted_local_batch_carries_what_it_has_values_for(extract: pd.DataFrame) -> None:
    frame = extract.iloc[:100].assign(source_format=SourceFormat.LOCAL.value, batch_id=5, grounds_text=None)
    result = check(frame, default_ruleset(), local_fields_by_batch={})
    assert (result.verdicts["G1"] == Verdict.NOT_ASSESSABLE).all()
    assert (result.verdicts["C2"] != Verdict.NOT_ASSESSABLE).all()
    mapped = check(frame, default_ruleset(), local_fields_by_batch={5: SYNTHETIC_FIELDS})
    assert (mapped.verdicts["G1"] != Verdict.NOT_ASSESSABLE).all()


def test_summary_has_all_six_keys_and_honours_the_mask(extract_result) -> None:
    summary = extract_result.summary()
    assert list(summary) == list(SPEC_IDS)
    assert all(list(counts) == list(VERDICT_KEYS) for counts in summary.values())
    assert all(sum(counts.values()) == len(extract_result) for counts in summary.values())
    children = extract_result.child_status.eq("child")
    child_summary = extract_result.summary(children)
    assert all(sum(counts.values()) == int(children.sum()) for counts in child_summary.values())
    assert child_summary["S1"]["not_applicable"] < summary["S1"]["not_applicable"]
    assert extract_result.summary(children.to_numpy()) == child_summary


@pytest.mark.parametrize("block_rows", [65_536, 7], ids=["one-block", "many-blocks"])
def test_code_counts_are_each_rules_own_counts(extract_result, monkeypatch, block_rows) -> None:
    from stopsearch_app.domain.charter import engine

    monkeypatch.setattr(engine, "COUNT_BLOCK_ROWS", block_rows)
    children = extract_result.child_status.eq("child").to_numpy()
    for mask in (None, children, ~children):
        counts = extract_result.code_counts(mask)
        verdicts = extract_result.verdicts if mask is None else extract_result.verdicts[mask]
        assert counts.shape == (len(extract_result.rule_ids), len(Verdict) + 1)
        for row, rule_id in enumerate(extract_result.rule_ids):
            expected = verdicts[rule_id].value_counts()
            assert {code: int(n) for code, n in enumerate(counts[row]) if n} == \
                {int(code): int(n) for code, n in expected.items()}, rule_id


def test_findings_long_form(extract_result) -> None:
    findings = extract_result.findings()
    assert set(findings["verdict"].unique()) == {"fail", "review"}
    assert findings["reason"].str.len().gt(0).all()
    everything = extract_result.findings(verdicts=None)
    assert len(everything) == len(extract_result) * len(extract_result.rule_ids)
    assert list(everything.columns) == ["record", "rule_id", "verdict", "reason"]


def test_child_identification_runs_when_the_columns_are_absent(extract: pd.DataFrame) -> None:
    from stopsearch_app.domain.children import child_band, child_status

    with_columns = extract.assign(child_status=child_status(extract), child_band=child_band(extract))
    derived = check(extract)
    given_columns = check(with_columns)
    assert derived.child_status.equals(given_columns.child_status)
    assert derived.verdicts.equals(given_columns.verdicts)


def test_only_restricts_the_rules_run(extract: pd.DataFrame) -> None:
    result = check(extract.iloc[:10], only=["S1", "L1"])
    assert result.rule_ids == ("L1", "S1")
    with pytest.raises(KeyError):
        check(extract.iloc[:10], only=["X1"])


def test_empty_frame(extract: pd.DataFrame) -> None:
    result = check(extract.iloc[:0])
    assert result.verdicts.shape == (0, len(SPEC_IDS))
    assert result.summary()["S1"] == dict.fromkeys(VERDICT_KEYS, 0)
    assert result.packed().empty


# -- the synthetic extract --------------------------------------------------------------------------------

def test_synthetic_extract_exercises_every_rule(extract_result) -> None:
    """Every rule gets at least one fail or review, and one pass, wherever its logic can give them."""
    summary = extract_result.summary()
    problems = []
    for rule_id, counts in summary.items():
        gives = REGISTRY[rule_id].gives
        if gives & {Verdict.FAIL, Verdict.REVIEW} and counts["fail"] + counts["review"] == 0:
            problems.append(f"{rule_id}: no fail or review")
        if Verdict.PASS in gives and counts["pass"] == 0:
            problems.append(f"{rule_id}: no pass")
    assert problems == []


def test_synthetic_extract_shape_and_mix(extract: pd.DataFrame, extract_result) -> None:
    assert len(extract) == 3000 and list(extract.columns) == [field.name for field in FIELDS]
    status = extract_result.child_status
    assert 0.10 < status.eq("child").mean() < 0.25
    appears_only = extract["age_years"].isna() & extract["appears_under_18"].eq(True)
    assert appears_only.sum() > 10
    assert extract["borough"].nunique() >= 5 and extract["bcu"].nunique() >= 3
    months = extract["occurred_at"].dt.tz_convert("Europe/London").dt.strftime("%Y-%m").nunique()
    assert 3 <= months <= 6
    assert extract["source_ref"].str.fullmatch(r"MPS-SS-\d{6}").all() and extract["source_ref"].is_unique
    repeat_children = extract.loc[status.eq("child").to_numpy()].groupby("person_ref").size()
    assert (repeat_children >= 3).sum() >= 3
    assert extract["search_level"].eq("intimate").sum() >= 1
    assert extract["location_type"].isin(["police_vehicle", "school"]).sum() > 10


def test_synthetic_extract_is_seeded_and_fictitious(extract: pd.DataFrame) -> None:
    assert generate_extract(rows=300, seed=1).equals(generate_extract(rows=300, seed=1))
    assert not generate_extract(rows=300, seed=1).equals(generate_extract(rows=300, seed=2))
    grounds = " ".join(extract["grounds_text"].dropna())
    phones = re.findall(r"\b07\d{3} ?\d{6}\b", grounds)
    assert phones and all(phone.replace(" ", "").startswith("07700900") for phone in phones)
    assert all(postcode.startswith("ZZ99") for postcode in re.findall(r"\b[A-Z]{1,2}\d{1,2} \d[A-Z]{2}\b", grounds))
    assert extract["vehicle_reg"].dropna().str.startswith("ZZ").all()


def test_synthetic_extract_files(tmp_path: Path) -> None:
    small = generate_extract(rows=200, seed=3)
    csv_path = write_csv(tmp_path / "extract.csv", small)
    read_back = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(read_back.columns) == [field.name for field in FIELDS] and len(read_back) == 200
    assert read_back["occurred_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00").all()
    assert set(read_back["receipt_offered"]) <= {"True", "False", ""}
    xlsx_path = write_xlsx(tmp_path / "extract.xlsx", small)
    workbook = pd.read_excel(xlsx_path, dtype=str)
    assert list(workbook.columns) == list(read_back.columns) and len(workbook) == 200


def test_template_has_the_canonical_header() -> None:
    template = resource_path("templates", "local-extract-template.csv").read_text(encoding="utf-8")
    assert template.strip().split(",") == [field.name for field in FIELDS]
    readme = resource_path("templates", "README.md").read_text(encoding="utf-8")
    missing = [field.name for field in FIELDS if f"`{field.name}`" not in readme]
    assert missing == []
    assert PUBLIC_FIELDS < set(template.strip().split(","))


def test_settings_between_recovers_what_was_changed():
    from stopsearch_app.domain.charter.ruleset import default_ruleset, describe_settings, settings_between

    base = default_ruleset()
    settings = {"enabled": {"K4": False, "Q2": False}, "promote_to_law": {"S6": True},
                "params": {"K2": {"repeat_count": 4}, "S5": {"min_rank": "superintendent"}}}
    changed = base.with_settings(**settings)
    assert settings_between(base, changed.as_data()["rules"]) == settings
    assert settings_between(base, base.as_data()["rules"]) == {}
    assert describe_settings(settings) == ("K4 off; Q2 off; S6 counts as law; K2 repeat_count 4; "
                                           "S5 min_rank superintendent")


def test_settings_from_a_file_keep_only_well_formed_entries():
    from stopsearch_app.domain.charter.ruleset import normalise_settings

    assert normalise_settings(None) == {} and normalise_settings(["K4"]) == {}
    assert normalise_settings({"comment": 1, "enabled": {"K4": False, "K5": "no"}, "promote_to_law": ["S5"],
                               "params": {"G1": 20, "K2": {"repeat_count": 4, "window_days": [1]}}}) == \
        {"enabled": {"K4": False}, "params": {"K2": {"repeat_count": 4}}}


def test_the_priority_words_follow_the_stored_priority_order() -> None:
    """domain.charter.priority.score orders as store.checks.review_priority (same weights)."""
    from stopsearch_app.domain.charter.priority import explain, score
    from stopsearch_app.store.checks import SEVERITY_RANK

    assert score("S1", "F", "critical") == SEVERITY_RANK["critical"] + 30
    assert score("G3", "R", "medium") == SEVERITY_RANK["medium"] + 10
    rules = {"S1": {"title": "Appropriate adult present", "severity": "critical"},
             "G3": {"title": "Cannabis smell not the sole ground", "severity": "medium"},
             "C2": {"title": "Receipt offered", "severity": "low"}}
    text = explain(["G3", "C2", "S1"], "RFF", rules)
    assert text == ("Strip-search safeguard failed: S1 Appropriate adult present (critical) · also 1 more fail, "
                    "1 more to review")
    assert explain(["G3"], "R", rules).startswith("Grounds needs review: G3")
    assert explain(["G3"], "P", rules) == "nothing to review"
