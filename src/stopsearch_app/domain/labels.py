"""Labels a person reads for the internal codes (``resources/vocab/labels.toml``). Pure Python.

Codes stay in the data, the packs' code columns and the CLI's JSON; every screen, the report and the
packs' human columns show :func:`label` instead. An unknown value is shown as it is: raw police.uk
strings (``Controlled drugs``, ``10-17``, ``White``) are already what a person reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from stopsearch_app.resources import load_toml

LABELS_FILE = ("vocab", "labels.toml")
NOT_RECORDED = "not recorded"


@cache
def _tables() -> Mapping[str, Mapping[str, str]]:
    data = load_toml(*LABELS_FILE)
    return {name: dict(table) for name, table in data.items() if isinstance(table, dict)}


def labels_version() -> str:
    return str(load_toml(*LABELS_FILE).get("version", ""))


def labelled_fields() -> frozenset[str]:
    return frozenset(_tables())


def codes(field_name: str) -> frozenset[str]:
    return frozenset(_tables().get(field_name, {}))


def label(field_name: str, value: object) -> str:
    """The label of ``value`` of the field, the value itself when it has none, "not recorded" when blank."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return NOT_RECORDED
    text = str(value)
    return _tables().get(field_name, {}).get(text, text)


def all_codes() -> frozenset[str]:
    """Every internal code that has a label (tests use it to find a code shown to a person)."""
    return frozenset(code for table in _tables().values() for code, text in table.items() if code != text)
