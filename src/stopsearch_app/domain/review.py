"""Supervisor review and scrutiny-panel findings, redaction, and dip samples (issue 5). Pure Python.

**Findings.** A finding is what a person concluded about one record: a BCU supervisor's (outcome,
rules addressed, note, body-worn video viewed, follow-up date) or a scrutiny panel's (grounds
reasonable?, GOWISELY observed, child treated as a child, safeguarding considered, a red/amber/green
rating, learning and good-practice notes, the police response and its date). The vocabularies live in
``resources/review/vocabularies.toml`` (versioned); :func:`validate_finding` checks a form against them
and returns the normalised fields the store writes (store/reviews.py).

**Redaction.** :func:`redact` removes personal details from free text by the documented regular
expressions and phrase lists of ``resources/review/redaction.toml``:

* removed (replaced by a bracketed token): e-mail addresses ``[email]``; UK phone numbers and any number
  after "tel"/"phone"/"mobile" ``[phone]``; full postcodes ``[postcode]``; a house or flat number with
  its street ``[address]``; every full date with a year and whatever follows "DOB" ``[date]`` (any of
  them may be a date of birth); vehicle registrations ``[vehicle]``; officer shoulder and warrant
  numbers ``[officer]``; PNC IDs and person/officer references ``[reference]``; names after a title
  (Mr, Ms, PC, Sgt, ...), after a naming phrase ("named", "known as", ...) or a listed given name
  followed by a capitalised surname ``[name]``;
* kept: ages, times, days without a year, street names without a house number, boroughs, CAD and
  authorisation numbers, descriptions of behaviour and clothing, a given name on its own.

Pattern-based redaction cannot find every name (a bare surname survives): packs say a person must read
them before they leave the force.

**Samples.** :func:`draw_sample` draws a reproducible random dip sample for a panel (domain.md §9, panel
K1): exactly ``n`` records at random, stratified by age band x ethnic group with proportional allocation
(largest remainder), and, as a separate list never counted in ``n``, every child search in the selection
that a panel must see: more thorough, intimate-parts-exposing or intimate searches (search level ``mts``,
``eip``, ``intimate``) and suspicionless searches (``CJPOA_S60``, and also ``TA_S47A`` and ``POA_S11``:
domain.md §10 CH3). :class:`SampleDraw` holds both (``drawn`` and ``always_included`` count them apart).
Each record's place in the draw comes from a keyed hash of (seed, record id), so the same seed and
filters give the same sample whatever the order of the rows, and a different seed gives another.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

import numpy as np
import pandas as pd

from stopsearch_app.domain import redaction as _redaction
from stopsearch_app.domain.identity import record_id as make_record_id
from stopsearch_app.domain.records import SUSPICIONLESS_POWERS
from stopsearch_app.domain.selection import AgeBand, Selection
from stopsearch_app.resources import load_toml, load_word_list

VOCABULARY_FILE = ("review", "vocabularies.toml")
REDACTION_FILE = ("review", "redaction.toml")

SUPERVISOR, PANEL = "supervisor", "panel"
FINDING_KINDS = (SUPERVISOR, PANEL)
ACTIVE, WITHDRAWN = "active", "withdrawn"

SUPERVISOR_FIELDS = ("outcome", "rules_addressed", "note", "bwv_viewed", "follow_up")
PANEL_FIELDS = ("grounds_reasonable", "gowisely_observed", "child_treated_as_child", "safeguarding_considered",
                "rag", "learning_note", "good_practice_note", "police_response", "police_response_date")
FINDING_FIELDS = SUPERVISOR_FIELDS + PANEL_FIELDS
FIELDS_OF_KIND = {SUPERVISOR: SUPERVISOR_FIELDS, PANEL: PANEL_FIELDS}
TEXT_FIELDS = frozenset({"note", "learning_note", "good_practice_note", "police_response"})
DATE_FIELDS = frozenset({"follow_up", "police_response_date"})
BOOL_FIELDS = frozenset({"bwv_viewed"})
PANEL_QUESTION_FIELDS = ("grounds_reasonable", "gowisely_observed", "child_treated_as_child",
                         "safeguarding_considered")
FIELD_LABELS = {
    "outcome": "Outcome", "rules_addressed": "Rules addressed", "note": "Note", "bwv_viewed": "Body-worn video viewed",
    "follow_up": "Follow up by", "grounds_reasonable": "Grounds reasonable", "gowisely_observed": "GOWISELY observed",
    "child_treated_as_child": "Child treated as a child", "safeguarding_considered": "Safeguarding considered",
    "rag": "Rating", "learning_note": "Learning", "good_practice_note": "Good practice",
    "police_response": "Police response", "police_response_date": "Police response date", "status": "Status",
}
MAX_TEXT = 10_000
_RULE_ID = re.compile(r"^[A-Z]{1,3}\d{1,3}$")


# --- vocabularies ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    key: str
    label: str
    description: str = ""
    note_required: bool = False
    colour: str = ""
    glyph: str = ""


@dataclass(frozen=True)
class PanelQuestion:
    key: str
    label: str
    answers: tuple[Term, ...]


@dataclass(frozen=True)
class ReviewVocabularies:
    version: str
    supervisor_outcomes: tuple[Term, ...]
    rag: tuple[Term, ...]
    panel_answers: tuple[Term, ...]
    gowisely_answers: tuple[Term, ...]
    panel_questions: tuple[PanelQuestion, ...]

    def term(self, field_name: str, key: str | None) -> Term | None:
        """The term a stored key stands for (None for blank or a key this version does not know)."""
        if key is None:
            return None
        for term in self.choices(field_name):
            if term.key == key:
                return term
        return None

    def choices(self, field_name: str) -> tuple[Term, ...]:
        if field_name == "outcome":
            return self.supervisor_outcomes
        if field_name == "rag":
            return self.rag
        for question in self.panel_questions:
            if question.key == field_name:
                return question.answers
        return ()

    def label(self, field_name: str, key: str | None) -> str:
        term = self.term(field_name, key)
        return term.label if term else (key or "")


def _terms(raw: Iterable[Mapping]) -> tuple[Term, ...]:
    return tuple(Term(str(item["key"]), str(item["label"]), str(item.get("description", "")),
                      bool(item.get("note_required", False)), str(item.get("colour", "")), str(item.get("glyph", "")))
                 for item in raw)


def parse_vocabularies(data: Mapping) -> ReviewVocabularies:
    """Vocabularies from the TOML data; ValueError listing every problem (duplicate keys, unknown lists)."""
    problems = []
    lists = {name: _terms(data.get(name, ())) for name in ("supervisor_outcome", "rag", "panel_answer",
                                                           "gowisely_answer")}
    for name, terms in lists.items():
        keys = [term.key for term in terms]
        if not keys:
            problems.append(f"{name}: empty")
        if len(set(keys)) != len(keys):
            problems.append(f"{name}: duplicate keys")
    if {term.key for term in lists["rag"]} != {"red", "amber", "green"}:
        problems.append("rag: must be exactly red, amber and green")
    questions = []
    for item in data.get("panel_question", ()):
        answers = lists.get(str(item.get("answers")))
        if answers is None:
            problems.append(f"panel_question {item.get('key')}: unknown answer list {item.get('answers')!r}")
            continue
        questions.append(PanelQuestion(str(item["key"]), str(item["label"]), answers))
    if tuple(q.key for q in questions) != PANEL_QUESTION_FIELDS:
        problems.append(f"panel_question: must be {', '.join(PANEL_QUESTION_FIELDS)} in that order")
    if not str(data.get("version", "")).strip():
        problems.append("version missing")
    if problems:
        raise ValueError("review vocabularies: " + "; ".join(problems))
    return ReviewVocabularies(str(data["version"]), lists["supervisor_outcome"], lists["rag"], lists["panel_answer"],
                              lists["gowisely_answer"], tuple(questions))


@cache
def vocabularies() -> ReviewVocabularies:
    return parse_vocabularies(load_toml(*VOCABULARY_FILE))


# --- findings -------------------------------------------------------------------------------------
class FindingInvalid(ValueError):
    """A finding form that cannot be saved; ``problems`` lists every reason, in words for the user."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def blank_finding() -> dict[str, object]:
    """Every finding field at its blank value (text "", lists empty, the rest None)."""
    return {name: "" if name in TEXT_FIELDS else () if name == "rules_addressed" else None for name in FINDING_FIELDS}


