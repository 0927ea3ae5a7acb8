"""Generated hostile input files, by class (issue 10). Each generator writes files into a folder and
yields ``(class, path)``; tests/io/test_hostile_files.py imports every one."""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

from stopsearch_app.resources import resource_path

POLICEUK = resource_path("data", "policeuk")
SMALL_CSV = POLICEUK / "Taimur-Shabbir_SaS-Data-Cleaning__2019-12-leicestershire-stop-and-search.csv"
SMALL_JSON = POLICEUK / "angrybat_PoliceStopAndSearch__stop_and_searches_with_location.json"
WRONG_VALUES = ([1, 2], {"a": 1}, 3.5, -1, True, None, "", "x" * 5000, [], {}, [[[]]], "=1+1-2", "\u0000",
                1e308, 10**30)


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def line_endings(folder: Path) -> Iterator[tuple[str, Path]]:
    text = SMALL_CSV.read_bytes().replace(b"\r\n", b"\n")
    yield "cr_only", _write(folder, "2019-12-leicestershire-stop-and-search.csv", text.replace(b"\n", b"\r"))
    yield "crlf", _write(folder, "crlf-2019-12-leicestershire-stop-and-search.csv", text.replace(b"\n", b"\r\n"))
    yield "mixed_endings", _write(folder, "mixed-2019-12-leicestershire-stop-and-search.csv",
                                  text.replace(b"\n", b"\r", 20))


def deep_json(folder: Path) -> Iterator[tuple[str, Path]]:
    for depth in (65, 1000, 100_000):
        yield "json_deep", _write(folder, f"deep-list-{depth}.json", "[" * depth + "]" * depth)
        yield "json_deep", _write(folder, f"deep-object-{depth}.json", '{"a":' * depth + "1" + "}" * depth)
    yield "json_deep", _write(folder, "deep-unclosed.json", "[" * 5000)
    yield "json_deep", _write(folder, "deep-in-a-record.json",
                              '[{"location": ' + '{"x":' * 1200 + "1" + "}" * 1200 + "}]")


