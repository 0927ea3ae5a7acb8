"""Versioned charter rule sets: load, validate, hash (shared/spec/charter-rules.md, opening section).

A rule set is a TOML file under ``resources/charter/`` holding each rule's metadata (ID, title,
category, basis, citation, fields, severity, enabled, parameters). The logic of each rule is a
function in :mod:`.rules` keyed by the ID; loading fails with every problem listed at once when the
file names a rule with no implementation, repeats an ID, has a bad basis, misses a key, names a
field that is not canonical, or gives a parameter the logic does not know.

A :class:`RuleSet` is immutable and carries a content hash over everything that can change a verdict
(the rules, their parameters, the rank scale, the phrase lists), so a stored verdict can always be
traced to exactly what produced it. Settings (enable a rule, promote S5/S6 to law, change a
threshold) make a new RuleSet with a new hash via :meth:`RuleSet.with_settings`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from stopsearch_app.domain.records import DERIVED_COLUMNS, FIELD_BY_NAME
from stopsearch_app.resources import resource_path

from .phrases import PhraseBook, PhraseError, parse_phrases
from .verdicts import VERDICT_KEYS

BASES = ("law", "policy", "guidance")
SEVERITIES = ("critical", "high", "medium", "low")
APPLIES_TO = ("children", "all")
CATEGORIES = ("legal_basis", "grounds", "conduct", "recording", "strip_search", "safeguarding", "data_quality")
DEFAULT_RULESET_FILE = "met-charter-2025.toml"
_REQUIRED_RULE_KEYS = ("id", "title", "category", "basis", "citation", "fields", "severity", "enabled", "applies_to")
_KNOWN_RULE_KEYS = frozenset({*_REQUIRED_RULE_KEYS, "requires", "promote_to_law", "informational", "params",
                              "reasons", "description"})
_CANONICAL_NAMES = frozenset(FIELD_BY_NAME) | frozenset(DERIVED_COLUMNS)


class RuleSetError(ValueError):
    """A rule-set file that cannot be used; the message lists every problem found."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    basis: str  # law | policy | guidance, as written in the file
    citation: str
    fields: tuple[str, ...]
    requires: tuple[tuple[str, ...], ...]  # each group: alternatives, any one carried will do
    severity: str
    enabled: bool
    applies_to: str  # children | all
    promote_to_law: bool = False
    informational: bool = False
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    reasons: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    @property
    def effective_basis(self) -> str:
        """The basis a fail counts under: a promoted guidance rule counts as law."""
        return "law" if self.promote_to_law else self.basis

    @property
    def is_legal(self) -> bool:
        """A fail of this rule may be counted as a legal breach."""
        return self.effective_basis == "law"

    @property
    def child_only(self) -> bool:
        return self.applies_to == "children"

    def as_data(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "category": self.category, "basis": self.basis,
                "citation": self.citation, "fields": list(self.fields),
                "requires": ["|".join(group) for group in self.requires], "severity": self.severity,
                "enabled": self.enabled, "applies_to": self.applies_to, "promote_to_law": self.promote_to_law,
                "informational": self.informational, "params": _plain(self.params),
                "reasons": dict(self.reasons), "description": self.description}


