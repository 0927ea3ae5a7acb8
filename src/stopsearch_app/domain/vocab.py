"""Normalise police.uk values to canonical codes, one distinct value at a time.

Every function takes a pandas Series (usually categorical, straight from the parser) and maps its
*distinct* values, so a million rows cost as much as their vocabulary. The tables themselves live
in ``resources/vocab/policeuk.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
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


def as_categorical(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype("category")
    return series.astype(object).astype("category")


def map_distinct_values(series: pd.Series, mapper) -> np.ndarray:
    """``mapper`` applied to each distinct value, broadcast to an object array (None where blank)."""
    categorical = as_categorical(series)
    lookup = np.array([*(mapper(value) for value in categorical.cat.categories), None], dtype=object)
    return lookup[categorical.cat.codes.to_numpy()]  # code -1 (blank) takes the trailing None


def map_distinct(series: pd.Series, mapper) -> pd.Series:
    """``mapper`` applied to each distinct value; the result stays categorical (a million rows cost as
    much as their vocabulary, and the codes go straight to the database as vocabulary ids)."""
    categorical = as_categorical(series)
    mapped = [mapper(value) for value in categorical.cat.categories]
    uniques: list[object] = []
    position: dict[object, int] = {}
    remap = np.full(len(mapped) + 1, -1, dtype=np.int32)  # the last slot serves blank (code -1)
    for index, value in enumerate(mapped):
        if value is not None:
            remap[index] = position.setdefault(value, len(uniques))
            if remap[index] == len(uniques):
                uniques.append(value)
    codes = remap[categorical.cat.codes.to_numpy()]
    result = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    return pd.Series(result, index=series.index)


def clean_series(series: pd.Series) -> pd.Series:
    return map_distinct(series, clean_text)


def _lookup(table: dict[str, str]):
    folded = {key.casefold(): value for key, value in table.items()}

    def mapper(value: object) -> str | None:
        text = clean_text(value)
        return None if text is None else folded.get(text.casefold())

    return mapper


def canonical_or_raw(raw: pd.Series, table: dict[str, str]) -> pd.Series:
    """The canonical code of a known value; an unknown value is kept (cleaned) for rule Q1 to name."""
    lookup = _lookup(table)
    return map_distinct(raw, lambda value: lookup(value) or clean_text(value))


def search_type(raw: pd.Series) -> pd.Series:
    return canonical_or_raw(raw, vocabulary().search_type)


def gender(raw: pd.Series) -> pd.Series:
    return canonical_or_raw(raw, vocabulary().gender)


def officer_ethnicity(raw: pd.Series) -> pd.Series:
    return canonical_or_raw(raw, vocabulary().officer_defined_ethnicity)


def age_range(raw: pd.Series) -> tuple[pd.Series, int]:
    """Canonical age range (unknown values kept) and how many values were repaired from Excel's
    date damage (Oct-17)."""
    vocab = vocabulary()
    known, damaged = _lookup(vocab.age_range), _lookup(vocab.age_range_excel_damage)
    repaired = map_distinct_values(raw, lambda value: known(value) is None and damaged(value) is not None)
    result = map_distinct(raw, lambda value: known(value) or damaged(value) or clean_text(value))
    return result, int(np.count_nonzero(repaired == True))  # noqa: E712 - object array of bools and None


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


def clean_outcome(value: object) -> str | None:
    """The API writes a missing outcome as "" or the boolean false."""
    if value is False:
        return None
    text = clean_text(value)
    return None if text is None or text.casefold() == "false" else text


def outcome_code(value: object) -> str | None:
    text = clean_outcome(value)
    if text is None:
        return None
    return _lookup(vocabulary().outcome)(text) or "other"


def outcome_codes(raw: pd.Series) -> pd.Series:
    return map_distinct(raw, outcome_code)


def is_known_sde(value: object) -> bool:
    text = clean_text(value)
    return text is None or text in vocabulary().sde_known or bool(_LEGACY_CODE.search(text))
