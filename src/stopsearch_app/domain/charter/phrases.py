"""Phrase lists for the grounds rules (G1-G4) and S4, loaded from ``resources/charter/phrases.toml``.

Phrases are plain words (see the file's header for the two wildcards) compiled to one
case-insensitive, whole-word regular expression per group, in the RE2 dialect that pyarrow's compute
functions use, so matching runs in C++ over the distinct grounds texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LIST_NAMES = ("personal_factors", "specific_behaviour", "cannabis_smell", "cannabis_other_grounds",
              "retrospective", "routine_escalation")


class PhraseError(ValueError):
    """The phrase file is malformed."""


@dataclass(frozen=True)
class PhraseGroup:
    name: str
    label: str
    phrases: tuple[str, ...]

    @property
    def pattern(self) -> str:
        return phrases_pattern(self.phrases)


@dataclass(frozen=True)
class PhraseBook:
    version: str
    groups: dict[str, tuple[PhraseGroup, ...]]  # list name -> groups in file order
    stopwords: tuple[str, ...]

    def list(self, name: str) -> tuple[PhraseGroup, ...]:
        return self.groups.get(name, ())

    def pattern(self, *list_names: str) -> str:
        """One pattern matching any phrase of the named lists."""
        return phrases_pattern(tuple(p for name in list_names for group in self.list(name) for p in group.phrases))

    def as_data(self) -> dict[str, Any]:
        """A plain, ordered representation (for the rule set's content hash)."""
        return {"version": self.version, "stopwords": list(self.stopwords),
                "groups": {name: [{"name": g.name, "label": g.label, "phrases": list(g.phrases)} for g in groups]
                           for name, groups in self.groups.items()}}

    @property
    def meaningful_word_pattern(self) -> str:
        return r"\b[a-z][a-z'\-]*[a-z]\b"  # two or more letters; apostrophes and hyphens inside a word

    @property
    def stopword_pattern(self) -> str:
        words = [w for w in self.stopwords if len(w) >= 2]
        return r"\b(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b" if words else ""


def phrase_regex(phrase: str) -> str:
    """'known to police' -> r'known\\s+to\\s+police'; a trailing '*' on a word matches any ending."""
    parts = []
    for word in phrase.strip().split():
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word))
    return r"\s+".join(parts)


def phrases_pattern(phrases: tuple[str, ...] | list[str]) -> str:
    if not phrases:
        return ""
    # Longest first, so an alternation prefers "known to the police" over "known".
    ordered = sorted({phrase_regex(p) for p in phrases if p.strip()}, key=len, reverse=True)
    return r"\b(?:" + "|".join(ordered) + r")\b"


def parse_phrases(data: dict[str, Any], source: str | Path = "phrases") -> PhraseBook:
    problems: list[str] = []
    version = data.get("version")
    if not isinstance(version, str) or not version:
        problems.append("missing 'version'")
    groups: dict[str, tuple[PhraseGroup, ...]] = {}
    for list_name in LIST_NAMES:
        entries = data.get(list_name, [])
        if not isinstance(entries, list) or not entries:
            problems.append(f"missing phrase list [[{list_name}]]")
            continue
        parsed = []
        for position, entry in enumerate(entries, 1):
            name, phrases = entry.get("name"), entry.get("phrases")
            if not isinstance(name, str) or not isinstance(phrases, list) or not phrases \
                    or not all(isinstance(p, str) and p.strip() for p in phrases):
                problems.append(f"[[{list_name}]] entry {position}: needs a 'name' and a non-empty list of 'phrases'")
                continue
            bad = [p for p in phrases if any("*" in word[:-1] for word in p.split())]
            if bad:
                problems.append(f"[[{list_name}]] {name}: '*' is only allowed at the end of a word: {bad}")
            parsed.append(PhraseGroup(name, str(entry.get("label", name.replace("_", " "))),
                                      tuple(p.strip() for p in phrases)))
        groups[list_name] = tuple(parsed)
    stopwords = data.get("meaningful_words", {}).get("stopwords", [])
    if not isinstance(stopwords, list) or not all(isinstance(w, str) for w in stopwords):
        problems.append("[meaningful_words] stopwords must be a list of words")
        stopwords = []
    if problems:
        raise PhraseError(f"{source}: " + "; ".join(problems))
    return PhraseBook(version=str(version), groups=groups, stopwords=tuple(w.lower() for w in stopwords))
