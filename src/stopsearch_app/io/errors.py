"""Errors an importer raises for a whole file: the file is refused and nothing is written."""


class ImportRefused(ValueError):
    """The file cannot be imported at all (not a stop-and-search file, empty, binary, truncated...)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class ImportCancelled(RuntimeError):
    """The user cancelled; the file's transaction was rolled back."""
