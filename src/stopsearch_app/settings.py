"""User settings: a small versioned JSON file in the user's config folder.

``schema_version`` rises with every change of shape; ``_migrate`` upgrades older files in place so a
user's settings survive upgrades (napari's pattern).
"""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from platformdirs import user_config_dir

SCHEMA_VERSION = 2
APP_NAME = "stopsearch-app"


def default_user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - some platforms have no login name
        return ""


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    user_name: str = ""  # confirmed by the user at first start; recorded on every finding and import
    user_confirmed: bool = False
    database_url: str = ""  # empty: the default SQLite file in the user's data folder
    last_import_folder: str = ""
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    recent_mapping_profiles: list[str] = field(default_factory=list)
    # Departures from the shipped charter rule set, applied to every check run from the app:
    # {"enabled": {rule: bool}, "promote_to_law": {rule: bool}, "params": {rule: {name: value}}}
    rule_settings: dict = field(default_factory=dict)

    @classmethod
    def path(cls) -> Path:
        return Path(user_config_dir(APP_NAME, appauthor=False)) / "settings.json"

    # Set by load() when the file was corrupt and kept aside: the app and CLI can tell the user.
    load_notice: ClassVar[str] = ""

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The settings of ``path``. A corrupt file (not JSON, not an object, a value of the wrong type)
        is renamed ``settings.corrupt-<timestamp>.json`` beside itself, never silently overwritten by the
        next save; its readable values of the right type are still used."""
        path = Path(path) if path else cls.path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(user_name=default_user_name())
        except (OSError, ValueError) as error:
            return cls._kept_aside(path, {}, f"cannot be read: {error}")
        try:
            data = json.loads(text)
        except ValueError as error:
            return cls._kept_aside(path, {}, f"not valid JSON, line {getattr(error, 'lineno', '?')}")
        if not isinstance(data, dict):
            return cls._kept_aside(path, {}, "not a JSON object")
        data = _migrate(data)
        defaults = asdict(cls())
        good = {key: value for key, value in data.items()
                if key in defaults and isinstance(value, type(defaults[key]))
                and not (isinstance(value, bool) and not isinstance(defaults[key], bool))}
        wrong = sorted(key for key in data if key in defaults and key not in good)
        if wrong:
            return cls._kept_aside(path, good, f"wrong type of value: {', '.join(wrong)}")
        return cls(**good)

    @classmethod
    def _kept_aside(cls, path: Path, good: dict, why: str) -> Settings:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        aside = path.with_name(f"{path.stem}.corrupt-{stamp}{path.suffix}")
        try:
            path.replace(aside)
            where = f"kept as {aside}"
        except OSError:
            where = "left where it is"
        settings = cls(**{"user_name": default_user_name(), **good})
        settings.load_notice = f"settings file {path} was corrupt ({why}): {where}; defaults used"
        return settings

    def save(self, path: Path | None = None) -> None:
        path = Path(path) if path else self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        temporary.replace(path)  # atomic: a crash never leaves half a settings file


def _migrate(data: dict) -> dict:
    version = int(data.get("schema_version", 0))
    if version < 1:
        data.setdefault("user_name", default_user_name())
        data.setdefault("user_confirmed", False)
    if version < 2:
        data.setdefault("rule_settings", {})
    data["schema_version"] = SCHEMA_VERSION
    return data