def junk_xlsx(folder: Path, rng: random.Random) -> Iterator[tuple[str, Path]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<not xml")
        archive.writestr("xl/workbook.xml", bytes(rng.randrange(256) for _ in range(2000)))
    yield "xlsx_junk", _write(folder, "junk.xlsx", buffer.getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", b"just a zip")
    yield "xlsx_junk", _write(folder, "plain-zip.xlsx", buffer.getvalue())
    yield "xlsx_junk", _write(folder, "random.xlsx", bytes(rng.randrange(256) for _ in range(5000)))
    yield "xlsx_junk", _write(folder, "truncated.xlsx", buffer.getvalue()[:40])
    yield "xlsx_junk", _write(folder, "empty.xlsx", b"")


def wrong_json_types(folder: Path) -> Iterator[tuple[str, Path]]:
    records = json.loads(SMALL_JSON.read_text())[:5]
    keys = sorted({key for record in records for key in record})
    count = 0
    for key in keys:
        for value in WRONG_VALUES:
            mutated = [dict(r) for r in records]
            mutated[0][key] = value
            count += 1
            yield "json_wrong_types", _write(folder, f"wrong-{count}.json", json.dumps(mutated))
    for sub in ("latitude", "longitude", "street"):
        for value in WRONG_VALUES:
            mutated = [dict(r) for r in records]
            mutated[0]["location"] = {"latitude": "52.6", "longitude": "-1.2", "street": {"id": 1, "name": "x"},
                                      sub: value}
            count += 1
            yield "json_location_types", _write(folder, f"location-{count}.json", json.dumps(mutated))
    for document in ({"a": 1}, 5, "text", None, [1, 2, 3], [None], [[]], [{}], {"data": records}, [records]):
        count += 1
        yield "json_wrong_shape", _write(folder, f"shape-{count}.json", json.dumps(document))


def wide_and_long(folder: Path) -> Iterator[tuple[str, Path]]:
    header = ",".join(f"c{i}" for i in range(100_000))
    yield "wide", _write(folder, "wide-100000.csv", header + "\n" + ",".join("1" for _ in range(100_000)) + "\n")
    yield "wide", _write(folder, "wide-semicolons.csv", ";".join(f"c{i}" for i in range(50_000)) + "\n")
    yield "long_line", _write(folder, "no-newline.csv", "Type," + "x" * 3_000_000)
    text = SMALL_CSV.read_text()
    head, body = text.split("\n", 1)
    yield "long_cell", _write(folder, "long-cell.csv", head + "\n" + "Person search," + "y" * 2_000_000 + "\n" + body)


def zips(folder: Path, rng: random.Random) -> Iterator[tuple[str, Path]]:
    path = folder / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("2019-12-leicestershire-stop-and-search.csv", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(64):  # 64 MiB of zeros: ~1000:1
                member.write(chunk)
    yield "zip_bomb_ratio", path
    path = folder / "nested.zip"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("x.csv", SMALL_CSV.read_bytes())
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.zip", inner.getvalue())
        archive.writestr("../../escape.csv", SMALL_CSV.read_bytes())
    yield "zip_odd_members", path
    yield "zip_junk", _write(folder, "junk.zip", bytes(rng.randrange(256) for _ in range(3000)))
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2019-12-leicestershire-stop-and-search.csv", SMALL_CSV.read_bytes())
    data = good.getvalue()
    for cut in (30, len(data) // 2, len(data) - 10):
        yield "zip_truncated", _write(folder, f"truncated-{cut}.zip", data[:cut])
    corrupted = bytearray(data)
    for position in rng.sample(range(40, len(data) - 100), 20):
        corrupted[position] ^= 0xFF
    yield "zip_corrupted", _write(folder, "corrupted.zip", bytes(corrupted))


def special_files(folder: Path) -> Iterator[tuple[str, Path]]:
    link = folder / "zero.csv"
    os.symlink("/dev/zero", link)
    yield "symlink_dev_zero", link
    link = folder / "null.csv"
    os.symlink("/dev/null", link)
    yield "symlink_dev_null", link
    link = folder / "urandom.json"
    os.symlink("/dev/urandom", link)
    yield "symlink_dev_urandom", link
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)
    yield "fifo", fifo
    dangling = folder / "dangling.csv"
    os.symlink(folder / "does-not-exist", dangling)
    yield "dangling_symlink", dangling
    zero_zip = folder / "zero.zip"
    os.symlink("/dev/zero", zero_zip)
    yield "symlink_dev_zero_zip", zero_zip


def junk_text(folder: Path, rng: random.Random) -> Iterator[tuple[str, Path]]:
    csv_text = SMALL_CSV.read_bytes()
    samples = {
        "empty.csv": b"", "bom.csv": b"\xef\xbb\xbf", "header-only.csv": csv_text.split(b"\n", 1)[0] + b"\n",
        "nul.csv": b"\0" * 10_000, "binary.csv": bytes(rng.randrange(256) for _ in range(20_000)),
        "latin1.csv": csv_text.replace(b"Person", "Pérson".encode("latin-1")),
        "utf16.csv": csv_text.decode("utf-8", errors="replace").encode("utf-16"),
        "quote.csv": csv_text[:300] + b'"' + csv_text[300:],
        "only-newlines.csv": b"\n" * 10_000, "only-commas.csv": b"," * 1000 + b"\n" + b"," * 1000,
        "empty.json": b"", "null.json": b"null", "nan.json": b"[NaN, Infinity]",
        "garbage.json": b"[{\"a\": }]", "bom.json": b"\xef\xbb\xbf" + SMALL_JSON.read_bytes(),
        "truncated.json": SMALL_JSON.read_bytes()[: len(SMALL_JSON.read_bytes()) // 2],
    }
    for name, data in samples.items():
        yield "junk_text", _write(folder, name, data)


def mutations(folder: Path, rng: random.Random, count: int) -> Iterator[tuple[str, Path]]:
    """A seeded mutation loop over real police.uk files: flips, deletions, insertions of awkward bytes,
    truncations and duplicated slices."""
    sources = [SMALL_CSV, POLICEUK / "Taimur-Shabbir_SaS-Data-Cleaning__2019-12-durham-stop-and-search.csv",
               POLICEUK / "angrybat_PoliceStopAndSearch__stop_and_searches_without_location.json"]
    awkward = [b"\0", b"\r", b"\n", b'"', b",", b";", b"\t", b"{", b"[", b"]", b"}", b"\xff", b"\xc3", b"=",
               b"\xef\xbb\xbf", b"-1", b"1e999", b"NaN", b"null"]
    originals = [(path, path.read_bytes()) for path in sources]
    for index in range(count):
        path, original = rng.choice(originals)
        data = bytearray(original)
        for _ in range(rng.randint(1, 12)):
            action = rng.randrange(5)
            at = rng.randrange(len(data) or 1)
            if action == 0 and data:
                data[at] = rng.randrange(256)
            elif action == 1:
                del data[at:at + rng.randint(1, 200)]
            elif action == 2:
                data[at:at] = rng.choice(awkward) * rng.randint(1, 30)
            elif action == 3:
                del data[rng.randint(0, len(data)):]
            else:
                start = rng.randrange(len(data) or 1)
                data[at:at] = data[start:start + rng.randint(1, 2000)]
        yield f"mutated_{path.suffix.lstrip('.')}", _write(folder, f"mutated-{index}-{path.name}", bytes(data))


def every_class(folder: Path, seed: int = 10, mutated: int = 200) -> Iterator[tuple[str, Path]]:
    rng = random.Random(seed)
    for generator in (line_endings(folder), deep_json(folder), junk_xlsx(folder, rng), wrong_json_types(folder),
                      wide_and_long(folder), zips(folder, rng), special_files(folder), junk_text(folder, rng),
                      mutations(folder, rng, mutated)):
        yield from generator
