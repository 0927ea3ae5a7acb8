"""The logic of every charter rule, one small vectorised function per rule ID.

Contract: shared/spec/charter-rules.md ("The rules" tables); background in shared/reference/domain.md
sections 2-5 and 10-11. Rule metadata (titles, bases, fields, parameters) lives in
``resources/charter/*.toml``; this module holds only the logic, registered by ID in :data:`REGISTRY`.

Each function takes a :class:`RuleContext` and returns ``(verdicts, reasons)`` for every record:
an int8 array of :class:`Verdict` codes and a ``pd.Categorical`` of one-line reasons. The conditions
read top to bottom, first match wins (:class:`Decision`). The engine then applies what every rule
shares, so the functions do not repeat it:

* ``not_assessable`` for records whose source does not carry the rule's ``requires`` fields;
* for child-only rules, ``not_applicable`` for adults, and for records whose child status is
  **unknown** a ``fail`` becomes ``review`` ("possible child, age not recorded"). Unknown status is
  never treated as an adult (the spec's "Who is a child" step 4), so child rules are run on those
  records; but a breach of a child-only safeguard cannot be asserted of someone who may be an adult,
  so it is flagged for a person instead. Passes, reviews and not_recorded stay as they are.

No function loops over records in Python: text is matched once per distinct value (RE2 via pyarrow),
and reasons that name values (GOWISELY items, missing record items, ages) are built once per distinct
combination with :meth:`Decision.where_keyed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from stopsearch_app.domain import vocab
from stopsearch_app.domain.records import (AGE_RANGES, ETHNIC_GROUPS, GENDERS, GOWISELY_ITEMS, LOCATION_TYPES,
                                           OUTCOME_CODES, POWERS, SEARCH_LEVELS, SEARCH_TYPES)

from .context import Decision, RuleContext, age_phrase, matches
from .verdicts import Verdict

PASS, FAIL, REVIEW = Verdict.PASS, Verdict.FAIL, Verdict.REVIEW
NOT_RECORDED, NOT_ASSESSABLE, NOT_APPLICABLE = Verdict.NOT_RECORDED, Verdict.NOT_ASSESSABLE, Verdict.NOT_APPLICABLE

RuleOutput = tuple[np.ndarray, pd.Categorical]
RuleFunction = Callable[[RuleContext], RuleOutput]


@dataclass(frozen=True)
class RuleImplementation:
    id: str
    function: RuleFunction
    gives: frozenset[Verdict]  # verdicts the function itself can return (before the engine's shared steps)
    param_defaults: Mapping[str, Any]
    # A rule that compares records with each other: a record joins a group only when it records one of
    # these fields, so records whose source carries none of them can be checked apart (store/checks.py).
    groups_on: frozenset[str] = frozenset()

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


REGISTRY: dict[str, RuleImplementation] = {}


def rule(rule_id: str, *, gives: str, params: Mapping[str, Any] | None = None,
         groups_on: Iterable[str] = ()) -> Callable[[RuleFunction], RuleFunction]:
    """Register the decorated function as the logic of ``rule_id``."""
    def register(function: RuleFunction) -> RuleFunction:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        REGISTRY[rule_id] = RuleImplementation(rule_id, function, frozenset(Verdict.from_key(k) for k in gives.split()),
                                               MappingProxyType(dict(params or {})), frozenset(groups_on))
        return function
    return register


POWER_LABELS = {
    "PACE_S1": "s1 PACE", "MDA_S23": "s23 Misuse of Drugs Act", "FA_S47": "s47 Firearms Act",
    "CJA_S139B": "s139B Criminal Justice Act", "CJPOA_S60": "s60 CJPOA", "TA_S43": "s43 Terrorism Act",
    "TA_S47A": "s47A Terrorism Act", "PSA": "Psychoactive Substances Act", "POA_S10": "s10 Public Order Act",
    "POA_S11": "s11 Public Order Act", "OTHER": "another Act",
}
OUTCOME_LABELS = {
    "nfa": "No further action", "arrest": "Arrest", "summons": "Summons", "caution": "Caution",
    "community_resolution": "Community resolution", "cannabis_warning": "Cannabis warning",
    "penalty_notice": "Penalty notice", "other": "Other outcome",
}
LEVEL_LABELS = {"outer": "outer clothing search", "mts": "more thorough search", "eip": "EIP search",
                "intimate": "intimate search"}
GOWISELY_LABELS = {
    "grounds": "G grounds", "object": "O object", "warrant_card": "W warrant card", "identity": "I identity",
    "station": "S station", "entitlement": "E entitlement to a copy", "legal_power": "L legal power",
    "detained": "Y 'you are detained'",
}
VEHICLE_ONLY = ("vehicle", "vehicle search")
VEHICLE_SEARCH = (*VEHICLE_ONLY, "person_and_vehicle", "person and vehicle search")


def _power_label(index: int) -> str:
    return POWER_LABELS[POWERS[int(index)]] if 0 <= int(index) < len(POWERS) else "unknown power"


def _outcome_label(index: int) -> str:
    return OUTCOME_LABELS[OUTCOME_CODES[int(index)]] if 0 <= int(index) < len(OUTCOME_CODES) else "unknown outcome"


def _quote(value: object, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def _article(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _bits_to_labels(bits: int, labels: list[str]) -> str:
    return ", ".join(label for position, label in enumerate(labels) if bits >> position & 1)


def _group_bits(ctx: RuleContext, column: str, list_name: str) -> tuple[np.ndarray, list[str]]:
    """Per record, a bitmask of the phrase groups of ``list_name`` found in ``column`` (distinct texts only)."""
    groups = ctx.phrases.list(list_name)
    _, distinct = ctx.factor(column)
    bits = np.zeros(len(distinct), dtype=np.int64)
    # One pass with every phrase finds the texts that hit at all; only those are matched group by group.
    hits = np.flatnonzero(ctx.distinct_match(column, ctx.phrases.pattern(list_name)))
    if len(hits):
        for position, group in enumerate(groups):
            bits[hits] |= matches(distinct[hits], group.pattern).astype(np.int64) << position
    return ctx.lookup(column, bits, 0), [group.label for group in groups]


def _rank_index(ctx: RuleContext) -> np.ndarray:
    """Authorising rank per record: position in the rank scale; -1 unrecognised; -2 blank."""
    _, distinct = ctx.factor("authorising_rank")
    return ctx.lookup("authorising_rank", ctx.ranks.indices(list(distinct)), -2).astype(np.int16)


def _normalised_reason_in(ctx: RuleContext, values: Any) -> np.ndarray:
    """aa_absence_reason is one of ``values`` after lower-casing and turning spaces/hyphens into '_'."""
    wanted = {str(v).strip().lower().replace(" ", "_").replace("-", "_") for v in values}
    _, distinct = ctx.factor("aa_absence_reason")
    per_distinct = np.array([v.lower().replace(" ", "_").replace("-", "_") in wanted for v in distinct], dtype=bool)
    return ctx.lookup("aa_absence_reason", per_distinct, False)


def _eip_scope(ctx: RuleContext, decision: Decision) -> None:
    """S1-S7 judge only searches exposing intimate parts; a blank search level is a recording gap."""
    decision.where(ctx.blank("search_level"), NOT_RECORDED,
                   "Search level not recorded: cannot tell whether intimate parts were exposed")
    decision.where(~ctx.category_in("search_level", ["eip"]), NOT_APPLICABLE,
                   ctx.text(NOT_APPLICABLE, "Not a search exposing intimate parts"))


def _grounds_scope(ctx: RuleContext, decision: Decision) -> None:
    """G rules judge suspicion-led searches; a blank or unknown power is treated as suspicion-led."""
    decision.where(ctx.suspicionless, NOT_APPLICABLE,
                   ctx.text(NOT_APPLICABLE, "Suspicionless power: no individual grounds needed"))


# ==================================================================================================
# Legal basis (L)
# ==================================================================================================

@rule("L1", gives="pass fail review not_recorded")
def lawful_power_recorded(ctx: RuleContext) -> RuleOutput:
    """A known power is recorded. Blank: police.uk not_recorded, local fail; an unknown string: review."""
    power = ctx.power
    source = "legislation" if "legislation" in ctx.records else "power"
    codes, distinct = ctx.factor(source)
    d = ctx.decide()
    d.where((power == -1) & ctx.is_public, NOT_RECORDED, ctx.text(NOT_RECORDED, "Legislation blank in the police.uk record"))
    d.where(power == -1, FAIL, ctx.text(FAIL, "No legal power recorded"))
    d.where_keyed(power == -2, REVIEW, codes,
                  lambda code: f"Legislation {_quote(distinct[code])} is not a known search power")
    d.where_keyed(power >= 0, PASS, power, lambda p: f"Power recorded: {_power_label(p)}")
    return d.result()


@rule("L2", gives="pass review not_recorded not_applicable",
      params={"objects": {}, "unavailable_objects": ["Detailed object of search unavailable"]})
def object_matches_power(ctx: RuleContext) -> RuleOutput:
    """The object of search is one the power allows; a mismatch is review, never fail (noisy data)."""
    objects: Mapping[str, Any] = ctx.params["objects"]
    power = ctx.power
    object_codes, object_distinct = ctx.factor("object_of_search")
    folded_objects = np.array([value.casefold() for value in object_distinct], dtype=object)
    # allowed[power index, distinct object] (last column: blank object, never allowed)
    allowed = np.zeros((len(POWERS), len(object_distinct) + 1), dtype=bool)
    for code, names in objects.items():
        if code in POWERS:
            allowed[POWERS.index(code), :-1] = np.isin(folded_objects, [str(n).casefold() for n in names])
    has_list = np.isin(power, [POWERS.index(code) for code in objects if code in POWERS])
    matches = allowed[np.clip(power, 0, None), object_codes]

    d = ctx.decide()
    d.where(power == -1, NOT_RECORDED, "Power not recorded, so the object cannot be checked")
    d.where(power == -2, NOT_APPLICABLE, "Power not recognised (see L1): object not checked")
    d.where(ctx.blank("object_of_search"), NOT_RECORDED, "Object of search not recorded")
    d.where(ctx.category_in("object_of_search", ctx.params["unavailable_objects"]), NOT_RECORDED,
            "Object of search given as unavailable")
    d.where_keyed(~has_list, NOT_APPLICABLE, power, lambda p: f"No object list for {_power_label(p)}: not checked")

    def mismatch(key: int) -> str:
        power_index, object_code = divmod(int(key), 1 << 32)
        expected = ", ".join(str(n).lower() for n in objects.get(POWERS[power_index], ()))
        return (f"Object {_quote(object_distinct[object_code])} is not an object of {_power_label(power_index)} "
                f"(expects {expected})")

    d.where_keyed(~matches, REVIEW, power.astype(np.int64) * (1 << 32) + object_codes, mismatch)
    d.otherwise(PASS, "Object of search matches the power")
    return d.result()


@rule("L3", gives="pass fail review not_applicable",
      params={"min_rank": {}, "window_hours": {}, "extension_hours": {}})
def suspicionless_power_authorised(ctx: RuleContext) -> RuleOutput:
    """s60 / s47A / s11: an authorisation reference, by an inspector or above (s47A: senior officer),
    covering the search time. Blank reference or rank: fail (local records only; police.uk rows are
    not assessable). A search in the extension period, an unrecognised rank, or a blank authorisation
    time: review."""
    power = ctx.power
    power_index = np.clip(power, 0, None)

    def per_power(mapping: Mapping[str, Any], default: float) -> np.ndarray:
        table = np.full(len(POWERS), default, dtype=float)
        for code, value in mapping.items():
            if code in POWERS:
                table[POWERS.index(code)] = value
        return table[power_index]

    inspector = ctx.ranks.index("inspector")
    min_rank_by_power = np.full(len(POWERS), inspector, dtype=np.int16)
    for code, rank_name in ctx.params["min_rank"].items():
        if code in POWERS:
            min_rank_by_power[POWERS.index(code)] = ctx.ranks.index(rank_name)  # validated at load
    min_rank = min_rank_by_power[power_index]
    rank = _rank_index(ctx)
    window = per_power(ctx.params["window_hours"], 24.0)
    extension = per_power(ctx.params["extension_hours"], 0.0)
    hours_after = (ctx.seconds("occurred_at") - ctx.seconds("authorised_at")) / 3600.0
    time_known = ~np.isnan(hours_after)
    time_carried = ctx.carries("authorised_at")
    with np.errstate(invalid="ignore"):
        before = time_known & (hours_after < 0)
        outside = time_known & (hours_after > window + extension)
        in_extension = time_known & (hours_after > window) & ~outside

    d = ctx.decide()
    d.where(~ctx.suspicionless, NOT_APPLICABLE, ctx.text(NOT_APPLICABLE, "Not a suspicionless power"))
    d.where_keyed(ctx.blank("authorisation_ref"), FAIL, power,
                  lambda p: f"{_power_label(p)} search with no authorisation reference")
    d.where_keyed(rank == -2, FAIL, power, lambda p: f"{_power_label(p)} search: authorising rank not recorded")
    d.where_keyed((rank >= 0) & (rank < min_rank), FAIL, power.astype(np.int64) * 100 + rank,
                  lambda key: (f"{_power_label(key // 100)} authorised by {_article(ctx.ranks.order[key % 100])}, "
                               f"below {ctx.ranks.order[min_rank_by_power[key // 100]]}"))
    rank_codes, rank_distinct = ctx.factor("authorising_rank")
    d.where_keyed(rank == -1, REVIEW, rank_codes,
                  lambda code: f"Authorising rank {_quote(rank_distinct[code])} not recognised: check it was senior enough")
    d.where(before, FAIL, "Search before the authorisation was given")
    d.where_keyed(outside, FAIL, power, lambda p: f"Search outside the time covered by the {_power_label(p)} authorisation")
    d.where_keyed(in_extension, REVIEW, power,
                  lambda p: f"Search in the extension period of the {_power_label(p)} authorisation: check it was extended")
    d.where(time_carried & ~time_known, REVIEW, "Authorisation time not recorded: cannot confirm it covered the search")
    d.where_keyed(time_known, PASS, power,
                  lambda p: f"{_power_label(p)} authorised at a sufficient rank, covering the search time")
    d.otherwise(PASS, "Authorised at a sufficient rank (this source has no authorisation time)")
    return d.result()


@rule("L4", gives="pass review not_recorded not_applicable")
def school_power_at_school(ctx: RuleContext) -> RuleOutput:
    """s139B (school premises) searches happened at a school; anywhere else: review."""
    codes, distinct = ctx.factor("location_type")
    d = ctx.decide()
    d.where(~ctx.power_in(["CJA_S139B"]), NOT_APPLICABLE, ctx.text(NOT_APPLICABLE, "Not an s139B search"))
    d.where(ctx.blank("location_type"), NOT_RECORDED, ctx.text(NOT_RECORDED, "s139B search with no location type"))
    d.where(ctx.category_in("location_type", ["school"]), PASS, ctx.text(PASS, "s139B search at a school"))
    d.where_keyed(d.undecided, REVIEW, codes,
                  lambda code: f"s139B school-premises power used at a {distinct[code].replace('_', ' ')} location")
    return d.result()


# ==================================================================================================
# Grounds (G): suspicion-led powers only
# ==================================================================================================

@rule("G1", gives="pass fail not_applicable", params={"min_words": 12})
def grounds_informative(ctx: RuleContext) -> RuleOutput:
    """Grounds are present and have at least ``min_words`` meaningful words (two or more letters, not a
    stop word). Blank or too short: fail. Suspicionless powers: not_applicable."""
    minimum = int(ctx.params["min_words"])
    words = ctx.distinct_count("grounds_text", ctx.phrases.meaningful_word_pattern)
    if ctx.phrases.stopword_pattern:
        words = words - ctx.distinct_count("grounds_text", ctx.phrases.stopword_pattern)
    words_per_record = ctx.lookup("grounds_text", words, 0)
    d = ctx.decide()
    _grounds_scope(ctx, d)
    d.where(ctx.blank("grounds_text"), FAIL, ctx.text(FAIL, "No grounds recorded"))
    d.where_keyed(words_per_record < minimum, FAIL, words_per_record,
                  lambda n: (f"Grounds too brief to be informative: {int(n)} meaningful word{'s' * (int(n) != 1)} "
                             f"(at least {minimum} expected)"))
    d.otherwise(PASS, f"Grounds recorded ({minimum} or more meaningful words)")
    return d.result()


@rule("G2", gives="pass review not_recorded not_applicable")
def grounds_not_personal_factors_alone(ctx: RuleContext) -> RuleOutput:
    """Personal-factor phrases (appearance, age, ethnicity, clothing, known to police, previous
    convictions, gang, high crime area, nervousness) with no specific-behaviour or intelligence
    phrase: review, naming the kinds of factor found (never the text)."""
    personal, labels = _group_bits(ctx, "grounds_text", "personal_factors")
    rescued = ctx.text_match("grounds_text", ctx.phrases.pattern("specific_behaviour"))
    d = ctx.decide()
    _grounds_scope(ctx, d)
    d.where(ctx.blank("grounds_text"), NOT_RECORDED, ctx.text(NOT_RECORDED, "No grounds recorded to judge"))
    d.where_keyed((personal > 0) & ~rescued, REVIEW, personal,
                  lambda bits: (f"Grounds rest on personal factors alone ({_bits_to_labels(int(bits), labels)}) "
                                "with no specific behaviour or intelligence about this person"))
    d.where(personal > 0, PASS, "Personal factors mentioned alongside specific behaviour or intelligence")
    d.otherwise(PASS, "Grounds do not rely on personal factors")
    return d.result()


@rule("G3", gives="pass review not_recorded not_applicable", params={"escalated_levels": ["mts", "eip", "intimate"]})
def cannabis_smell_not_sole_ground(ctx: RuleContext) -> RuleOutput:
    """Smell of cannabis with no other ground (specific behaviour, intelligence, paraphernalia, a
    marker): review at high priority, escalated when a more thorough or intimate search followed."""
    smell = ctx.text_match("grounds_text", ctx.phrases.pattern("cannabis_smell"))
    other = ctx.text_match("grounds_text", ctx.phrases.pattern("specific_behaviour", "cannabis_other_grounds"))
    escalated = ctx.category_in("search_level", ctx.params["escalated_levels"])
    level_codes, level_distinct = ctx.factor("search_level")
    sole = smell & ~other
    d = ctx.decide()
    _grounds_scope(ctx, d)
    d.where(ctx.blank("grounds_text"), NOT_RECORDED, ctx.text(NOT_RECORDED, "No grounds recorded to judge"))
    d.where_keyed(sole & escalated, REVIEW, level_codes,
                  lambda code: ("ESCALATED, high priority: smell of cannabis is the only ground, and "
                                f"{_article(LEVEL_LABELS.get(level_distinct[code].lower(), level_distinct[code]))} followed"))
    d.where(sole, REVIEW, "High priority: smell of cannabis is the only ground")
    d.where(smell, PASS, "Smell of cannabis with other grounds")
    d.otherwise(PASS, "Smell of cannabis not relied on")
    return d.result()


@rule("G4", gives="pass review not_recorded not_applicable")
def grounds_not_retrospective(ctx: RuleContext) -> RuleOutput:
    """Grounds that rely on what the search found, a refusal to answer, a reaction to being stopped or
    answers given during the stop: review, naming which."""
    retrospective, labels = _group_bits(ctx, "grounds_text", "retrospective")
    d = ctx.decide()
    _grounds_scope(ctx, d)
    d.where(ctx.blank("grounds_text"), NOT_RECORDED, ctx.text(NOT_RECORDED, "No grounds recorded to judge"))
    d.where_keyed(retrospective > 0, REVIEW, retrospective,
                  lambda bits: f"Grounds may be retrospective: they rely on {_bits_to_labels(int(bits), labels)}")
    d.otherwise(PASS, ctx.text(PASS, "No sign of retrospective grounds"))
    return d.result()


@rule("G5", gives="pass review not_recorded not_applicable",
      params={"threshold": 0.8, "min_words": 8, "shingle_words": 2, "min_across_officers": 3, "named": 6},
      groups_on=("grounds_text",))
def grounds_not_boilerplate(ctx: RuleContext) -> RuleOutput:
    """Grounds near-identical (cosine of word-shingle sets >= ``threshold``, numbers ignored) to the
    grounds of another search by the same officer, or of ``min_across_officers`` or more searches by
    different officers: review, naming the matching records. Texts under ``min_words`` words are left
    to G1. The similarity is :mod:`.boilerplate` (sparse matrix products, no loop over pairs)."""
    from .boilerplate import similar_groups

    codes, distinct = ctx.factor("grounds_text")
    groups = ctx.lookup("grounds_text", similar_groups(list(distinct), threshold=float(ctx.params["threshold"]),
                                                       min_words=int(ctx.params["min_words"]),
                                                       shingle_words=int(ctx.params["shingle_words"])), -1)
    # Identical texts share a distinct code: a text alike to no other distinct text but used twice is a
    # group of its own, keyed apart from the similarity groups.
    groups = np.where((groups < 0) & (codes >= 0), -2 - codes, groups)
    officer, _ = ctx.factor("officer_ref")
    suspicion_led = ~ctx.suspicionless & (codes >= 0)
    short = ctx.lookup("grounds_text", np.array([len(str(t).split()) < int(ctx.params["min_words"]) for t in distinct],
                                                dtype=bool), True)
    candidate = suspicion_led & ~short
    # Groups are sized over the candidates only: most records (every police.uk one) have no grounds.
    rows = np.flatnonzero(candidate)
    same_key = np.full(ctx.n, -1, dtype=np.int64)
    same_size = np.zeros(ctx.n, dtype=np.int64)
    across_size = np.zeros(ctx.n, dtype=np.int64)
    officers_in_group = np.zeros(ctx.n, dtype=np.int64)
    if len(rows):
        with_officer = rows[officer[rows] >= 0]
        if len(with_officer):
            same_key[with_officer] = _pair_key(groups[with_officer], officer[with_officer])
            same_size[with_officer] = _group_sizes(same_key[with_officer])
        across_size[rows] = _group_sizes(groups[rows])
        officers_in_group[rows] = _distinct_per_group(groups[rows], officer[rows])
    same = candidate & (officer >= 0) & (same_size >= 2)
    across = candidate & (across_size >= int(ctx.params["min_across_officers"])) & (officers_in_group >= 2)
    group_of = np.where(across, groups, np.iinfo(np.int64).min)
    names = _record_names(ctx, same | across)
    limit = int(ctx.params["named"])
    # The members of each flagged group, gathered once (a groupby over the flagged records only).
    # Sorted, so a reason does not depend on the order the records came in.
    same_members = pd.Series(names[same]).groupby(same_key[same]).agg(sorted).to_dict() if same.any() else {}
    across_members = pd.Series(names[across]).groupby(group_of[across]).agg(sorted).to_dict() if across.any() else {}
    officers_of = dict(zip(group_of[across].tolist(), officers_in_group[across].tolist()))

    def listed(members: list[str]) -> str:
        return ", ".join(members[:limit]) + (f" and {len(members) - limit} more" if len(members) > limit else "")

    d = ctx.decide()
    _grounds_scope(ctx, d)
    d.where(ctx.blank("grounds_text"), NOT_RECORDED, ctx.text(NOT_RECORDED, "No grounds recorded to judge"))
    d.where_keyed(same, REVIEW, same_key,
                  lambda key: (f"Grounds near-identical in {len(same_members[key])} searches by the same officer "
                               f"(copied text?): {listed(same_members[key])}"))
    d.where_keyed(across, REVIEW, group_of,
                  lambda key: (f"Grounds near-identical in {len(across_members[key])} searches by "
                               f"{officers_of[key]} officers (a stock phrase?): {listed(across_members[key])}"))
    d.otherwise(PASS, ctx.text(PASS, "Grounds not copied from other searches"))
    return d.result()


def _pair_key(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    _, key = np.unique(np.column_stack([first, second]), axis=0, return_inverse=True)
    return key.ravel().astype(np.int64)


def _group_sizes(keys: np.ndarray) -> np.ndarray:
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse.ravel()]


def _distinct_per_group(groups: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Per record, how many distinct non-blank ``members`` its group holds."""
    pairs = np.unique(np.column_stack([groups, members])[members >= 0], axis=0)
    unique_groups, counts = np.unique(pairs[:, 0], return_counts=True) if len(pairs) else (np.array([]), np.array([]))
    position = np.searchsorted(unique_groups, groups)
    found = (position < len(unique_groups)) & (unique_groups[np.minimum(position, max(len(unique_groups) - 1, 0))]
                                               == groups) if len(unique_groups) else np.zeros(len(groups), bool)
    return np.where(found, counts[np.minimum(position, max(len(counts) - 1, 0))] if len(counts) else 0, 0)


