"""Build resources/review/common_english.txt: the commonest English words, which the redaction rule
``unknown_capitalised`` (resources/review/redaction.toml) treats as ordinary words; any other
capitalised word in free text is removed as a possible name.

    python -m venv /tmp/wordfreq && /tmp/wordfreq/bin/pip install wordfreq==3.1.1
    /tmp/wordfreq/bin/python tools/build_common_english.py

wordfreq (Robyn Speer, https://github.com/rspeer/wordfreq) is not a dependency of the app: its 57 MB
wheel would ship for one list. Its data is CC BY-SA 4.0, so the list it gives carries that licence
and the attribution in the file's header. Listed given names and surnames (names.toml) are left out
of the list, so that a name never passes as an ordinary word.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import wordfreq

TOP = 30_000
RESOURCES = Path(__file__).resolve().parents[1] / "resources" / "review"
WORD = re.compile(r"^[a-z]+(?:'[a-z]+)?$")

HEADER = f"""\
# The {TOP:,} commonest English words, from wordfreq {version("wordfreq")} (Robyn Speer and contributors,
# https://github.com/rspeer/wordfreq; data CC BY-SA 4.0, https://creativecommons.org/licenses/by-sa/4.0/;
# this list is shared under the same licence), commonest first. Letters and one apostrophe only; the given names and
# surnames of names.toml left out. Built by tools/build_common_english.py; read by the redaction rule
# unknown_capitalised (redaction.toml): a capitalised word not in this list, nor in the rule's own
# lists, is removed as a possible name. Bump redaction.toml's version when this file changes.
"""


def main() -> None:
    names = tomllib.loads((RESOURCES / "names.toml").read_text(encoding="utf-8"))
    listed = {word.casefold() for key in ("given_names", "surnames") for word in names[key]}
    words = [w for w in wordfreq.top_n_list("en", TOP, wordlist="large") if WORD.match(w) and w not in listed]
    text = HEADER + "\n".join(dict.fromkeys(words)) + "\n"
    (RESOURCES / "common_english.txt").write_text(text, encoding="utf-8")
    print(f"{len(dict.fromkeys(words)):,} words written")


if __name__ == "__main__":
    main()