@dataclass(frozen=True)
class RankScale:
    """Police ranks lowest first, with aliases; turns free-text ranks into comparable integers."""

    order: tuple[str, ...]
    aliases: Mapping[str, str]

    def index(self, rank: str) -> int:
        """Position in :attr:`order`; -1 when the text is not a recognisable rank."""
        text = _normalise_rank(rank)
        text = self.aliases.get(text, text)
        return self.order.index(text) if text in self.order else -1

    def indices(self, distinct: Sequence[str]) -> np.ndarray:
        return np.array([self.index(value) for value in distinct], dtype=np.int16)

    def as_data(self) -> dict[str, Any]:
        return {"order": list(self.order), "aliases": dict(sorted(self.aliases.items()))}


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    title: str
    effective_from: str
    source: str
    rules: tuple[Rule, ...]
    phrases: PhraseBook
    ranks: RankScale
    content_hash: str = ""
    path: Path | None = None

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    @property
    def enabled_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    def rule(self, rule_id: str) -> Rule:
        for candidate in self.rules:
            if candidate.id == rule_id:
                return candidate
        raise KeyError(f"rule set {self.id} {self.version} has no rule {rule_id!r}")

    @property
    def label(self) -> str:
        return f"{self.id} {self.version} ({self.content_hash[:12]})"

    def as_data(self) -> dict[str, Any]:
        """Everything that can change a verdict, in a stable order (what the content hash covers)."""
        return {"id": self.id, "version": self.version, "title": self.title, "effective_from": self.effective_from,
                "source": self.source, "rules": [rule.as_data() for rule in self.rules],
                "ranks": self.ranks.as_data(), "phrases": self.phrases.as_data()}

    def with_settings(self, *, enabled: Mapping[str, bool] | None = None,
                      promote_to_law: Mapping[str, bool] | None = None,
                      params: Mapping[str, Mapping[str, Any]] | None = None) -> RuleSet:
        """A copy with user settings applied (validated like the file), and a new content hash."""
        from .rules import REGISTRY

        problems: list[str] = []
        for name, mapping in (("enabled", enabled), ("promote_to_law", promote_to_law), ("params", params)):
            for rule_id in (mapping or {}):
                if rule_id not in self.rule_ids:
                    problems.append(f"{name}: unknown rule {rule_id!r}")
        rules = []
        for rule in self.rules:
            changes: dict[str, Any] = {}
            if enabled and rule.id in enabled:
                changes["enabled"] = bool(enabled[rule.id])
            if promote_to_law and rule.id in promote_to_law:
                if promote_to_law[rule.id] and rule.basis != "guidance":
                    problems.append(f"{rule.id}: only a guidance rule can be promoted to law (basis is {rule.basis})")
                changes["promote_to_law"] = bool(promote_to_law[rule.id])
            if params and rule.id in params and rule.id in REGISTRY:
                merged = {**_plain(rule.params), **dict(params[rule.id])}
                checked = _check_params(rule.id, merged, REGISTRY[rule.id].param_defaults, problems)
                changes["params"] = _freeze(checked)
            rules.append(replace(rule, **changes) if changes else rule)
        _check_rank_params(rules, self.ranks, problems)
        if problems:
            raise RuleSetError(f"settings for {self.id}: " + "; ".join(problems))
        updated = replace(self, rules=tuple(rules))
        return replace(updated, content_hash=_hash(updated))


def scalar_params(rule: Rule) -> dict[str, Any]:
    """The parameters a person can set in the app (numbers and words); lists and tables of a rule
    stay in the rule-set file."""
    return {name: value for name, value in rule.params.items() if isinstance(value, (int, float, str))
            and not isinstance(value, bool)}


SETTING_KINDS = ("enabled", "promote_to_law", "params")


def normalise_settings(raw: object) -> dict[str, dict]:
    """Settings as ``RuleSet.with_settings`` takes them, from whatever a settings file holds: a
    hand-edited file with a stray key or a wrongly shaped entry loses that entry, not the app."""
    if not isinstance(raw, Mapping):
        return {}
    settings: dict[str, dict] = {}
    for kind in ("enabled", "promote_to_law"):
        values = raw.get(kind)
        if isinstance(values, Mapping):
            kept = {str(rule_id): value for rule_id, value in values.items() if isinstance(value, bool)}
            if kept:
                settings[kind] = kept
    params = raw.get("params")
    if isinstance(params, Mapping):
        kept_params = {str(rule_id): {str(name): value for name, value in values.items()
                                      if isinstance(value, (int, float, str))}
                       for rule_id, values in params.items() if isinstance(values, Mapping)}
        kept_params = {rule_id: values for rule_id, values in kept_params.items() if values}
        if kept_params:
            settings["params"] = kept_params
    return settings


def ruleset_from_settings(raw: object, base: RuleSet | None = None) -> RuleSet:
    """The shipped charter rule set (or ``base``) with a user's settings applied; RuleSetError when
    the settings are well formed but the rule set refuses them (e.g. promoting a law rule)."""
    return (base or default_ruleset()).with_settings(**normalise_settings(raw))


