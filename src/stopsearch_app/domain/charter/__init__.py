"""The charter rule set as data and a vectorised engine (shared/spec/charter-rules.md).

Public API::

    from stopsearch_app.domain.charter import check, default_ruleset, Verdict
    result = check(records, default_ruleset(), local_fields_by_batch={7: frozenset({...})})
    result.summary()            # {"S1": {"pass": n, "fail": n, ...}, ...}
    result.assessable_rules()   # which rules the loaded data can assess at all
    result.packed()             # one string per record for storage, with result.ruleset_hash

Pure Python: no Qt, no SQLAlchemy, no I/O layer.
"""

from .engine import CheckResult, check, grouping_fields, pack_verdicts, unpack_concatenated, unpack_verdicts
from .ruleset import (Rule, RuleSet, RuleSetError, available_rulesets, default_ruleset, find_ruleset, load_ruleset,
                      ruleset_from_data)
from .rules import REGISTRY
from .verdicts import VERDICT_KEYS, VERDICTS, Verdict

__all__ = [
    "CheckResult", "REGISTRY", "Rule", "RuleSet", "RuleSetError", "VERDICTS", "VERDICT_KEYS", "Verdict",
    "available_rulesets", "check", "default_ruleset", "grouping_fields", "find_ruleset", "load_ruleset", "pack_verdicts",
    "ruleset_from_data", "unpack_concatenated", "unpack_verdicts",
]
