"""The installer definition and its notice carry what the licences ask for (the bundle itself is
built and run by `make package-smoke`, in CI)."""

from __future__ import annotations

import re
from pathlib import Path

from stopsearch_app.resources import load_toml

PACKAGING = Path(__file__).resolve().parent.parent / "packaging"


def test_the_installer_notice_has_every_attribution_of_the_about_box():
    notice = (PACKAGING / "NOTICE.txt").read_text(encoding="utf-8")
    for item in load_toml("about", "notices.toml")["data"]:
        for sentence in re.split(r"(?<=\.) ", item["attribution"].replace("©", "(c)")):
            assert sentence in notice, sentence


def test_the_inno_setup_definition_names_files_that_exist():
    script = (PACKAGING / "stopsearch.iss").read_text(encoding="utf-8")
    for name in ("SetupIconFile=stopsearch.ico", "LicenseFile=NOTICE.txt", "{group}\\{#AppName}",
                 "stopsearch-app.exe"):
        assert name in script
    for local in re.findall(r'^Source: "([^"*]+)"', script, flags=re.MULTILINE):
        assert (PACKAGING / local).is_file(), local
    assert (PACKAGING / "stopsearch.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
