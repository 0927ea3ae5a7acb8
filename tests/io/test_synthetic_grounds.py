"""Issue 12: the demo extract's grounds read as officers write them, so rule G5 (near-identical grounds)
shows on the demo what it would show on real data: the copy-and-paste minority, not every search. The
variation never adds or removes a phrase the grounds rules G2-G4 look for."""

from __future__ import annotations

import re

import numpy as np

from stopsearch_app.domain.charter import Verdict, check, default_ruleset
from stopsearch_app.domain.records import FIELD_BY_NAME, SourceFormat
from stopsearch_app.io import synthetic_extract as synthetic

GROUNDS_LISTS = ("personal_factors", "specific_behaviour", "cannabis_smell", "cannabis_other_grounds", "retrospective")
TIERS = (synthetic.GROUNDS_EXCELLENT, synthetic.GROUNDS_BEHAVIOUR, synthetic.GROUNDS_CANNABIS_ONLY,
         synthetic.GROUNDS_CANNABIS_PLUS, synthetic.GROUNDS_PERSONAL_ONLY, synthetic.GROUNDS_RETROSPECTIVE,
         synthetic.GROUNDS_WITH_FICTITIOUS_DETAILS)


def phrase_groups(text: str) -> set[str]:
    book = default_ruleset().phrases
    return {f"{name}:{group.name}" for name in GROUNDS_LISTS for group in book.list(name)
            if re.search(group.pattern, text.lower())}


def test_varied_grounds_keep_the_phrases_the_grounds_rules_read():
    generator = synthetic._Generator(rows=10, seed=5, start=synthetic.DEFAULT_START, months=1)
    for tier in TIERS:
        for template in tier:
            text = template.format(street="High Street, Hackney", cad="1234")
            expected = phrase_groups(text)
            variants = {generator.vary(text) for _ in range(60)}
            assert len(variants) > 50  # nearly every search in its own words
            for variant in variants:
                assert phrase_groups(variant) == expected, (text, variant)


def test_g5_flags_a_minority_of_the_demo_extract_the_copied_and_the_stock_grounds():
    frame = synthetic.generate_extract()  # the demo's extract
    records = frame.assign(source_format=SourceFormat.LOCAL.value, batch_id=1)
    result = check(records, default_ruleset(), {1: frozenset(FIELD_BY_NAME)}, only=["G5"])
    verdicts = np.asarray(result.verdicts["G5"])
    applies = np.isin(verdicts, [int(Verdict.PASS), int(Verdict.REVIEW)])
    flagged = verdicts == int(Verdict.REVIEW)
    share = flagged.sum() / applies.sum()
    # the officers who copy and paste, and the team's stock phrases, and little else
    planted = synthetic.CANNED_OFFICER_SHARE * synthetic.CANNED_REUSE + synthetic.STOCK_SHARE
    assert planted / 2 < share < planted * 3, share
    reasons = [str(result.reasons["G5"][i]) for i in np.flatnonzero(flagged)]
    assert any("by the same officer" in reason for reason in reasons)
    assert any(re.search(r"by \d+ officers", reason) for reason in reasons)
    stock = frame["grounds_text"].isin(synthetic.STOCK_GROUNDS).to_numpy()
    assert stock.sum() >= 3 and flagged[stock].all()


def test_the_wording_does_not_change_the_other_fields_of_the_seeded_extract():
    varied = synthetic.generate_extract(rows=400, seed=11)
    generator = synthetic._Generator(rows=400, seed=11, start=synthetic.DEFAULT_START, months=synthetic.DEFAULT_MONTHS)
    generator.own_words = lambda frame: list(frame["grounds_text"])  # the templates as drawn
    plain = synthetic._canonical(generator.frame())
    assert varied.drop(columns=["grounds_text"]).equals(plain.drop(columns=["grounds_text"]))
    assert (varied["grounds_text"] != plain["grounds_text"]).mean() > 0.5
