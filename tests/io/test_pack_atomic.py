"""Packs are written atomically and privately (issue 10): a killed export (real ``kill -9``) never leaves a
folder with a manifest that does not describe its files; re-export replaces a pack whole; 0o700/0o600."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stopsearch_app.io.review_pack import MANIFEST, PackError, read_pack, write_pack
from tests.io.test_review_pack import awkward_content

WRITER = """
import sys
import pandas as pd
from stopsearch_app.io.review_pack import PackContent, write_pack
rows = int(sys.argv[2])
frame = pd.DataFrame({"record_id": [f"rec-{i}" for i in range(rows)], "force": "metropolitan",
                      "grounds_text": [f"Run {sys.argv[3]}: seen with Tyrone Smith on Coldharbour Lane {i}"
                                       for i in range(rows)],
                      "L1": "pass"})
content = PackContent(records=frame, rule_order=["L1"], manifest={"run": sys.argv[3]})
print("writing", flush=True)
write_pack(sys.argv[1], content, redacted=sys.argv[4] == "1")
print("done", flush=True)
"""


def _complete(folder: Path) -> None:
    pack = read_pack(folder)  # raises when a file is missing or differs from its hash
    listed = {item["name"] for item in pack.manifest["files"]} | {MANIFEST}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert present == listed, present ^ listed


def _consistent(target: Path) -> None:
    """Every folder with a manifest (the target, or a hidden leftover of a kill) is a complete pack: each
    file its manifest lists, hashes equal, nothing more. A half-written folder never has a manifest."""
    if target.exists():
        _complete(target)
    for leftover in target.parent.glob(f".{target.name}.*"):
        if (leftover / MANIFEST).exists():
            _complete(leftover)  # the previous pack, killed in the instant after the swap


def test_kill_9_during_export_and_re_export_never_leaves_a_stale_manifest(tmp_path):
    target = tmp_path / "pack"
    rng = random.Random(10)
    outcomes = {"killed": 0, "finished": 0}
    for run in range(12):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(target), "4000", str(run), str(run % 2)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=Path(__file__).parents[2])
        assert process.stdout.readline().startswith("writing"), process.stderr.read()
        time.sleep(rng.uniform(0.0, 0.8))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        outcomes["finished" if process.returncode == 0 else "killed"] += 1
        _consistent(target)
        if target.exists():
            assert read_pack(target).manifest["run"] in {str(r) for r in range(run + 1)}
    assert outcomes["killed"] >= 6, outcomes  # the kills really landed mid-write
    # the next export cleans up what the killed ones left and replaces the pack whole
    write_pack(target, awkward_content())
    _consistent(target)
    assert not list(tmp_path.glob(".pack.*"))


def test_re_export_replaces_the_old_pack_whole(tmp_path):
    target = tmp_path / "pack"
    write_pack(target, awkward_content(), redacted=False)
    (target / "stray.txt").write_text("left by hand")
    write_pack(target, awkward_content())
    assert not (target / "stray.txt").exists()
    assert read_pack(target).redacted


def test_a_pack_is_readable_by_the_user_only(tmp_path):
    target = tmp_path / "pack"
    write_pack(target, awkward_content())
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    for path in target.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_a_pack_never_replaces_a_folder_that_is_not_a_pack(tmp_path):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.docx").write_text("precious")
    with pytest.raises(PackError, match="not a review pack"):
        write_pack(documents, awkward_content())
    assert (documents / "thesis.docx").read_text() == "precious"
    assert not list(tmp_path.glob(".documents.*"))


def test_a_failing_write_leaves_the_old_pack_and_no_temporary_folder(tmp_path, monkeypatch):
    target = tmp_path / "pack"
    write_pack(target, awkward_content(), redacted=False)
    before = (target / MANIFEST).read_bytes()
    from stopsearch_app.io import review_pack

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(review_pack, "summary_table", broken)
    with pytest.raises(OSError, match="disk full"):
        write_pack(target, awkward_content())
    assert (target / MANIFEST).read_bytes() == before
    _consistent(target)
    assert not list(tmp_path.glob(".pack.*"))


def test_redacted_record_ids_are_per_pack_pseudonyms(tmp_path):
    content = awkward_content()
    first = write_pack(tmp_path / "a", content)
    second = write_pack(tmp_path / "b", content)
    a, b = read_pack(first.path), read_pack(second.path)
    real = set(content.records["record_id"])
    assert not set(a.records["record_id"]) & real and not set(a.findings["record_id"]) & real
    assert set(a.findings["record_id"]) <= set(a.records["record_id"])
    assert not set(a.records["record_id"]) & set(b.records["record_id"])  # a fresh key per pack
    text = "".join(p.read_text(encoding="utf-8-sig") for p in first.path.iterdir() if p.is_file())
    assert not any(r in text for r in real if len(r) > 5)
    assert "key" not in a.manifest.get("redaction", {})