def _record_names(ctx: RuleContext, wanted: np.ndarray) -> np.ndarray:
    """How a reason names a record: the force's reference, else its record id (force, month,
    fingerprint, occurrence), else its content fingerprint. Never its position or its label in the
    frame: a reason must not change when the same records come in another order. Only the ``wanted``
    records are named (a name costs a Python call; the others get "")."""
    names = np.full(ctx.n, "", dtype=object)
    rows = np.flatnonzero(wanted)
    if not len(rows):
        return names
    from stopsearch_app.domain.identity import content_fingerprint, record_id

    records = ctx.records.iloc[rows]
    refs = ctx.column("source_ref").astype(object).to_numpy()[rows]
    present = np.array([isinstance(v, str) and v.strip() != "" for v in refs], dtype=bool)
    if all(name in records for name in ("force", "month", "fingerprint", "occurrence")):
        fallback = np.array([record_id(str(f), str(m), int(p), int(o)) for f, m, p, o in zip(
            records["force"], records["month"], records["fingerprint"], records["occurrence"], strict=True)],
            dtype=object)
    else:
        fallback = np.array([f"record {int(value) & 0xFFFFFFFFFFFFFFFF:016x}" for value in content_fingerprint(records)],
                            dtype=object)
    names[rows] = np.where(present, refs, fallback).astype(str)
    return names


