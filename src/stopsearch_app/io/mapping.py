"""Column mappings for local extracts: which header feeds which canonical field, guessed from the
header names, corrected by the user, saved as a named, versioned profile (a small JSON file).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from platformdirs import user_config_dir

from stopsearch_app.domain.records import FIELD_BY_NAME
from stopsearch_app.resources import load_toml

PROFILE_FORMAT = "stopsearch-mapping"
PROFILE_VERSION = 1
ON_BAD_VALUE = ("quarantine", "blank")  # what to do with a row whose value cannot be parsed
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


class MappingError(ValueError):
    """A mapping that cannot be used (two columns on one field, an unknown field, a bad profile)."""


def header_key(text: str) -> str:
    return _NOT_ALNUM.sub("", str(text).lower())


@cache
def _synonyms() -> dict[str, str]:
    """Normalised header -> canonical field, from the canonical names, labels and synonym lists."""
    table: dict[str, str] = {}
    for name, words in load_toml("mapping", "synonyms.toml")["fields"].items():
        for word in words:
            table.setdefault(header_key(word), name)
    for name, spec in FIELD_BY_NAME.items():
        table[header_key(name)] = name
        table[header_key(spec.label)] = name
    return table


def value_synonyms(field_name: str) -> dict[str, str]:
    return load_toml("mapping", "synonyms.toml").get("values", {}).get(field_name, {})


@dataclass
class ColumnMapping:
    name: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical field
    on_bad_value: str = "quarantine"
    force: str | None = None
    dayfirst: bool = True  # UK extracts write 03/02/2024 for 3 February
    local_timezone: str = "Europe/London"  # for times written without an offset

    def validate(self) -> None:
        unknown = sorted({target for target in self.columns.values() if target and target not in FIELD_BY_NAME})
        if unknown:
            raise MappingError(f"unknown canonical field(s): {', '.join(unknown)}")
        by_target: dict[str, list[str]] = {}
        for source, target in self.columns.items():
            if target:
                by_target.setdefault(target, []).append(source)
        clashes = {target: sources for target, sources in by_target.items() if len(sources) > 1}
        if clashes:
            raise MappingError("; ".join(
                f"columns {', '.join(repr(s) for s in sources)} are all mapped to '{target}': map one of them"
                for target, sources in sorted(clashes.items())))
        if "occurred_at" not in by_target:
            raise MappingError("no column is mapped to the date and time of the search (occurred_at)")
        if self.on_bad_value not in ON_BAD_VALUE:
            raise MappingError(f"on_bad_value must be one of {', '.join(ON_BAD_VALUE)}")

    @property
    def mapped_fields(self) -> frozenset[str]:
        return frozenset(target for target in self.columns.values() if target)

    def to_json(self) -> dict:
        return {"format": PROFILE_FORMAT, "version": PROFILE_VERSION, "name": self.name, "columns": self.columns,
                "on_bad_value": self.on_bad_value, "force": self.force, "dayfirst": self.dayfirst,
                "local_timezone": self.local_timezone}

    @classmethod
    def from_json(cls, data: dict) -> ColumnMapping:
        if data.get("format") != PROFILE_FORMAT:
            raise MappingError("not a column-mapping profile (missing format: stopsearch-mapping)")
        version = int(data.get("version", 0))
        if version > PROFILE_VERSION:
            raise MappingError(f"profile version {version} is newer than this app understands ({PROFILE_VERSION})")
        mapping = cls(name=data.get("name", ""), columns=dict(data.get("columns", {})),
                      on_bad_value=data.get("on_bad_value", "quarantine"), force=data.get("force"),
                      dayfirst=bool(data.get("dayfirst", True)),
                      local_timezone=data.get("local_timezone", "Europe/London"))
        mapping.validate()
        return mapping


def guess_mapping(headers: list[str]) -> ColumnMapping:
    """Map each header whose name (or a known synonym) names a canonical field; each field once."""
    synonyms = _synonyms()
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = synonyms.get(header_key(header), "")
        if target and target not in taken:
            columns[header] = target
            taken.add(target)
        else:
            columns[header] = ""
    return ColumnMapping(columns=columns)


def identity_mapping(headers: list[str]) -> ColumnMapping:
    """Headers that already are the canonical names (the shipped template)."""
    return ColumnMapping(name="canonical", columns={h: (h.strip() if h.strip() in FIELD_BY_NAME else "")
                                                    for h in headers})


def profiles_dir() -> Path:
    return Path(user_config_dir("stopsearch-app", appauthor=False)) / "mappings"


def _profile_path(name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "profile"
    return profiles_dir() / f"{safe}.json"


def save_profile(mapping: ColumnMapping, folder: Path | None = None) -> Path:
    if not mapping.name.strip():
        raise MappingError("a profile needs a name")
    mapping.validate()
    path = (folder / _profile_path(mapping.name).name) if folder else _profile_path(mapping.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(mapping.to_json(), indent=2), encoding="utf-8")
    temporary.replace(path)
    return path


def list_profiles(folder: Path | None = None) -> list[str]:
    folder = folder or profiles_dir()
    names = []
    for path in sorted(folder.glob("*.json")):
        try:
            names.append(json.loads(path.read_text(encoding="utf-8")).get("name") or path.stem)
        except (OSError, ValueError):
            continue
    return names


def load_profile(name_or_path: str | Path, folder: Path | None = None) -> ColumnMapping:
    """A profile by file path, or by the name it was saved under."""
    path = Path(name_or_path)
    if not path.is_file():
        path = (folder / _profile_path(str(name_or_path)).name) if folder else _profile_path(str(name_or_path))
    if not path.is_file():
        raise MappingError(f"no mapping profile called '{name_or_path}' (looked in {path.parent})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise MappingError(f"{path.name} is not a readable mapping profile: {error}") from error
    return ColumnMapping.from_json(data)
