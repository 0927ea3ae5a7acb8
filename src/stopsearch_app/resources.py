"""Where the shipped data files live (rule sets, vocabularies, denominators, demo data, migrations).

In a source checkout and an editable install they are the top-level ``resources/`` and ``db/``
folders; a wheel carries them inside the package as ``_resources`` and ``_db``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"none of these folders exist: {', '.join(map(str, candidates))}")


@cache
def resources_dir() -> Path:
    return _first_existing(_PACKAGE / "_resources", _PACKAGE.parent.parent / "resources")


@cache
def migrations_dir() -> Path:
    return _first_existing(_PACKAGE / "_db", _PACKAGE.parent.parent / "db")


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@cache
def load_toml(*parts: str) -> dict:
    with resource_path(*parts).open("rb") as handle:
        return tomllib.load(handle)


@cache
def load_word_list(*parts: str) -> tuple[str, ...]:
    """A list of one word or phrase per line; ``#`` lines are comments."""
    text = resource_path(*parts).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