# ==================================================================================================
# Conduct and recording (C, R)
# ==================================================================================================

@rule("C1", gives="pass fail not_recorded")
def gowisely_given(ctx: RuleContext) -> RuleOutput:
    """Every GOWISELY item the source records was given. W (warrant card) counts only when the record
    says the officer was not in uniform; for suspicionless powers G means explaining the power and its
    authorisation. Any item "no": fail naming the items; otherwise any blank: not_recorded naming them.
    Items the source does not carry are not judged."""
    not_in_uniform = ctx.is_false("in_uniform")
    not_given = np.zeros(ctx.n, dtype=np.int64)
    not_recorded = np.zeros(ctx.n, dtype=np.int64)
    for position, item in enumerate(GOWISELY_ITEMS):
        name = f"gowisely_{item}"
        counts = ctx.carries(name) & (not_in_uniform if item == "warrant_card" else True)
        not_given |= (counts & ctx.is_false(name)).astype(np.int64) << position
        not_recorded |= (counts & ctx.blank(name)).astype(np.int64) << position
    key = (not_given << 9) | (not_recorded << 1) | ctx.suspicionless.astype(np.int64)

    def labels(bits: int, suspicionless: bool) -> str:
        names = [GOWISELY_LABELS[item] for item in GOWISELY_ITEMS]
        if suspicionless:
            names[0] = "G the power and its authorisation"
        return _bits_to_labels(bits, names)

    def describe(value: int, verdict: Verdict) -> str:
        given_bits, recorded_bits, suspicionless = value >> 9, (value >> 1) & 0xFF, bool(value & 1)
        if verdict is FAIL:
            text = f"GOWISELY not given: {labels(given_bits, suspicionless)}"
            return text + (f"; not recorded: {labels(recorded_bits, suspicionless)}" if recorded_bits else "")
        return f"GOWISELY not recorded: {labels(recorded_bits, suspicionless)}"

    d = ctx.decide()
    d.where_keyed(not_given > 0, FAIL, key, lambda value: describe(int(value), FAIL))
    d.where_keyed(not_recorded > 0, NOT_RECORDED, key, lambda value: describe(int(value), NOT_RECORDED))
    d.otherwise(PASS, ctx.text(PASS, "All GOWISELY information given"))
    return d.result()


