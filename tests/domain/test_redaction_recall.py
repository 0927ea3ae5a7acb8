"""Redaction measured on a labelled set (tests/domain/redaction_labelled.py): every planted item of every
kind removed, and how many ordinary words go with them (over-redaction), printed with ``-s``:

    .venv/bin/python -m pytest tests/domain/test_redaction_recall.py -s -q
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from stopsearch_app.domain.review import redact
from tests.domain.redaction_labelled import KINDS, labelled_set

# Words a planted item may share with the text around it: street and school words, saints' "St", titles.
GENERIC = {
    "lane", "road", "street", "estate", "avenue", "gardens", "crescent", "close", "way", "grove", "terrace", "square",
    "walk", "place", "mews", "drive", "court", "park", "school", "academy", "college", "primary", "high", "sixth",
    "form", "rc", "c", "of", "e", "the", "and", "st", "com", "co", "uk", "org", "mr", "ms", "mrs", "miss", "pc",
    "sgt", "dc",
}
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_BRACKET = re.compile(r"\[[a-z]+\]")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _TOKEN.findall(_BRACKET.sub(" ", text))]


def _survivors(secret: str, out_words: set[str], ordinary_words: set[str]) -> list[str]:
    tokens = [t.lower() for t in _TOKEN.findall(secret)]
    return [t for t in tokens if t not in GENERIC and len(t) >= 2 and t in out_words and t not in ordinary_words]


@pytest.fixture(scope="module")
def measured():
    texts = labelled_set()
    planted = Counter()
    missed: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    ordinary_total = ordinary_removed = 0
    for item in texts:
        out = redact(item.text)
        out_words = set(_words(out))
        ordinary = Counter(_words(item.ordinary))
        for planted_item in item.planted:
            planted[planted_item.kind] += 1
            left = _survivors(planted_item.secret, out_words, set(ordinary))
            if left:
                missed[planted_item.kind].append((planted_item.secret, out))
        after = Counter(_words(out))
        ordinary_total += sum(ordinary.values())
        ordinary_removed += sum(max(0, n - after[w]) for w, n in ordinary.items())
    return texts, planted, missed, ordinary_total, ordinary_removed


def test_the_labelled_set_plants_at_least_200_items_of_every_kind(measured):
    _texts, planted, *_ = measured
    assert set(planted) == set(KINDS)
    assert min(planted.values()) >= 200, planted


def test_every_planted_item_is_removed(measured):
    texts, planted, missed, ordinary_total, ordinary_removed = measured
    print(f"\nredaction on {len(texts)} labelled texts, {sum(planted.values())} planted items:")
    for kind in KINDS:
        found = planted[kind] - len(missed[kind])
        print(f"  {kind:<10} planted {planted[kind]:>4}  removed {found:>4}  recall {found / planted[kind]:.3f}")
    print(f"  ordinary words removed: {ordinary_removed} of {ordinary_total} "
          f"({ordinary_removed / ordinary_total:.2%})")
    examples = {kind: items[:3] for kind, items in missed.items() if items}
    assert not examples, examples


def test_over_redaction_stays_small(measured):
    *_, ordinary_total, ordinary_removed = measured
    # Erring towards removal is the rule; this guards against a rule that eats the grounds themselves.
    assert ordinary_removed / ordinary_total < 0.08, (ordinary_removed, ordinary_total)


def test_a_text_without_personal_details_keeps_almost_every_word():
    from tests.domain.redaction_labelled import ORDINARY

    text = " ".join(ORDINARY)
    before, after = Counter(_words(text)), Counter(_words(redact(text)))
    lost = sum(max(0, n - after[w]) for w, n in before.items())
    assert lost <= 0.02 * sum(before.values()), redact(text)
