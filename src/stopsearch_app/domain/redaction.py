"""Redaction of personal details in free text: the engine behind :func:`stopsearch_app.domain.review.redact`.

The rules are data (``resources/review/redaction.toml``, word lists in ``resources/review/names.toml``);
this module only knows three kinds of rule:

* ``regex`` (the default): a Python regular expression applied with ``re.sub``; ``<<list>>`` stands for
  the phrases of a list (longest first), ``<<fragment>>`` for a named regular expression;
* ``words``: whole words or phrases of the named lists, looked up in a set (hundreds of names would make
  a slow regular expression). ``case = "any"`` matches "aisha", "Aisha" and "AISHA"; ``"capitalised"``
  only Title-case or upper-case words. Words of the ``ambiguous`` list (names that are also ordinary
  words or ethnicities: "White", "Grace") are never matched by a ``words`` rule in any case; a rule
  naming ``ambiguous_only = true`` matches only them (capitalised);
* ``unknown_capitalised``: any Title-case or upper-case word that is in none of the rule's ``lists``
  (the commonest English words, police and legal terms): a name no list holds ("Zephyrin Oduya",
  "ODUYA"); neighbouring words go as one. A hyphenated word goes when any part is unknown
  ("Brown-Okafor"), and so does one whose every part is Title-case ("Kerry-Ann"); a word in brackets
  (an earlier rule's token) stays;
* ``phonenumbers``: telephone numbers as Google's libphonenumber finds them (``region``, leniency
  POSSIBLE: every format a person writes, "(020) 7946 0999", "+44 (0)20...", "07700900123").

Err towards removing: a panel pack with an extra ``[name]`` costs a re-read, a child's name in one is a
data breach. tests/domain/test_redaction_recall.py measures both on a labelled set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import phonenumbers

_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’]*(?:-[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'’]*)*")
_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class RedactionRule:
    name: str
    pattern: re.Pattern[str] | None
    replacement: str
    removed: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    kind: str = "regex"
    phrases: frozenset[tuple[str, ...]] = frozenset()
    longest: int = 1
    capitalised: bool = False
    region: str = "GB"
    kept_beside_name: frozenset[str] = frozenset()  # unknown_capitalised: words that stay beside a name

    def apply(self, text: str) -> str:
        if self.kind == "regex":
            assert self.pattern is not None
            return self.pattern.sub(self.replacement, text)
        if self.kind == "phonenumbers":
            return _replace_spans(text, _phone_spans(text, self.region), self.replacement)
        if self.kind == "unknown_capitalised":
            return _replace_spans(text, self._unknown_spans(text), self.replacement)
        return _replace_spans(text, self._word_spans(text), self.replacement)

    def _word_spans(self, text: str) -> list[tuple[int, int]]:
        tokens = list(_WORD.finditer(text))
        keys = [_POSSESSIVE.sub("", t.group()).lower() for t in tokens]
        firsts = self._first_words
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            if keys[i] not in firsts and "-" not in keys[i]:  # most words: one set lookup
                i += 1
                continue
            for size in range(min(self.longest, len(tokens) - i), 0, -1):
                window = tokens[i:i + size]
                if any(text[a.end():b.start()].strip() for a, b in zip(window, window[1:])):
                    continue  # a phrase is words separated by white space only
                if self.capitalised and not all(_is_capitalised(t.group()) for t in window):
                    continue
                if self._listed(tuple(keys[i:i + size])):
                    spans.append((window[0].start(), window[-1].end()))
                    i += size
                    break
            else:
                i += 1
        return spans

    def _unknown_spans(self, text: str) -> list[tuple[int, int]]:
        known = self._known_words
        tokens = [t for t in _WORD.finditer(text)
                  if _is_capitalised(t.group()) and not _in_brackets(text, t.start(), t.end())]
        unknown = [_double_barrelled(t.group()) or not all(part in known for part in _parts(t.group()) if part)
                   for t in tokens]
        # A capitalised word next to an unknown one is part of the name unless it is a very common word
        # ("Tavion Blackwood", "KEMOY FAIRWEATHER"; but "saw Tavion In"): grown outwards from each unknown.
        for _ in range(2):
            for i, token in enumerate(tokens):
                if unknown[i]:
                    continue
                beside = [j for j in (i - 1, i + 1) if 0 <= j < len(tokens) and unknown[j]
                          and _adjacent(text, tokens[min(i, j)], tokens[max(i, j)])]
                if beside and not all(part in self.kept_beside_name for part in _parts(token.group()) if part):
                    unknown[i] = True
        spans: list[tuple[int, int]] = []
        for token, is_unknown in zip(tokens, unknown, strict=True):
            if not is_unknown:
                continue
            if spans and not text[spans[-1][1]:token.start()].strip():
                spans[-1] = (spans[-1][0], token.end())  # "Zephyrin Oduya" is one [name], not two
            else:
                spans.append((token.start(), token.end()))
        return spans

    @cached_property
    def _known_words(self) -> frozenset[str]:
        return frozenset(words[0] for words in self.phrases)

    @cached_property  # a frozen dataclass: cached_property writes the instance's __dict__ directly
    def _first_words(self) -> frozenset[str]:
        return frozenset(phrase[0] for phrase in self.phrases)

    def _listed(self, key: tuple[str, ...]) -> bool:
        if key in self.phrases:
            return True
        if len(key) == 1 and "-" in key[0]:  # "Ali-Khan", "Smith-Boateng"
            return any((part,) in self.phrases for part in key[0].split("-"))
        return False


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _parts(word: str) -> list[str]:
    return [_POSSESSIVE.sub("", part).lower() for part in word.split("-")]


def _double_barrelled(word: str) -> bool:
    """"Kerry-Ann", "Smith-Jones": every part Title-case, as names are and hyphenated words are not."""
    parts = word.split("-")
    return len(parts) > 1 and all(part[:1].isupper() and part[1:2].islower() for part in parts)


def _adjacent(text: str, first: re.Match[str], second: re.Match[str]) -> bool:
    return not text[first.end():second.start()].strip()


def _in_brackets(text: str, start: int, end: int) -> bool:
    return start > 0 and text[start - 1] == "[" and text[end:end + 1] == "]"


def _phone_spans(text: str, region: str) -> list[tuple[int, int]]:
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    # Not inside a token: "OFC-1234" and "22/123456A" are references, not phone numbers.
    return [(m.start, m.end) for m in matcher
            if not (m.start and (text[m.start - 1].isalnum() or text[m.start - 1] in "-/"))
            and not (m.end < len(text) and (text[m.end].isalnum() or text[m.end] in "-/"))]


def _replace_spans(text: str, spans: Sequence[tuple[int, int]], replacement: str) -> str:
    if not spans:
        return text
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


@dataclass(frozen=True)
class Redaction:
    version: str
    rules: tuple[RedactionRule, ...]

    def __call__(self, text: str) -> str:
        for rule in self.rules:
            text = rule.apply(text)
        return text


def _list_pattern(phrases: Sequence[str]) -> str:
    ordered = sorted({str(p) for p in phrases}, key=lambda p: (-len(p), p))
    return "|".join(r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in ordered)


def _phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(_POSSESSIVE.sub("", w).lower() for w in phrase.split())


def parse_redaction(data: Mapping, word_lists: Mapping[str, Sequence[str]] | None = None) -> Redaction:
    """Compile the rules of redaction.toml. ``word_lists`` are further lists (names.toml) usable by every
    rule like the file's own ``[lists]``. ValueError names a rule that does not compile or names an
    unknown list."""
    raw_lists: dict[str, list[str]] = {name: [str(v) for v in values] for name, values in (word_lists or {}).items()
                                       if isinstance(values, list)}
    raw_lists |= {name: [str(v) for v in values] for name, values in data.get("lists", {}).items()}
    ambiguous = {_phrase_key(p) for p in raw_lists.get("ambiguous", ())}
    fragments = {name: str(fragment) for name, fragment in data.get("fragments", {}).items()}
    substitutions = fragments | {name: _list_pattern(values) for name, values in raw_lists.items()}
    rules = []
    for raw in data.get("rule", ()):
        name, kind = str(raw.get("name")), str(raw.get("kind", "regex"))
        common = dict(name=name, replacement=str(raw["replacement"]), removed=tuple(raw.get("removed", ())),
                      secret=tuple(raw.get("secret", ())), kept=tuple(raw.get("kept", ())), kind=kind)
        if kind == "words":
            phrases: set[tuple[str, ...]] = set()
            for list_name in raw.get("lists", ()):
                if list_name not in raw_lists:
                    raise ValueError(f"redaction rule {name}: unknown list {list_name!r}")
                phrases |= {_phrase_key(p) for p in raw_lists[list_name]}
            phrases = phrases & ambiguous if raw.get("ambiguous_only") else phrases - ambiguous
            capitalised = str(raw.get("case", "any")) == "capitalised" or bool(raw.get("ambiguous_only"))
            rules.append(RedactionRule(pattern=None, phrases=frozenset(phrases), capitalised=capitalised,
                                       longest=max((len(p) for p in phrases), default=1), **common))
            continue
        if kind == "unknown_capitalised":
            known: set[tuple[str, ...]] = set()
            for list_name in raw.get("lists", ()):
                if list_name not in raw_lists:
                    raise ValueError(f"redaction rule {name}: unknown list {list_name!r}")
                known |= {(word,) for phrase in raw_lists[list_name] for word in _phrase_key(phrase)}
            beside: set[str] = set()
            for list_name, top in dict(raw.get("kept_beside_name", {})).items():
                if list_name not in raw_lists:
                    raise ValueError(f"redaction rule {name}: unknown list {list_name!r}")
                words = raw_lists[list_name] if top == "all" else raw_lists[list_name][:int(top)]
                beside |= {word for phrase in words for word in _phrase_key(phrase)}
            rules.append(RedactionRule(pattern=None, phrases=frozenset(known), kept_beside_name=frozenset(beside),
                                       **common))
            continue
        if kind == "phonenumbers":
            rules.append(RedactionRule(pattern=None, region=str(raw.get("region", "GB")), **common))
            continue
        if kind != "regex":
            raise ValueError(f"redaction rule {name}: unknown kind {kind!r}")
        source = str(raw["pattern"])
        for list_name, alternatives in substitutions.items():
            source = source.replace(f"<<{list_name}>>", alternatives)
        if "<<" in source:
            raise ValueError(f"redaction rule {name}: unknown list in {raw['pattern']!r}")
        flags = re.IGNORECASE if "i" in str(raw.get("flags", "")) else 0
        try:
            pattern = re.compile(source, flags)
        except re.error as error:
            raise ValueError(f"redaction rule {name}: {error}") from error
        rules.append(RedactionRule(pattern=pattern, **common))
    return Redaction(str(data.get("version", "")), tuple(rules))
