"""The six verdicts every charter rule gives every record (shared/spec/charter-rules.md, "Verdicts").

The integer codes are a storage interface (int8 columns, the packed per-record string): never
renumber them. ``0`` is reserved for "rule not run" in packed storage and is not a verdict.

Each verdict has a spec key (``"pass"`` ...), a label, a colour from the Okabe-Ito palette (safe for
the common forms of colour blindness) and a text glyph, so the UI never relies on colour alone.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Verdict(IntEnum):
    PASS = 1
    FAIL = 2
    REVIEW = 3
    NOT_RECORDED = 4
    NOT_ASSESSABLE = 5
    NOT_APPLICABLE = 6

    @property
    def key(self) -> str:
        """The spec's string value: ``pass``, ``fail``, ``review``, ``not_recorded``, ..."""
        return self.name.lower()

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def colour(self) -> str:
        """Background colour (hex) for a cell or chart segment showing this verdict."""
        return _COLOURS[self]

    @property
    def text_colour(self) -> str:
        """Foreground colour readable on :attr:`colour` (contrast >= 4.5:1)."""
        return _TEXT_COLOURS[self]

    @property
    def glyph(self) -> str:
        """A text mark shown next to the colour, so the verdict reads without colour."""
        return _GLYPHS[self]

    @property
    def char(self) -> str:
        """The one ASCII character used for this verdict in the packed per-record string."""
        return _CHARS[self]

    @property
    def counts_as_finding(self) -> bool:
        """True for fail and review: the verdicts a supervisor has to act on."""
        return self in (Verdict.FAIL, Verdict.REVIEW)

    @classmethod
    def from_key(cls, key: str) -> Verdict:
        try:
            return cls[key.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown verdict {key!r}; expected one of {', '.join(VERDICT_KEYS)}") from None

    def __str__(self) -> str:
        return self.key


_LABELS = {
    Verdict.PASS: "Pass",
    Verdict.FAIL: "Fail",
    Verdict.REVIEW: "Review",
    Verdict.NOT_RECORDED: "Not recorded",
    Verdict.NOT_ASSESSABLE: "Not assessable",
    Verdict.NOT_APPLICABLE: "Not applicable",
}
# Okabe-Ito: bluish green, vermillion, orange, reddish purple; greys for "nothing to judge".
_COLOURS = {
    Verdict.PASS: "#009E73",
    Verdict.FAIL: "#D55E00",
    Verdict.REVIEW: "#E69F00",
    Verdict.NOT_RECORDED: "#CC79A7",
    Verdict.NOT_ASSESSABLE: "#BBBBBB",
    Verdict.NOT_APPLICABLE: "#E8E8E8",
}
_TEXT_COLOURS = {
    Verdict.PASS: "#000000",
    Verdict.FAIL: "#000000",
    Verdict.REVIEW: "#000000",
    Verdict.NOT_RECORDED: "#000000",
    Verdict.NOT_ASSESSABLE: "#000000",
    Verdict.NOT_APPLICABLE: "#333333",
}
_GLYPHS = {
    Verdict.PASS: "\u2713",  # check mark
    Verdict.FAIL: "\u2717",  # ballot x
    Verdict.REVIEW: "?",
    Verdict.NOT_RECORDED: "\u2205",  # empty set: the field is blank
    Verdict.NOT_ASSESSABLE: "\u2298",  # circled slash: the source has no such field
    Verdict.NOT_APPLICABLE: "\u2013",  # en dash
}
# Packed storage characters: mnemonic, ASCII, and none of them is the "not run" marker.
_CHARS = {
    Verdict.PASS: "P",
    Verdict.FAIL: "F",
    Verdict.REVIEW: "R",
    Verdict.NOT_RECORDED: "M",  # missing
    Verdict.NOT_ASSESSABLE: "X",
    Verdict.NOT_APPLICABLE: ".",
}

VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
VERDICT_KEYS: tuple[str, ...] = tuple(v.key for v in Verdict)
NOT_RUN_CODE = 0
NOT_RUN_CHAR = "-"

# Lookup tables for vectorised conversion between int8 codes and packed characters.
CODE_TO_CHAR = np.full(len(Verdict) + 1, ord(NOT_RUN_CHAR), dtype=np.uint8)
for _verdict in Verdict:
    CODE_TO_CHAR[int(_verdict)] = ord(_verdict.char)
CHAR_TO_CODE = np.full(256, -1, dtype=np.int8)
CHAR_TO_CODE[ord(NOT_RUN_CHAR)] = NOT_RUN_CODE
for _verdict in Verdict:
    CHAR_TO_CODE[ord(_verdict.char)] = int(_verdict)
del _verdict