@rule("C2", gives="pass fail not_recorded")
def receipt_offered(ctx: RuleContext) -> RuleOutput:
    """A copy of the record or a receipt was offered: true pass, false fail, blank not_recorded."""
    d = ctx.decide()
    d.where(ctx.is_true("receipt_offered"), PASS, ctx.text(PASS, "Copy of the record or a receipt offered"))
    d.where(ctx.is_false("receipt_offered"), FAIL, ctx.text(FAIL, "No copy of the record or receipt offered"))
    d.otherwise(NOT_RECORDED, ctx.text(NOT_RECORDED, "Whether a copy or receipt was offered is not recorded"))
    return d.result()


@rule("C3", gives="pass fail not_recorded")
def body_worn_video(ctx: RuleContext) -> RuleOutput:
    """Body-worn video from the outset, or a recorded reason why not (Met policy: a fail is a policy
    fail, never a legal breach)."""
    activated_no = ctx.is_false("bwv_activated")
    outset_no = ctx.is_false("bwv_from_outset")
    has_reason = ctx.present("bwv_not_used_reason")
    d = ctx.decide()
    d.where(ctx.is_true("bwv_from_outset"), PASS, "Body-worn video recorded from the outset")
    d.where((activated_no | outset_no) & has_reason, PASS, "Body-worn video not used from the outset; reason recorded")
    d.where(activated_no, FAIL, "No body-worn video and no reason recorded")
    d.where(outset_no, FAIL, "Body-worn video started after the outset, with no reason recorded")
    d.where(ctx.is_true("bwv_activated") & ~ctx.carries("bwv_from_outset"), PASS,
            "Body-worn video activated (this source does not record whether from the outset)")
    d.otherwise(NOT_RECORDED, "Whether body-worn video was used from the outset is not recorded")
    return d.result()