def settings_between(base: RuleSet, rules: Sequence[Mapping[str, Any]]) -> dict[str, dict]:
    """The settings (``RuleSet.with_settings`` arguments) that turn ``base`` into ``rules`` (as in
    ``RuleSet.as_data()['rules']``, e.g. a stored check run's): what a run changed from the charter."""
    by_id = {str(rule.get("id")): rule for rule in rules}
    settings: dict[str, dict] = {"enabled": {}, "promote_to_law": {}, "params": {}}
    for rule in base.rules:
        other = by_id.get(rule.id)
        if other is None:
            continue
        if bool(other.get("enabled", True)) != rule.enabled:
            settings["enabled"][rule.id] = bool(other.get("enabled", True))
        if bool(other.get("promote_to_law", False)) != rule.promote_to_law:
            settings["promote_to_law"][rule.id] = bool(other.get("promote_to_law", False))
        changed = {name: other.get("params", {}).get(name) for name, value in scalar_params(rule).items()
                   if other.get("params", {}).get(name, value) != value}
        if changed:
            settings["params"][rule.id] = changed
    return {name: values for name, values in settings.items() if values}


def run_departures(ruleset_id: str, ruleset_version: str, rules: Sequence[Mapping[str, Any]]) -> dict | None:
    """What a stored check run changed from the shipped charter (``settings_between``); None when the
    run used another rule set (another version, or a file given to ``stopsearch check --ruleset``)."""
    charter = default_ruleset()
    if (ruleset_id, ruleset_version) != (charter.id, charter.version):
        return None
    return settings_between(charter, rules)


def describe_settings(settings: Mapping[str, Mapping[str, Any]]) -> str:
    """One line a supervisor can read: "K4 off; S5 counts as law; G1 min_words 20"."""
    parts = [f"{rule_id} {'on' if on else 'off'}" for rule_id, on in sorted(settings.get("enabled", {}).items())]
    parts += [f"{rule_id} {'counts as law' if promoted else 'guidance'}"
              for rule_id, promoted in sorted(settings.get("promote_to_law", {}).items())]
    parts += [f"{rule_id} {name} {value}" for rule_id, values in sorted(settings.get("params", {}).items())
              for name, value in sorted(values.items())]
    return "; ".join(parts)


