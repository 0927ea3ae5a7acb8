"""Normalise police.uk values to canonical codes, one distinct value at a time.

Every function takes a pandas Series (usually categorical, straight from the parser) and maps its
*distinct* values, so a million rows cost as much as their vocabulary. The tables themselves live
in ``resources/vocab/policeuk.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd

from stopsearch_app.resources import load_toml

_WHITESPACE = re.compile(r"\s+")
_BRACKET_SPACE = re.compile(r"\s+\)")
_LEGACY_CODE = re.compile(r"\(([A-Z]{1,2}\d?)\)\s*$")


@dataclass(frozen=True)
class Vocabulary:
    version: str
    search_type: dict[str, str]
    gender: dict[str, str]
    age_range: dict[str, str]
    age_range_excel_damage: dict[str, str]
    officer_defined_ethnicity: dict[str, str]
    sde_prefix: dict[str, str]
    sde_legacy_code: dict[str, str]
    sde_known: frozenset[str]
    powers: tuple[tuple[str, re.Pattern[str]], ...]
    suspicionless_powers: frozenset[str]
    outcome: dict[str, str]
    outcome_object_id: dict[str, str]
    object_of_search: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    data = load_toml("vocab", "policeuk.toml")
    return Vocabulary(
        version=data["version"],
        search_type=data["search_type"],
        gender=data["gender"],
        age_range=data["age_range"],
        age_range_excel_damage=data["age_range_excel_damage"],
        officer_defined_ethnicity=data["officer_defined_ethnicity"],
        sde_prefix=data["sde_prefix"],
        sde_legacy_code=data["sde_legacy_code"],
        sde_known=frozenset(data["sde_known"]["values"]),
        powers=tuple((p["code"], re.compile(p["pattern"], re.IGNORECASE)) for p in data["power"]),
        suspicionless_powers=frozenset(data["power_suspicionless"]["codes"]),
        outcome=data["outcome"],
        outcome_object_id=data["outcome_object_id"],
        object_of_search=frozenset(data["object_of_search"]["values"]),
    )


def clean_text(value: object) -> str | None:
    """Collapse runs of whitespace, drop spaces before ')' and trim; blank becomes None."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = _BRACKET_SPACE.sub(")", _WHITESPACE.sub(" ", str(value))).strip()
    return text or None


def map_distinct(series: pd.Series, mapper) -> pd.Series:
    """Apply ``mapper`` to each distinct value of ``series`` and broadcast the result (object dtype)."""
    categorical = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")
    categories = categorical.cat.categories
    mapped = [mapper(value) for value in categories]
    codes = categorical.cat.codes.to_numpy()
    lookup = pd.array([*mapped, None], dtype=object)
    # code -1 (missing) indexes the trailing None
    return pd.Series(lookup[codes], index=series.index, dtype=object)


def clean_series(series: pd.Series) -> pd.Series:
    return map_distinct(series, clean_text)


def _lookup(table: dict[str, str]):
    folded = {key.casefold(): value for key, value in table.items()}

    def mapper(value: object) -> str | None:
        text = clean_text(value)
        return None if text is None else folded.get(text.casefold())

    return mapper


def search_type(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, _lookup(vocabulary().search_type))


def gender(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, _lookup(vocabulary().gender))


def officer_ethnicity(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, _lookup(vocabulary().officer_defined_ethnicity))


def age_range(raw: pd.Series) -> tuple[pd.Series, int]:
    """Canonical age range and the number of values repaired from Excel's date damage (Oct-17)."""
    vocab = vocabulary()
    known, damaged = _lookup(vocab.age_range), _lookup(vocab.age_range_excel_damage)
    repaired = map_distinct(raw, lambda value: damaged(value))
    result = map_distinct(raw, lambda value: known(value) or damaged(value))
    return result, int(repaired.notna().sum())


def sde_group(value: object) -> str | None:
    """Five-group ethnicity of a self-defined string by its prefix or legacy code; 'Not stated' is unknown."""
    text = clean_text(value)
    if text is None:
        return None
    vocab = vocabulary()
    if "not stated" in text.casefold():
        return "Not stated"
    code = _LEGACY_CODE.search(text)
    if code and code.group(1) in vocab.sde_legacy_code:
        return vocab.sde_legacy_code[code.group(1)]
    prefix = text.split(" - ", 1)[0].strip().casefold()
    for known_prefix, group in vocab.sde_prefix.items():
        if prefix == known_prefix.casefold():
            return group
    return None


def sde_groups(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, sde_group)


def power(value: object) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    for code, pattern in vocabulary().powers:
        if pattern.search(text):
            return code
    return None


def powers(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, power)


def outcome_code(value: object) -> str | None:
    text = clean_text(value)
    if text is None or text.casefold() == "false":
        return None
    return _lookup(vocabulary().outcome)(text) or "other"


def outcome_codes(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, outcome_code)


def is_known_sde(value: object) -> bool:
    text = clean_text(value)
    return text is None or text in vocabulary().sde_known or bool(_LEGACY_CODE.search(text))
