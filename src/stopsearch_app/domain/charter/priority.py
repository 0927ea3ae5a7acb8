"""Why a case is first in the review queue, in words (issue 12 item 4). Pure Python.

The queue is ordered by the review priority stored with each check (store/checks.review_priority):
strip-search (S) and legal-basis (L) fails lead, then other fails, then reviews, each by the rule's
severity. :func:`explain` names the rule that sets a record's place and what else it has, so a
supervisor reads "Strip-search safeguard failed: S1 …" instead of a bare score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .verdicts import Verdict

SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
_KIND = {"S": "Strip-search safeguard", "L": "Legal basis", "G": "Grounds", "C": "Conduct", "R": "Record",
         "K": "Child rule", "Q": "Data quality"}


def score(rule_id: str, verdict_char: str, severity: str) -> int:
    """The same ordering as store/checks.review_priority (kept beside it by tests)."""
    rank = SEVERITY_RANK.get(severity, 1)
    if verdict_char == Verdict.FAIL.char:
        return rank + (30 if rule_id[:1] in "SL" else 20)
    if verdict_char == Verdict.REVIEW.char:
        return rank + 10
    return 0


def explain_short(order: Sequence[str], packed: str, rules: Mapping[str, Mapping[str, object]]) -> str:
    """The queue cell: 'S2 failed · strip-search safeguard, critical (+3)'; :func:`explain` is the tooltip."""
    flagged = _flagged(order, packed, rules)
    if not flagged:
        return "nothing to review"
    _score, _position, rule_id, char = flagged[0]
    severity = str(rules.get(rule_id, {}).get("severity", ""))
    verb = "failed" if char == Verdict.FAIL.char else "to review"
    return (f"{rule_id} {verb} · {_KIND.get(rule_id[:1], 'rule').lower()}" + (f", {severity}" if severity else "")
            + (f" (+{len(flagged) - 1})" if len(flagged) > 1 else ""))


def _flagged(order: Sequence[str], packed: str, rules: Mapping[str, Mapping[str, object]]) -> list[tuple]:
    flagged = [(score(rule_id, char, str(rules.get(rule_id, {}).get("severity", ""))), position, rule_id, char)
               for position, (rule_id, char) in enumerate(zip(order, packed))
               if char in (Verdict.FAIL.char, Verdict.REVIEW.char)]
    return sorted(flagged, key=lambda item: (-item[0], item[1]))


def explain(order: Sequence[str], packed: str, rules: Mapping[str, Mapping[str, object]]) -> str:
    """'Strip-search safeguard failed: S1 An appropriate adult… (critical) · also 1 fail, 2 to review'."""
    flagged = _flagged(order, packed, rules)
    if not flagged:
        return "nothing to review"
    _score, _position, rule_id, char = flagged[0]
    meta = rules.get(rule_id, {})
    kind = _KIND.get(rule_id[:1], "Rule")
    verb = "failed" if char == Verdict.FAIL.char else "needs review"
    text = f"{kind} {verb}: {rule_id} {meta.get('title', '')}".rstrip()
    if meta.get("severity"):
        text += f" ({meta['severity']})"
    rest_fail = sum(1 for item in flagged[1:] if item[3] == Verdict.FAIL.char)
    rest_review = len(flagged) - 1 - rest_fail
    extra = [part for part in (f"{rest_fail} more fail{'s' * (rest_fail != 1)}" if rest_fail else "",
                               f"{rest_review} more to review" if rest_review else "") if part]
    return text + (" · also " + ", ".join(extra) if extra else "")