def load_ruleset(path: str | Path) -> RuleSet:
    """Load and validate a rule-set file (its phrase file is named inside it, relative to it)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise RuleSetError(f"{path}: no such rule-set file") from None
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(f"{path}: not valid TOML: {error}") from None
    phrases_name = data.get("phrases")
    if not isinstance(phrases_name, str):
        raise RuleSetError(f"{path}: missing 'phrases' (the phrase-list file, e.g. \"phrases.toml\")")
    phrases_path = path.parent / phrases_name
    try:
        with phrases_path.open("rb") as handle:
            phrases = parse_phrases(tomllib.load(handle), phrases_path)
    except FileNotFoundError:
        raise RuleSetError(f"{path}: phrase file {phrases_path} not found") from None
    except (tomllib.TOMLDecodeError, PhraseError) as error:
        raise RuleSetError(f"{phrases_path}: {error}") from None
    return ruleset_from_data(data, phrases, source_name=str(path), path=path)


def ruleset_from_data(data: Mapping[str, Any], phrases: PhraseBook, *, source_name: str = "rule set",
                      path: Path | None = None) -> RuleSet:
    """Validate parsed TOML data; raise :class:`RuleSetError` listing every problem."""
    from .rules import REGISTRY

    problems: list[str] = []
    header: dict[str, str] = {}
    for key in ("id", "version", "title", "effective_from", "source"):
        value = data.get(key)
        if isinstance(value, dt.date):
            value = value.isoformat()
        if not isinstance(value, str) or not value.strip():
            problems.append(f"missing top-level '{key}'")
            value = ""
        header[key] = value
    ranks = _parse_ranks(data.get("ranks"), problems)

    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("no [[rule]] entries")
        raw_rules = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_rules, 1):
        where = f"rule {position}" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")
        if not isinstance(raw, dict):
            problems.append(f"{where}: not a table")
            continue
        missing = [key for key in _REQUIRED_RULE_KEYS if key not in raw]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        unknown_keys = sorted(set(raw) - _KNOWN_RULE_KEYS)
        if unknown_keys:
            problems.append(f"{where}: unknown keys {', '.join(unknown_keys)}")
        rule_id = str(raw["id"])
        if rule_id in seen:
            problems.append(f"{where}: duplicate rule ID {rule_id}")
            continue
        seen.add(rule_id)
        if rule_id not in REGISTRY:
            problems.append(f"{where}: no implementation for rule ID {rule_id} "
                            f"(implemented: {', '.join(REGISTRY)})")
            continue
        rules.append(_parse_rule(raw, where, REGISTRY[rule_id].param_defaults, problems))

    _check_rank_params(rules, ranks, problems)
    if problems:
        raise RuleSetError(f"{source_name}: " + "; ".join(problems))
    ruleset = RuleSet(id=header["id"], version=header["version"], title=header["title"],
                      effective_from=header["effective_from"], source=header["source"], rules=tuple(rules),
                      phrases=phrases, ranks=ranks, path=path)
    return replace(ruleset, content_hash=_hash(ruleset))


@cache
def default_ruleset() -> RuleSet:
    """The shipped Met charter rule set (``resources/charter/met-charter-2025.toml``)."""
    return load_ruleset(resource_path("charter", DEFAULT_RULESET_FILE))


def available_rulesets() -> dict[str, Path]:
    """Shipped rule-set files by their ``id`` (the phrase files are skipped)."""
    found: dict[str, Path] = {}
    for candidate in sorted(resource_path("charter").glob("*.toml")):
        with candidate.open("rb") as handle:
            data = tomllib.load(handle)
        if "rule" in data and isinstance(data.get("id"), str):
            found[data["id"]] = candidate
    return found


def find_ruleset(id_or_path: str | Path | None = None) -> RuleSet:
    """A shipped rule set by ID, a rule-set file by path, or the default."""
    if id_or_path is None:
        return default_ruleset()
    shipped = available_rulesets()
    if str(id_or_path) in shipped:
        path = shipped[str(id_or_path)]
        return default_ruleset() if path.name == DEFAULT_RULESET_FILE else load_ruleset(path)
    if Path(id_or_path).is_file():
        return load_ruleset(id_or_path)
    raise RuleSetError(f"no rule set {id_or_path!r}: shipped rule sets are {', '.join(shipped) or 'none'}")


# -- parsing helpers ------------------------------------------------------------------------------------

def _parse_rule(raw: dict[str, Any], where: str, defaults: Mapping[str, Any], problems: list[str]) -> Rule:
    def text(key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: '{key}' must be non-empty text")
            return ""
        return value.strip()

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            problems.append(f"{where}: '{key}' must be true or false")
            return default
        return value

    basis = text("basis")
    if basis and basis not in BASES:
        problems.append(f"{where}: bad basis {basis!r} (expected law, policy or guidance)")
    severity = text("severity")
    if severity and severity not in SEVERITIES:
        problems.append(f"{where}: bad severity {severity!r} (expected {', '.join(SEVERITIES)})")
    applies_to = text("applies_to")
    if applies_to and applies_to not in APPLIES_TO:
        problems.append(f"{where}: bad applies_to {applies_to!r} (expected children or all)")
    category = text("category")
    if category and category not in CATEGORIES:
        problems.append(f"{where}: bad category {category!r} (expected {', '.join(CATEGORIES)})")

    fields = raw.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        problems.append(f"{where}: 'fields' must be a list of canonical field names")
        fields = []
    unknown_fields = [f for f in fields if f not in _CANONICAL_NAMES]
    if unknown_fields:
        problems.append(f"{where}: unknown fields {', '.join(unknown_fields)}")
    requires_raw = raw.get("requires", fields)
    if not isinstance(requires_raw, list) or not all(isinstance(r, str) for r in requires_raw):
        problems.append(f"{where}: 'requires' must be a list of field names ('a|b' for either)")
        requires_raw = []
    requires = tuple(tuple(part.strip() for part in group.split("|")) for group in requires_raw)
    for group in requires:
        for name in group:
            if name not in FIELD_BY_NAME:
                problems.append(f"{where}: requires unknown field {name!r}")
            elif name not in fields:
                problems.append(f"{where}: requires {name!r}, which is not in its fields")

    promote = flag("promote_to_law", False)
    if promote and basis != "guidance":
        problems.append(f"{where}: promote_to_law is only for guidance rules (basis is {basis})")
    reasons = raw.get("reasons", {})
    if not isinstance(reasons, dict) or not all(isinstance(v, str) for v in reasons.values()):
        problems.append(f"{where}: 'reasons' must map verdicts to text")
        reasons = {}
    bad_keys = [key for key in reasons if key not in VERDICT_KEYS]
    if bad_keys:
        problems.append(f"{where}: reasons for unknown verdicts {', '.join(bad_keys)}")
    params_raw = raw.get("params", {})
    if not isinstance(params_raw, dict):
        problems.append(f"{where}: 'params' must be a table")
        params_raw = {}
    params = _check_params(where, {**_plain(defaults), **params_raw}, defaults, problems)
    return Rule(id=str(raw["id"]), title=text("title"), category=category, basis=basis, citation=text("citation"),
                fields=tuple(fields), requires=requires, severity=severity, enabled=flag("enabled", True),
                applies_to=applies_to, promote_to_law=promote, informational=flag("informational", False),
                params=_freeze(params), reasons=MappingProxyType(dict(reasons)),
                description=str(raw.get("description", "")))


def _check_params(where: str, params: dict[str, Any], defaults: Mapping[str, Any],
                  problems: list[str]) -> dict[str, Any]:
    for key, value in params.items():
        if key not in defaults:
            problems.append(f"{where}: unknown parameter {key!r} (known: {', '.join(defaults) or 'none'})")
            continue
        expected = defaults[key]
        if isinstance(expected, bool):
            good = isinstance(value, bool)
        elif isinstance(expected, int):
            good = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        elif isinstance(expected, float):
            good = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif isinstance(expected, (list, tuple)):
            good = isinstance(value, (list, tuple))
        elif isinstance(expected, Mapping):
            good = isinstance(value, Mapping)
        else:
            good = isinstance(value, type(expected))
        if not good:
            problems.append(f"{where}: parameter {key!r} should be like {expected!r}, got {value!r}")
    return params


def _check_rank_params(rules: Sequence[Rule], ranks: RankScale, problems: list[str]) -> None:
    """A minimum rank (L3, S5) must be a rank of the scale, or the check would silently accept anyone."""
    if not ranks.order:
        return
    for rule in rules:
        value = rule.params.get("min_rank")
        if value is None:
            continue
        names = list(value.values()) if isinstance(value, Mapping) else [value]
        unknown = [str(name) for name in names if ranks.index(str(name)) < 0]
        if unknown:
            problems.append(f"rule {rule.id}: min_rank {', '.join(map(repr, unknown))} is not a rank in [ranks]")


def _parse_ranks(raw: Any, problems: list[str]) -> RankScale:
    if not isinstance(raw, dict) or not isinstance(raw.get("order"), list) or not raw["order"]:
        problems.append("missing [ranks] order (police ranks, lowest first)")
        return RankScale(order=(), aliases=MappingProxyType({}))
    order = tuple(_normalise_rank(r) for r in raw["order"])
    aliases = {_normalise_rank(k): _normalise_rank(v) for k, v in dict(raw.get("aliases", {})).items()}
    unknown = sorted(v for v in set(aliases.values()) if v not in order)
    if unknown:
        problems.append(f"[ranks] aliases point at ranks not in the order: {', '.join(unknown)}")
    return RankScale(order=order, aliases=MappingProxyType(aliases))


# Prefixes that do not change the rank for authorisation purposes ("Det Supt", "A/Insp", "T/Ch Supt").
_RANK_PREFIXES = frozenset({"detective", "det", "acting", "temporary", "a", "t"})


def _normalise_rank(value: object) -> str:
    tokens = re.sub(r"[.\-_/]", " ", str(value)).lower().split()
    while len(tokens) > 1 and tokens[0] in _RANK_PREFIXES:
        tokens = tokens[1:]
    return " ".join(tokens)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _hash(ruleset: RuleSet) -> str:
    canonical = json.dumps(ruleset.as_data(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