def _as_date(value: object, label: str, problems: list[str]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{label}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def validate_finding(kind: str, fields: Mapping[str, object], *,
                     allowed_rules: Iterable[str] | None = None) -> dict[str, object]:
    """The normalised fields of a finding of ``kind``, or :class:`FindingInvalid` with every problem.

    Fields of the other kind must be blank. A supervisor finding needs an outcome, and a note when the
    outcome says so (vocabularies.toml ``note_required``); ``rules_addressed`` must be rule IDs (and,
    when ``allowed_rules`` is given, among them). A panel finding needs a RAG rating; a police response
    date needs a response.
    """
    vocab = vocabularies()
    problems: list[str] = []
    if kind not in FINDING_KINDS:
        raise FindingInvalid([f"unknown finding kind {kind!r}; expected supervisor or panel"])
    unknown = set(fields) - set(FINDING_FIELDS)
    if unknown:
        problems.append("unknown fields: " + ", ".join(sorted(unknown)))
    out = blank_finding()
    for name in FINDING_FIELDS:
        value = fields.get(name)
        label = FIELD_LABELS[name]
        if name not in FIELDS_OF_KIND[kind]:
            if value not in (None, "", (), []):
                problems.append(f"{label} is not part of a {kind} finding")
            continue
        if name in TEXT_FIELDS:
            text = "" if value is None else str(value).replace("\r\n", "\n").strip()
            if len(text) > MAX_TEXT:
                problems.append(f"{label}: longer than {MAX_TEXT:,} characters")
            out[name] = text
        elif name in DATE_FIELDS:
            out[name] = _as_date(value, label, problems)
        elif name in BOOL_FIELDS:
            if value not in (None, True, False):
                problems.append(f"{label}: expected yes, no or blank")
            out[name] = value if value in (True, False) else None
        elif name == "rules_addressed":
            rules = [str(rule).strip() for rule in (value or ()) if str(rule).strip()]
            bad = [rule for rule in rules if not _RULE_ID.match(rule)]
            if bad:
                problems.append(f"{label}: not rule IDs: {', '.join(bad)}")
            if allowed_rules is not None:
                allowed = set(allowed_rules)
                outside = [rule for rule in rules if rule not in allowed and rule not in bad]
                if outside:
                    problems.append(f"{label}: {', '.join(outside)} did not fail or need review on this record")
            out[name] = tuple(sorted(set(rules), key=_rule_sort_key))
        else:  # a vocabulary key
            key = None if value in (None, "") else str(value)
            if key is not None and vocab.term(name, key) is None:
                problems.append(f"{label}: {key!r} is not one of "
                                + ", ".join(term.key for term in vocab.choices(name)))
            out[name] = key
    if kind == SUPERVISOR:
        outcome = vocab.term("outcome", out["outcome"])
        if out["outcome"] is None:
            problems.append("Choose an outcome")
        elif outcome is not None and outcome.note_required and not out["note"]:
            problems.append(f"A note is needed for the outcome “{outcome.label}”")
    else:
        if out["rag"] is None:
            problems.append("Choose a rating: red, amber or green")
        if out["police_response_date"] is not None and not out["police_response"]:
            problems.append("A police response date needs the response itself")
    if problems:
        raise FindingInvalid(problems)
    return out


def _rule_sort_key(rule_id: str) -> tuple[str, int]:
    match = re.match(r"^([A-Z]+)(\d+)$", rule_id)
    return (match.group(1), int(match.group(2))) if match else (rule_id, 0)


def finding_to_json(fields: Mapping[str, object]) -> dict[str, object]:
    """JSON-safe copy (dates as ISO text, tuples as lists): the before/after of an audit event."""
    out: dict[str, object] = {}
    for name, value in fields.items():
        if isinstance(value, (date, datetime)):
            out[name] = value.isoformat()
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def finding_from_json(data: Mapping[str, object]) -> dict[str, object]:
    """The inverse of :func:`finding_to_json` for the finding fields (others pass through)."""
    out = dict(data)
    for name in DATE_FIELDS:
        if out.get(name):
            out[name] = date.fromisoformat(str(out[name]))
    if "rules_addressed" in out:
        out["rules_addressed"] = tuple(out["rules_addressed"] or ())
    return out


def changed_fields(before: Mapping[str, object] | None, after: Mapping[str, object]) -> list[str]:
    """Names of the fields (and status) whose value differs, in form order."""
    names = [*FINDING_FIELDS, "status"]
    if before is None:
        return [name for name in FINDING_FIELDS if after.get(name) not in (None, "", (), [])]
    return [name for name in names if _comparable(before.get(name)) != _comparable(after.get(name))]


def _comparable(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return "" if value is None else value


def display_value(name: str, value: object) -> str:
    """A field value as a person reads it (vocabulary labels, yes/no, dates, rule lists)."""
    if value in (None, "", (), []):
        return "—"
    if name == "rules_addressed":
        return " ".join(value)  # type: ignore[arg-type]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if name in ("outcome", "rag", *PANEL_QUESTION_FIELDS):
        return vocabularies().label(name, str(value))
    return str(value)


def describe_change(before: Mapping[str, object] | None, after: Mapping[str, object]) -> str:
    """'Outcome: Words of advice → Training need; Note changed': one line for the audit table."""
    parts = []
    for name in changed_fields(before, after):
        label = FIELD_LABELS.get(name, name)
        old = None if before is None else before.get(name)
        new = after.get(name)
        if name in TEXT_FIELDS:
            parts.append(f"{label} {'added' if not old else 'removed' if not new else 'changed'}")
        elif before is None:
            parts.append(f"{label}: {display_value(name, new)}")
        else:
            parts.append(f"{label}: {display_value(name, old)} → {display_value(name, new)}")
    return "; ".join(parts) or "no change"


# --- redaction ------------------------------------------------------------------------------------
# The engine lives in domain/redaction.py; these names stay here for the callers that import them.
RedactionRule = _redaction.RedactionRule
Redaction = _redaction.Redaction
NAMES_FILE = ("review", "names.toml")
COMMON_ENGLISH_FILE = ("review", "common_english.txt")


def parse_redaction(data: Mapping, word_lists: Mapping | None = None) -> Redaction:
    if word_lists is None:
        word_lists = {**load_toml(*NAMES_FILE), "common_english": list(load_word_list(*COMMON_ENGLISH_FILE))}
    return _redaction.parse_redaction(data, word_lists)


@cache
def redaction() -> Redaction:
    return parse_redaction(load_toml(*REDACTION_FILE))


def redact(text: str | None) -> str:
    """``text`` with names, addresses, postcodes, phone numbers, e-mails, vehicle registrations, dates
    (of birth) and person/officer references replaced by bracketed tokens; see the module docstring and
    resources/review/redaction.toml for exactly what is removed and what is kept. Blank gives ""."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return redaction()(str(text))


def redaction_version() -> str:
    return redaction().version


# Record fields in anonymised views (review packs, panel mode): withheld entirely, or shown redacted.
WITHHELD_FIELDS = ("source_ref", "authorisation_ref", "officer_ref", "person_ref", "vehicle_reg", "latitude", "longitude", "location_text",
                   "occurred_at", "authorised_at", "safeguarding_referral_ref", "age_years")
REDACTED_TEXT_FIELDS = ("grounds_text", "eip_justification_text", "aa_absence_reason", "force_reason",
                        "bwv_not_used_reason")


# --- dip samples ----------------------------------------------------------------------------------
SAMPLE_METHOD_VERSION = "1"
ALWAYS_LEVELS = ("mts", "eip", "intimate")
ALWAYS_POWERS = tuple(SUSPICIONLESS_POWERS)
RANDOM = "random"
CHILD_STRIP_SEARCH = "child_strip_search"
CHILD_SUSPICIONLESS = "child_suspicionless"
REASON_LABELS = {RANDOM: "random draw",
                 CHILD_STRIP_SEARCH: "must-see: more thorough or intimate search of a child",
                 CHILD_SUSPICIONLESS: "must-see: suspicionless (s60) search of a child"}
MAX_SEED = 2**31 - 1  # fits every database's INTEGER
CHILD_BAND_LABELS = {"under_10": "under 10", "10_14": "10-14", "15_17": "15-17", "10_17": "10-17"}
SEARCH_LEVEL_LABELS = {"outer": "outer clothing only", "mts": "more thorough search (MTS)",
                       "eip": "search exposing intimate parts (EIP)", "intimate": "intimate search"}


# Which records a sample is drawn from: a Selection (domain/selection.py); children only by default.
DEFAULT_SAMPLE_SELECTION = Selection.all_searches(age=AgeBand.CHILD)


def sample_selection(data: Mapping[str, object] | str | None) -> Selection:
    """A saved sample's selection from its JSON: the selection's own format (``selection_version``), or
    the first format (``children_only``, ``ethnicity_source``, no version), which samples saved before
    it still hold."""
    if isinstance(data, str):
        data = json.loads(data)
    data = dict(data or {})
    if "selection_version" in data:
        return Selection.from_json(data)
    return Selection.all_searches(
        month_from=data.get("month_from") or None, month_to=data.get("month_to") or None,  # type: ignore[arg-type]
        forces=tuple(data.get("forces") or ()), boroughs=tuple(data.get("boroughs") or ()),  # type: ignore[arg-type]
        age=AgeBand.CHILD if data.get("children_only", True) else AgeBand.ALL,
        ethnicity=str(data.get("ethnicity_source") or "self"))


@dataclass(frozen=True)
class SampleDraw:
    record_ids: tuple[str, ...]  # the sample in presentation order: always-included first
    reasons: Mapping[str, str]  # record id -> RANDOM | CHILD_STRIP_SEARCH | CHILD_SUSPICIONLESS
    strata: Mapping[str, str]  # record id -> stratum label
    allocation: Mapping[str, tuple[int, int]]  # stratum -> (records in the selection, drawn)
    n: int
    seed: int
    filters: Selection
    population: int  # records in the selection
    strata_label: str = "age band x ethnic group"
    method_version: str = SAMPLE_METHOD_VERSION
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def always_included(self) -> int:
        return sum(1 for reason in self.reasons.values() if reason != RANDOM)

    @property
    def drawn(self) -> int:
        return sum(1 for reason in self.reasons.values() if reason == RANDOM)

    def summary(self) -> str:
        text = f"{self.drawn} drawn at random from {self.population - self.always_included:,} records"
        if self.always_included:
            text += (f"; beside them, {self.always_included} must-see cases (child strip or suspicionless "
                     "searches), not counted in the sample")
        return text


def record_ids_of(frame: pd.DataFrame) -> pd.Series:
    """Each row's stable record id: the ``record_id`` column, or computed from the identity columns."""
    if "record_id" in frame:
        return frame["record_id"].astype(str)
    if len(frame) == 0:
        return pd.Series([], index=frame.index, dtype=object)
    refs = frame["source_ref"] if "source_ref" in frame else pd.Series(None, index=frame.index, dtype=object)
    return pd.Series([make_record_id(str(force), str(month), int(fp), int(occ), ref if isinstance(ref, str) else None)
                      for force, month, fp, occ, ref in zip(frame["force"], frame["month"], frame["fingerprint"],
                                                            frame["occurrence"], refs)],
                     index=frame.index, dtype=object)


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype=object)
    return frame[name].astype(object).where(frame[name].notna(), pd.NA)


def age_band(frame: pd.DataFrame) -> pd.Series:
    """'under 10', '10-14', '15-17', '10-17' for children (finest known), else the police.uk range."""
    band = _text(frame, "child_band").map(lambda value: CHILD_BAND_LABELS.get(value, value) if isinstance(value, str)
                                          else pd.NA)
    child = _text(frame, "child_status").eq("child").fillna(False).astype(bool)
    out = _text(frame, "age_range").where(~child | band.isna(), band)
    return out.fillna("age not recorded").astype(str)


def ethnic_group(frame: pd.DataFrame, source: str = "self") -> pd.Series:
    column = "sde_group" if source == "self" else "officer_defined_ethnicity"
    return _text(frame, column).fillna("ethnicity not recorded").astype(str)


def always_included_reason(frame: pd.DataFrame) -> pd.Series:
    """Per row: CHILD_STRIP_SEARCH, CHILD_SUSPICIONLESS, or "" (not always included)."""
    child = _text(frame, "child_status").eq("child").fillna(False).astype(bool)
    strip = child & _text(frame, "search_level").isin(ALWAYS_LEVELS).fillna(False).astype(bool)
    suspicionless = child & _text(frame, "power").isin(ALWAYS_POWERS).fillna(False).astype(bool)
    reason = pd.Series("", index=frame.index, dtype=object)
    reason[suspicionless] = CHILD_SUSPICIONLESS
    reason[strip] = CHILD_STRIP_SEARCH  # the more intrusive reason wins
    return reason


def _hash_keys(record_ids: Sequence[str], seed: int) -> np.ndarray:
    key = hashlib.sha256(f"stopsearch-sample-v{SAMPLE_METHOD_VERSION}:{int(seed)}".encode()).hexdigest()[:16]
    return pd.util.hash_array(np.asarray(list(record_ids), dtype=object), hash_key=key, categorize=False)


def proportional_allocation(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Largest-remainder (Hamilton) allocation of ``n`` over strata of the given sizes; ties go to the
    stratum whose name sorts first. Never gives a stratum more than its size."""
    total = sum(sizes.values())
    if total == 0 or n <= 0:
        return {name: 0 for name in sizes}
    if n >= total:
        return dict(sizes)
    quotas = {name: n * size / total for name, size in sizes.items()}
    allocation = {name: int(np.floor(quota)) for name, quota in quotas.items()}
    left = n - sum(allocation.values())
    order = sorted(sizes, key=lambda name: (-(quotas[name] - allocation[name]), name))
    for name in order[:left]:
        allocation[name] += 1
    return allocation


def validate_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED:,}")
    return int(seed)


def new_seed() -> int:
    import secrets

    return secrets.randbelow(MAX_SEED + 1)


def draw(frame: pd.DataFrame, n: int, seed: int, filters: Selection | None = None) -> SampleDraw:
    """The dip sample with its reasons and strata (see the module docstring); :func:`draw_sample` gives
    just the record ids."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError("the sample size must be a whole number, 0 or more")
    seed = validate_seed(seed)
    filters = filters or DEFAULT_SAMPLE_SELECTION
    ids = record_ids_of(frame)
    selected = filters.mask(frame)
    part = frame.loc[selected]
    part_ids = ids[selected]
    keep = ~part_ids.duplicated().to_numpy()
    part, part_ids = part.loc[keep], part_ids[keep]
    strata = (age_band(part) + " · " + ethnic_group(part, filters.ethnicity)).to_numpy(dtype=object)
    reasons = always_included_reason(part).to_numpy(dtype=object)
    record_ids = part_ids.to_numpy(dtype=object)
    months = _text(part, "month").fillna("").astype(str).to_numpy(dtype=object)
    if "occurred_at" in part:
        moments = pd.to_datetime(part["occurred_at"], utc=True)
        times = moments.astype("int64").where(moments.notna(), 0).to_numpy()
    else:
        times = np.zeros(len(part), dtype=np.int64)

    mandatory = reasons != ""
    pool = ~mandatory
    sizes: dict[str, int] = {}
    for stratum in strata[pool]:
        sizes[stratum] = sizes.get(stratum, 0) + 1
    allocation = proportional_allocation(sizes, int(n))
    hashes = _hash_keys(record_ids, seed) if len(record_ids) else np.empty(0, dtype=np.uint64)
    chosen = np.zeros(len(record_ids), dtype=bool)
    for stratum, count in allocation.items():
        if count == 0:
            continue
        members = np.flatnonzero(pool & (strata == stratum))
        order = np.lexsort((record_ids[members].astype(str), hashes[members]))
        chosen[members[order[:count]]] = True

    def ordered(mask: np.ndarray) -> list[int]:
        rows = np.flatnonzero(mask)
        return sorted(rows.tolist(), key=lambda i: (months[i], int(times[i]), str(record_ids[i])))

    positions = ordered(mandatory) + ordered(chosen)
    out_ids = tuple(str(record_ids[i]) for i in positions)
    return SampleDraw(
        record_ids=out_ids,
        reasons={str(record_ids[i]): (str(reasons[i]) or RANDOM) for i in positions},
        strata={str(record_ids[i]): str(strata[i]) for i in positions},
        allocation={stratum: (sizes[stratum], allocation[stratum]) for stratum in sorted(sizes)},
        n=int(n), seed=seed, filters=filters, population=int(len(record_ids)),
        strata_label="age band x " + ("self-defined ethnic group" if filters.ethnicity == "self"
                                      else "officer-defined ethnicity"))


def draw_sample(frame: pd.DataFrame, n: int, seed: int, filters: Selection | None = None) -> list[str]:
    """Record ids of a reproducible dip sample: ``n`` at random (stratified by age band x ethnic group,
    proportional allocation) plus EVERY child strip-type (MTS/EIP/intimate) and suspicionless (s60,
    s47A, POA s11) search in the selection, even beyond ``n``. Same seed and filters, same sample."""
    return list(draw(frame, n, seed, filters).record_ids)