@rule("C4", gives="pass fail not_recorded not_applicable", params={"levels": ["mts", "eip", "intimate"]})
def thorough_search_out_of_view_same_sex(ctx: RuleContext) -> RuleOutput:
    """A search beyond outer clothing was out of public view and by an officer of the same sex. Either
    breached: fail naming both; either blank (where the source records it): not_recorded."""
    level_codes, level_distinct = ctx.factor("search_level")
    in_view = ctx.is_true("in_public_view")
    opposite_sex = ctx.is_false("searcher_same_sex")
    view_blank = ctx.carries("in_public_view") & ctx.blank("in_public_view")
    sex_blank = ctx.carries("searcher_same_sex") & ctx.blank("searcher_same_sex")
    key = level_codes * 4 + in_view * 1 + opposite_sex * 2

    def level(value: int) -> str:
        label = LEVEL_LABELS.get(level_distinct[value // 4].lower(), level_distinct[value // 4])
        return label[:1].upper() + label[1:]

    def breach(value: int) -> str:
        parts = [p for bit, p in ((1, "in public view"), (2, "by an officer of the opposite sex")) if value % 4 & bit]
        return f"{level(int(value))} {' and '.join(parts)}"

    d = ctx.decide()
    d.where(ctx.blank("search_level"), NOT_RECORDED, "Search level not recorded")
    d.where(~ctx.category_in("search_level", ctx.params["levels"]), NOT_APPLICABLE,
            ctx.text(NOT_APPLICABLE, "Outer clothing search only"))
    d.where_keyed(in_view | opposite_sex, FAIL, key, lambda value: breach(int(value)))
    d.where_keyed(view_blank | sex_blank, NOT_RECORDED, view_blank * 1 + sex_blank * 2,
                  lambda bits: "More thorough search: " + " and ".join(
                      p for bit, p in ((1, "whether in public view"), (2, "whether the searcher was the same sex"))
                      if int(bits) & bit) + " not recorded")
    d.otherwise(PASS, ctx.text(PASS, "Out of public view, by an officer of the same sex"))
    return d.result()


@rule("C5", gives="pass review not_recorded not_applicable")
def force_on_child_has_reason(ctx: RuleContext) -> RuleOutput:
    """Child only. Handcuffs or other force with no recorded reason: review (IOPC guidance); nothing
    used: not_applicable; use not recorded: not_recorded."""
    handcuffed = ctx.is_true("handcuffed")
    force = ctx.is_true("force_used")
    used = handcuffed | force
    none_used = ((ctx.is_false("handcuffed") | ~ctx.carries("handcuffed"))
                 & (ctx.is_false("force_used") | ~ctx.carries("force_used")))
    kind = handcuffed * 1 + force * 2
    what = {1: "Handcuffs used on", 2: "Force used on", 3: "Handcuffs and force used on"}
    d = ctx.decide()
    d.where_keyed(used & ctx.blank("force_reason"), REVIEW, kind.astype(np.int64) * 32 + ctx.age_code,
                  lambda key: f"{what[int(key) // 32]} {age_phrase(int(key) % 32)} with no recorded reason")
    d.where(used, PASS, "Reason recorded for the handcuffs or force")
    d.where(none_used, NOT_APPLICABLE, ctx.text(NOT_APPLICABLE, "No handcuffs or force used"))
    d.otherwise(NOT_RECORDED, ctx.text(NOT_RECORDED, "Whether handcuffs or force were used is not recorded"))
    return d.result()


@rule("C6", gives="pass review not_recorded", params={"detention_minutes": 20})
def detention_not_unduly_long(ctx: RuleContext) -> RuleOutput:
    """Detention over the threshold (default 20 minutes; there is no official limit): review."""
    threshold = ctx.params["detention_minutes"]
    minutes = ctx.number("detention_minutes")
    rounded = np.nan_to_num(np.round(minutes), nan=-1).astype(np.int64)
    d = ctx.decide()
    d.where(np.isnan(minutes), NOT_RECORDED, ctx.text(NOT_RECORDED, "Length of detention not recorded"))
    d.where_keyed(minutes > threshold, REVIEW, rounded,
                  lambda m: f"Detained for {int(m)} minutes for the search (more than {threshold})")
    d.otherwise(PASS, f"Detention of {threshold} minutes or less")
    return d.result()


@rule("R1", gives="pass not_recorded")
def mandatory_record_content(ctx: RuleContext) -> RuleOutput:
    """Self-defined ethnicity, date/time, place, object, grounds (or authorisation for a suspicionless
    power), officer ID and station, vehicle registration for a vehicle search. Each missing item is
    listed; not_recorded. Items the source does not carry are not judged; a vehicle-only search
    needs no ethnicity (Q3); name, address and date of birth are never required (Code A 4.3A)."""
    vehicle_only = ctx.category_in("search_type", VEHICLE_ONLY)
    suspicionless = ctx.suspicionless
    place_carried = ctx.carries("location_text") | ctx.carries("latitude")
    items = [
        ("self-defined ethnicity", ctx.carries("self_defined_ethnicity") & ctx.blank("self_defined_ethnicity") & ~vehicle_only),
        ("date and time", ctx.carries("occurred_at") & ctx.blank("occurred_at")),
        ("place", place_carried & ctx.blank("location_text") & ctx.blank("latitude")),
        ("object of search", ctx.carries("object_of_search") & ctx.blank("object_of_search")),
        ("grounds", ~suspicionless & ctx.carries("grounds_text") & ctx.blank("grounds_text")),
        ("authorisation", suspicionless & ctx.carries("authorisation_ref") & ctx.blank("authorisation_ref")),
        ("officer ID", ctx.carries("officer_ref") & ctx.blank("officer_ref")),
        ("officer's station", ctx.carries("officer_station") & ctx.blank("officer_station")),
        ("vehicle registration", ctx.category_in("search_type", VEHICLE_SEARCH) & ctx.carries("vehicle_reg")
         & ctx.blank("vehicle_reg")),
    ]
    missing = np.zeros(ctx.n, dtype=np.int64)
    for position, (_, mask) in enumerate(items):
        missing |= np.asarray(mask, dtype=np.int64) << position
    labels = [label for label, _ in items]
    d = ctx.decide()
    d.where_keyed(missing > 0, NOT_RECORDED, missing,
                  lambda bits: f"Missing from the record: {_bits_to_labels(int(bits), labels)}")
    d.otherwise(PASS, ctx.text(PASS, "All mandatory record content present"))
    return d.result()


# ==================================================================================================
# Strip search of children (S)
# ==================================================================================================

_URGENCY = ["urgency_serious_harm", "urgency", "urgent_risk_of_serious_harm"]
_DECLINED = ["child_declined_aa_agreed", "child_declined", "declined_in_aa_presence"]


@rule("S1", gives="pass fail not_recorded not_applicable",
      params={"urgency_reasons": _URGENCY, "declined_reasons": _DECLINED})
def appropriate_adult_at_eip(ctx: RuleContext) -> RuleOutput:
    """Child EIP search: an appropriate adult present, or a valid exception: urgency with risk of
    serious harm, or the child declined in the adult's presence and the adult agreed and signed.
    No AA and no valid exception: fail; AA presence blank with no exception: not_recorded."""
    urgency = _normalised_reason_in(ctx, ctx.params["urgency_reasons"])
    declined = _normalised_reason_in(ctx, ctx.params["declined_reasons"])
    other_reason = ctx.present("aa_absence_reason") & ~urgency & ~declined
    age = ctx.age_code
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where(ctx.is_true("aa_present"), PASS, ctx.text(PASS, "Appropriate adult present"))
    d.where(urgency, PASS, "No appropriate adult: urgency with a risk of serious harm recorded")
    d.where(declined & ctx.is_true("aa_signed_record"), PASS,
            "Child declined the appropriate adult in the adult's presence; the adult agreed and signed")
    d.where_keyed(declined, FAIL, age,
                  lambda a: (f"EIP search of {age_phrase(int(a))} without an appropriate adult: the child declined, "
                             "but the adult's agreement is not signed"))
    d.where_keyed(other_reason, FAIL, age,
                  lambda a: (f"EIP search of {age_phrase(int(a))} with no appropriate adult; the recorded reason "
                             "is not a valid exception"))
    d.where_keyed(ctx.is_false("aa_present"), FAIL, age,
                  lambda a: f"EIP search of {age_phrase(int(a))} with no appropriate adult and no recorded exception")
    d.otherwise(NOT_RECORDED, "Whether an appropriate adult was present is not recorded")
    return d.result()


@rule("S2", gives="pass fail review not_recorded not_applicable")
def eip_location(ctx: RuleContext) -> RuleOutput:
    """Child EIP search at a police station or another nearby place out of public view. Police
    vehicle or public view: fail; a school: review at top priority (Child Q)."""
    age = ctx.age_code
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where_keyed(ctx.category_in("location_type", ["police_vehicle", "police vehicle"]), FAIL, age,
                  lambda a: f"EIP search of {age_phrase(int(a))} in a police vehicle")
    d.where_keyed(ctx.is_true("in_public_view"), FAIL, age, lambda a: f"EIP search of {age_phrase(int(a))} in public view")
    d.where_keyed(ctx.category_in("location_type", ["school"]), REVIEW, age,
                  lambda a: f"TOP PRIORITY: EIP search of {age_phrase(int(a))} at a school")
    d.where(ctx.category_in("location_type", ["police_station", "police station"]), PASS, "At a police station")
    d.where(ctx.is_false("in_public_view"), PASS, "Out of public view")
    d.otherwise(NOT_RECORDED, "Where the EIP search took place, or whether in public view, is not recorded")
    return d.result()


@rule("S3", gives="pass fail not_recorded not_applicable",
      params={"min_persons_present": 2, "urgency_reasons": _URGENCY})
def eip_people_present(ctx: RuleContext) -> RuleOutput:
    """Child EIP search: at least two people besides the child (unless urgency) and a searcher of the
    same sex. ``persons_present_count`` counts the people present besides the person searched.
    Not checked (no field): that nobody of the opposite sex was present other than a requested AA."""
    minimum = int(ctx.params["min_persons_present"])
    persons = ctx.number("persons_present_count")
    urgency = _normalised_reason_in(ctx, ctx.params["urgency_reasons"])
    with np.errstate(invalid="ignore"):
        too_few = (persons < minimum) & ~urgency
    opposite_sex = ctx.is_false("searcher_same_sex")
    count = np.clip(np.nan_to_num(persons, nan=0), 0, 99).astype(np.int64)
    key = (too_few * 1 + opposite_sex * 2).astype(np.int64) * 100_000 + count * 100 + ctx.age_code

    def breach(value: int) -> str:
        bits, rest = divmod(value, 100_000)
        present, age = divmod(rest, 100)
        parts = []
        if bits & 1:
            parts.append(f"only {present} other {'person' if present == 1 else 'people'} present")
        if bits & 2:
            parts.append("searched by an officer of the opposite sex")
        return f"EIP search of {age_phrase(age)}: {' and '.join(parts)}"

    persons_blank = ctx.carries("persons_present_count") & np.isnan(persons)
    sex_blank = ctx.carries("searcher_same_sex") & ctx.blank("searcher_same_sex")
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where_keyed(too_few | opposite_sex, FAIL, key, lambda value: breach(int(value)))
    d.where_keyed(persons_blank | sex_blank, NOT_RECORDED, persons_blank * 1 + sex_blank * 2,
                  lambda bits: "EIP search: " + " and ".join(
                      p for bit, p in ((1, "the number of people present"), (2, "whether the searcher was the same sex"))
                      if int(bits) & bit) + " not recorded")
    d.otherwise(PASS, ctx.text(PASS, "Two or more people present and a same-sex searcher"))
    return d.result()


@rule("S4", gives="pass review not_recorded not_applicable")
def eip_not_routine(ctx: RuleContext) -> RuleOutput:
    """Child EIP search with a separate justification recorded; missing, or reading as a routine
    escalation ("nothing found", "for completeness"): review."""
    routine = ctx.text_match("eip_justification_text", ctx.phrases.pattern("routine_escalation"))
    age = ctx.age_code
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where_keyed(ctx.blank("eip_justification_text"), REVIEW, age,
                  lambda a: (f"EIP search of {age_phrase(int(a))} with no separate justification recorded "
                             "(may be a routine escalation)"))
    d.where_keyed(routine, REVIEW, age,
                  lambda a: f"EIP search of {age_phrase(int(a))}: the justification reads as a routine escalation")
    d.otherwise(PASS, ctx.text(PASS, "Separate justification recorded for the EIP search"))
    return d.result()


@rule("S5", gives="pass fail review not_recorded not_applicable", params={"min_rank": "inspector"})
def eip_inspector_authorised(ctx: RuleContext) -> RuleOutput:
    """Child EIP search authorised by an inspector or above before it began (guidance: the Met pilot and
    the 2024 proposal; a fail counts as a legal breach only when promote_to_law is set). No
    authorisation, a lower rank, or authorisation after the search: fail. Unrecognised rank, rank or
    time not recorded: review."""
    minimum = ctx.ranks.index(str(ctx.params["min_rank"]))
    minimum_name = ctx.ranks.order[minimum] if minimum >= 0 else str(ctx.params["min_rank"])
    rank = _rank_index(ctx)
    rank_carried = ctx.carries("authorising_rank")
    ref_blank = ctx.blank("authorisation_ref")
    hours_after = (ctx.seconds("occurred_at") - ctx.seconds("authorised_at")) / 3600.0
    time_known = ~np.isnan(hours_after)
    age = ctx.age_code
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where_keyed(ref_blank & (rank == -2), FAIL, age,
                  lambda a: f"EIP search of {age_phrase(int(a))} with no {minimum_name} authorisation recorded")
    d.where_keyed((rank >= 0) & (rank < minimum), FAIL, rank.astype(np.int64) * 100 + age,
                  lambda key: (f"EIP search of {age_phrase(int(key) % 100)} authorised by "
                               f"{_article(ctx.ranks.order[int(key) // 100])}, below {minimum_name}"))
    rank_codes, rank_distinct = ctx.factor("authorising_rank")
    d.where_keyed(rank == -1, REVIEW, rank_codes,
                  lambda code: f"Authorising rank {_quote(rank_distinct[code])} not recognised: check it was {minimum_name} or above")
    d.where(rank_carried & (rank == -2), REVIEW, f"Authorisation recorded without the rank: check it was {minimum_name} or above")
    with np.errstate(invalid="ignore"):
        d.where_keyed(time_known & (hours_after < 0), FAIL, age,
                      lambda a: f"EIP search of {age_phrase(int(a))} authorised only after it began")
    d.where(ctx.carries("authorised_at") & ~time_known, REVIEW,
            "Authorisation time not recorded: cannot confirm it came before the search")
    d.otherwise(PASS, f"Authorised by {_article(minimum_name)} or above before the search")
    return d.result()


@rule("S6", gives="pass fail not_recorded not_applicable")
def eip_parent_told(ctx: RuleContext) -> RuleOutput:
    """Child EIP search: a parent or guardian was told. "No": fail (guidance, promotable to law);
    blank: not_recorded (a blank is never read as "no")."""
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where(ctx.is_true("parent_notified"), PASS, ctx.text(PASS, "Parent or guardian told"))
    d.where_keyed(ctx.is_false("parent_notified"), FAIL, ctx.age_code,
                  lambda a: f"EIP search of {age_phrase(int(a))}: parent or guardian not told")
    d.otherwise(NOT_RECORDED, ctx.text(NOT_RECORDED, "Whether a parent or guardian was told is not recorded"))
    return d.result()


@rule("S7", gives="pass fail not_recorded not_applicable")
def eip_safeguarding_referral(ctx: RuleContext) -> RuleOutput:
    """Child EIP search: a safeguarding referral reference is recorded; none: fail (policy)."""
    d = ctx.decide()
    _eip_scope(ctx, d)
    d.where_keyed(ctx.blank("safeguarding_referral_ref"), FAIL, ctx.age_code,
                  lambda a: f"EIP search of {age_phrase(int(a))} with no safeguarding referral recorded")
    d.otherwise(PASS, ctx.text(PASS, "Safeguarding referral recorded"))
    return d.result()


@rule("S8", gives="pass fail not_recorded")
def no_intimate_search(ctx: RuleContext) -> RuleOutput:
    """Anyone: an intimate (body orifice) search can never be done under a stop-and-search power."""
    d = ctx.decide()
    d.where(ctx.blank("search_level"), NOT_RECORDED, ctx.text(NOT_RECORDED, "Search level not recorded"))
    d.where_keyed(ctx.category_in("search_level", ["intimate"]), FAIL, ctx.age_code,
                  lambda a: f"Intimate (body orifice) search of {age_phrase(int(a))} under a stop-and-search power")
    d.otherwise(PASS, ctx.text(PASS, "No intimate search"))
    return d.result()


@rule("S9", gives="pass review not_recorded")
def child_more_than_outer_clothing(ctx: RuleContext) -> RuleOutput:
    """Child, public flag: "removal of more than just outer clothing" true: review, listed for the
    panel. Never called a strip search or EIP: the flag also covers shoes or a T-shirt."""
    d = ctx.decide()
    d.where_keyed(ctx.is_true("removal_more_than_outer"), REVIEW, ctx.age_code,
                  lambda a: (f"More than outer clothing removed from {age_phrase(int(a))} (may be shoes or a top, "
                             "not necessarily a strip search): listed for the panel"))
    d.where(ctx.is_false("removal_more_than_outer"), PASS, ctx.text(PASS, "No more than outer clothing removed"))
    d.otherwise(NOT_RECORDED, ctx.text(NOT_RECORDED, "Whether more than outer clothing was removed is not recorded"))
    return d.result()


# ==================================================================================================
# Safeguarding and children (K)
# ==================================================================================================

@rule("K1", gives="pass fail not_recorded")
def safeguarding_considered(ctx: RuleContext) -> RuleOutput:
    """Child: safeguarding considered (and a referral where concerns were found). "No": fail (policy);
    blank: not_recorded. No field says whether concerns were found, so a referral is noted, not required."""
    d = ctx.decide()
    considered = ctx.is_true("safeguarding_considered")
    d.where(considered & ctx.present("safeguarding_referral_ref"), PASS, "Safeguarding considered; referral recorded")
    d.where(considered, PASS, "Safeguarding considered")
    d.where_keyed(ctx.is_false("safeguarding_considered"), FAIL, ctx.age_code,
                  lambda a: f"Safeguarding not considered for {age_phrase(int(a))}")
    d.otherwise(NOT_RECORDED, ctx.text(NOT_RECORDED, "Whether safeguarding was considered is not recorded"))
    return d.result()


@rule("K2", gives="pass review not_recorded", params={"repeat_count": 3, "window_days": 365},
      groups_on=("person_ref",))
def repeat_searches(ctx: RuleContext) -> RuleOutput:
    """Child: the Nth search (default 3rd) of the same person within a rolling window (default 365
    days) ending at this search: review (safeguarding). Counted over every search of that person_ref
    (within a force) in the data checked, whatever the person's age on the other occasions; a record
    with no person_ref: not_recorded; a source without person_ref: not_assessable."""
    threshold = int(ctx.params["repeat_count"])
    window_days = int(ctx.params["window_days"])
    count = rolling_count(ctx, window_days)
    period = "12 months" if window_days == 365 else f"{window_days} days"
    d = ctx.decide()
    d.where(ctx.blank("person_ref"), NOT_RECORDED, ctx.text(NOT_RECORDED, "No person reference on this record"))
    d.where(count == 0, NOT_RECORDED, "Date of the search not recorded")
    d.where_keyed(count >= threshold, REVIEW, count,
                  lambda n: f"{_ordinal(int(n))} search of this child in {period}: safeguarding review (threshold {threshold})")
    d.where_keyed(count > 0, PASS, count,
                  lambda n: f"{_ordinal(int(n))} search of this person in {period} (review from the {_ordinal(threshold)})")
    return d.result()


def rolling_count(ctx: RuleContext, window_days: int) -> np.ndarray:
    """Per record: searches of the same person (force + person_ref) in the window ending at this search,
    this one included; 0 where the person or time is blank. Sort once, then one searchsorted: each
    person's searches are a contiguous run of a single sorted integer key, so the window start is the
    first key >= (person, time - window)."""
    person_codes, _ = ctx.factor("person_ref")
    seconds = ctx.seconds("occurred_at")
    valid = (person_codes >= 0) & ~np.isnan(seconds)
    count = np.zeros(ctx.n, dtype=np.int64)
    if not valid.any():
        return count
    force_codes, _ = ctx.factor("force")
    person_key, _ = pd.factorize((np.maximum(force_codes, 0).astype(np.int64) << 32 | person_codes)[valid])
    times = np.floor(seconds[valid]).astype(np.int64)
    window = int(window_days) * 86_400
    times = times - times.min() + window + 1  # positive, so time - window stays inside the person's band
    key = person_key.astype(np.int64) << 33 | times
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    start = np.searchsorted(sorted_key, sorted_key - window, side="left")
    # Up to and including this search; searches of the person at the very same instant count each
    # other, so the result does not depend on the order of the rows.
    end = np.searchsorted(sorted_key, sorted_key, side="right")
    in_window = end - start
    positions = np.flatnonzero(valid)
    count[positions[order]] = in_window
    return count


@rule("K3", gives="fail review not_recorded not_applicable",
      params={"formal_outcomes": ["arrest", "summons", "caution", "penalty_notice"]})
def under_ten(ctx: RuleContext) -> RuleOutput:
    """Child under 10 (below the age of criminal responsibility): always review; an outcome of arrest,
    summons, caution or penalty: fail. Children known to be 10+: not_applicable; a child whose age
    (exact or range) is not recorded: not_recorded."""
    age = ctx.number("age_years")
    has_age = ~np.isnan(age)
    with np.errstate(invalid="ignore"):
        under_10 = np.where(has_age, age < 10, ctx.category_in("age_range", ["under 10"]))
        ten_or_over = np.where(has_age, age >= 10, ctx.category_in("age_range", AGE_RANGES[1:]))
    formal = ctx.outcome_in(ctx.params["formal_outcomes"])
    d = ctx.decide()
    d.where_keyed(under_10 & formal, FAIL, ctx.outcome.astype(np.int64) * 32 + ctx.age_code,
                  lambda key: (f"{_outcome_label(int(key) // 32)} of {age_phrase(int(key) % 32)}: below the age of "
                               "criminal responsibility"))
    d.where_keyed(under_10, REVIEW, ctx.age_code,
                  lambda a: f"Search of {age_phrase(int(a))}: below the age of criminal responsibility")
    d.where(ten_or_over, NOT_APPLICABLE, ctx.text(NOT_APPLICABLE, "Child aged 10 or over"))
    d.otherwise(NOT_RECORDED, ctx.text(NOT_RECORDED, "Age not recorded: cannot tell whether the child is under 10"))
    return d.result()


@rule("K4", gives="pass review not_recorded")
def suspicionless_power_on_child(ctx: RuleContext) -> RuleOutput:
    """Child searched under s60 / s47A / s11: review, listed for the panel."""
    d = ctx.decide()
    d.where(ctx.power == -1, NOT_RECORDED, ctx.text(NOT_RECORDED, "Power not recorded"))
    d.where_keyed(ctx.suspicionless, REVIEW, ctx.power.astype(np.int64) * 32 + ctx.age_code,
                  lambda key: (f"{_power_label(int(key) // 32)} (suspicionless) search of {age_phrase(int(key) % 32)}: "
                               "listed for the panel"))
    d.otherwise(PASS, ctx.text(PASS, "Suspicion-led power"))
    return d.result()


@rule("K5", gives="pass review not_recorded",
      params={"formal_outcomes": ["arrest", "summons", "caution"],
              "diversionary_outcomes": ["community_resolution", "cannabis_warning"]})
def child_outcome_proportionality(ctx: RuleContext) -> RuleOutput:
    """Child: a formal outcome (arrest, summons, caution) although the object was not found
    (outcome_linked false): review, listed with the diversionary outcomes; reporting only."""
    outcome = ctx.outcome
    formal = ctx.outcome_in(ctx.params["formal_outcomes"])
    diversionary = ctx.outcome_in(ctx.params["diversionary_outcomes"])
    d = ctx.decide()
    d.where(outcome == -1, NOT_RECORDED, ctx.text(NOT_RECORDED, "Outcome not recorded"))
    d.where_keyed(formal & ctx.is_false("outcome_linked"), REVIEW, outcome.astype(np.int64) * 32 + ctx.age_code,
                  lambda key: (f"{_outcome_label(int(key) // 32)} of {age_phrase(int(key) % 32)} although the object "
                               "searched for was not found: listed with the diversionary outcomes"))
    d.where(formal & ctx.is_true("outcome_linked"), PASS, "Formal outcome; the object searched for was found")
    d.where(formal, NOT_RECORDED, "Formal outcome, but whether the object was found is not recorded")
    d.where_keyed(diversionary, PASS, outcome, lambda o: f"Diversionary outcome ({_outcome_label(int(o)).lower()})")
    d.otherwise(PASS, "No formal outcome")
    return d.result()


# ==================================================================================================
# Data quality (Q)
# ==================================================================================================

def _known_values(ctx: RuleContext) -> dict[str, Callable[[str], bool]]:
    """Per categorical field: is a (cleaned) value in the known vocabulary, canonical or police.uk?"""
    vocabulary = vocab.vocabulary()

    def one_of(*collections: Any) -> Callable[[str], bool]:
        folded = {str(v).casefold() for collection in collections for v in collection}
        return lambda value: value.casefold() in folded

    return {
        "search_type": one_of(SEARCH_TYPES, vocabulary.search_type),
        "gender": one_of(GENDERS, vocabulary.gender),
        "age_range": one_of(AGE_RANGES),
        "self_defined_ethnicity": vocab.is_known_sde,
        "officer_defined_ethnicity": one_of(ETHNIC_GROUPS, vocabulary.officer_defined_ethnicity),
        "legislation": lambda value: vocab.power(value) is not None,
        "object_of_search": one_of(vocabulary.object_of_search),
        "outcome": one_of(vocabulary.outcome, OUTCOME_CODES),
        "location_type": one_of(LOCATION_TYPES),
        "search_level": one_of(SEARCH_LEVELS),
        "authorising_rank": lambda value: ctx.ranks.index(value) >= 0,
    }


@rule("Q1", gives="pass review")
def known_vocabulary(ctx: RuleContext) -> RuleOutput:
    """Every recorded categorical value is in the known vocabulary (current or legacy police.uk
    spellings, or the canonical code): otherwise review, naming each field and value."""
    unknown_codes: dict[str, np.ndarray] = {}
    any_unknown = np.zeros(ctx.n, dtype=bool)
    for name, is_known in _known_values(ctx).items():
        if name not in ctx.records:
            continue
        codes, distinct = ctx.factor(name)
        unknown = np.array([not is_known(value) for value in distinct], dtype=bool)
        if unknown.any():
            flagged = ctx.lookup(name, unknown, False)
            unknown_codes[name] = np.where(flagged, codes, -1)
            any_unknown |= flagged
    d = ctx.decide()
    if any_unknown.any():
        rows = np.flatnonzero(any_unknown)
        combos = pd.DataFrame({name: codes[rows] for name, codes in unknown_codes.items()})
        combo_id = combos.groupby(list(combos.columns), sort=False).ngroup().to_numpy()
        first_row = pd.Series(np.arange(len(rows))).groupby(combo_id).first()
        texts = {}
        for combo, position in first_row.items():
            parts = [f"{name.replace('_', ' ')} {_quote(ctx.factor(name)[1][code], 40)}"
                     for name, code in combos.iloc[position].items() if code >= 0]
            texts[combo] = f"Unknown value{'s' * (len(parts) > 1)}: {'; '.join(parts)}"
        keys = np.full(ctx.n, -1, dtype=np.int64)
        keys[rows] = combo_id
        d.where_keyed(any_unknown, REVIEW, keys, lambda combo: texts[int(combo)])
    d.otherwise(PASS, ctx.text(PASS, "All recorded categorical values are known"))
    return d.result()


@rule("Q2", gives="pass review not_recorded")
def linked_outcome_not_nfa(ctx: RuleContext) -> RuleOutput:
    """outcome_linked true with a "no further action" outcome: review."""
    linked_true, linked_false = ctx.is_true("outcome_linked"), ctx.is_false("outcome_linked")
    d = ctx.decide()
    d.where((ctx.outcome == -1) | ~(linked_true | linked_false), NOT_RECORDED,
            ctx.text(NOT_RECORDED, "Outcome or find flag not recorded"))
    d.where(linked_true & ctx.outcome_in(["nfa"]), REVIEW,
            ctx.text(REVIEW, "Outcome linked to the object of search, yet no further action"))
    d.otherwise(PASS, ctx.text(PASS, "Outcome and find flag are consistent"))
    return d.result()


@rule("Q3", gives="pass review not_recorded not_applicable")
def vehicle_only_search(ctx: RuleContext) -> RuleOutput:
    """Informational. A vehicle-only search may leave person fields blank and is excluded from
    person-based rates (pass, saying so); one that nevertheless records a person (person_ref, age,
    appears under 18): review the search type. Person searches: not_applicable."""
    person_details = ctx.present("person_ref") | ctx.present("age_years") | ctx.is_true("appears_under_18")
    d = ctx.decide()
    d.where(ctx.blank("search_type"), NOT_RECORDED, ctx.text(NOT_RECORDED, "Search type not recorded"))
    d.where(~ctx.category_in("search_type", VEHICLE_ONLY), NOT_APPLICABLE,
            ctx.text(NOT_APPLICABLE, "Search of a person: person-based rates apply"))
    d.where(person_details, REVIEW, ctx.text(REVIEW, "Vehicle-only search with person details recorded: check the search type"))
    d.otherwise(PASS, ctx.text(PASS, "Vehicle-only search: person fields may be blank; excluded from person-based rates"))
    return d.result()
