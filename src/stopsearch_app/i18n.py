"""One function for every user-visible string. Only English ships; gettext catalogues can follow."""

import gettext
from pathlib import Path

_translation = gettext.translation("stopsearch", localedir=str(Path(__file__).parent / "locale"), fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)
