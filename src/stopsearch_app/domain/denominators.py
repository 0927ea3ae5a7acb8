"""Population denominators for disproportionality rates (shared/spec/statistics.md, "Denominators" and
"Rates"; background in shared/reference/domain.md section 8).

A :class:`DenominatorTable` answers one question: how many residents of each ethnic group live in an
area, in an age band. The rates in :mod:`stopsearch_app.domain.statistics` divide search counts by
these numbers. The shipped table is Census 2021 usual residents for London by single year of age and
ethnic group (``resources/census/census2021_la_age_ethnicity.csv``, built by
``tools/build_census_denominators.py``); a user can load another.

Areas
    ``"london"`` is the Met's area. With the shipped table it is the London region row (E12000007),
    all of London *including* the City of London: the Census table merges the City with Westminster,
    so the City cannot be taken out (the Home Office's 41.7 per 1,000 uses the same whole-London
    denominator). A table that has the City and Westminster as separate rows gives London *less* the
    City (pass ``exclude_city_of_london=False`` to keep it). A user table needs a London row (code
    E12000007 or name "London") or borough codes (E09...) to serve ``"london"``. Anything else is a borough, matched by
    name (case-insensitive, ``&`` = ``and``) or by code; ``Westminster`` and ``City of London`` both
    resolve to the shipped table's merged row, and the selection's ``note`` says so.

Age bands (the CLI's ``--age``)
    ``all`` (all ages), ``child`` (0-17), ``under-10`` (0-9), ``10-17``, ``adult`` (18 and over).

Classification
    Every table records its ethnic-group classification: ``ons-5-group`` (White, Black, Asian, Mixed,
    Other) or ``ons-19-group`` (the ONS detailed categories). Asking for populations in a
    classification the table does not have, or using a table whose classification is not one of
    these, raises :class:`DenominatorMismatch`: the app never computes a rate across schemes.

User denominator files
    A UTF-8 CSV with a header row and these columns (any order, extra columns ignored):

    ``area`` (required)
        area name, e.g. ``Lambeth`` or ``London``;
    ``age`` (required)
        a single year (``12``), an inclusive range (``10-17``) or an open top band (``90+``,
        ``100 or over``). Rows may be of any width, but a band can only be served when rows tile it
        exactly (a ``15-19`` row cannot serve ``10-17``; such a request raises
        :class:`DenominatorUnavailable`);
    ``group`` (required)
        ethnic group in the table's classification (for ``ons-5-group`` one of White, Black, Asian,
        Mixed, Other, any case);
    ``population`` (required)
        a whole number >= 0, or ``c`` for a suppressed cell (counted as 0 and reported);
    ``area_code`` (optional)
        ONS code (``E09000022``); enables the London rules above (region ``E12000007``, boroughs
        ``E09...``, the City ``E09000001``, Westminster ``E09000033``);
    ``suppressed`` (optional)
        ``1``/``0``, ``true``/``false`` or ``yes``/``no``: the cell was suppressed in the source.

    The shipped file's own column names (``geography_code``, ``geography_name``, ``ethnic_group_5``)
    are accepted as aliases of ``area_code``, ``area`` and ``group``.

    Metadata, required: ``source``, ``year``, ``geography``, ``classification``; optional:
    ``source_table``, ``licence``, ``suppressed_cells`` (checked against the data), ``[london]``
    ``area_code``/``note``, ``[area_aliases]`` (alias = area code or name) and ``[area_notes]`` (area
    code or name = note). Give it either in a TOML sidecar next to the CSV (``mytable.meta.toml`` for
    ``mytable.csv``, the shipped table's format), or as comment lines before the CSV header::

        # source = GLA visitor-adjusted population estimates
        # year = 2023
        # geography = London boroughs
        # classification = ons-5-group
        area,age,group,population
        Lambeth,10-17,Black,9120

    Comment fields override the sidecar's. Malformed files raise :class:`DenominatorFormatError`
    (a ``ValueError``) naming the line and column.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType

from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.selection import AgeBand
from stopsearch_app.resources import resource_path

FIVE_GROUP = "ons-5-group"
NINETEEN_GROUP = "ons-19-group"
KNOWN_CLASSIFICATIONS = (FIVE_GROUP, NINETEEN_GROUP)

SHIPPED_TABLE = ("census", "census2021_la_age_ethnicity.csv")
CITY_TABLE = ("census", "ts022_city_of_london.csv")

LONDON = "london"
LONDON_REGION_CODE = "E12000007"
LONDON_BOROUGH_CODE_PREFIX = "E09"
CITY_OF_LONDON_CODE = "E09000001"
WESTMINSTER_CODE = "E09000033"

# The CLI's --age values: inclusive (first, last) years; last None = no upper limit.
# The one age-band vocabulary (domain/selection.py), as years and labels.
AGE_BANDS: Mapping[str, tuple[int, int | None]] = MappingProxyType({band.value: band.years for band in AgeBand})
AGE_BAND_LABELS: Mapping[str, str] = MappingProxyType({band.value: band.label for band in AgeBand})

REQUIRED_COLUMNS = ("area", "age", "group", "population")
COLUMN_ALIASES = {"geography_name": "area", "geography_code": "area_code", "ethnic_group_5": "group"}
REQUIRED_METADATA = ("source", "year", "geography", "classification")
SUPPRESSED_MARK = "c"
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}
_SINGLE_AGE = re.compile(r"^(\d+)$")
_AGE_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_OPEN_AGE = re.compile(r"^(\d+)\s*(?:\+|or over|and over)$", re.IGNORECASE)
_COMMENT_FIELD = re.compile(r"^#\s*([A-Za-z_][\w.]*)\s*[=:]\s*(.*?)\s*$")


class DenominatorMismatch(ValueError):
    """The table's ethnic-group classification is not the one the rate needs (or is not known)."""


class DenominatorFormatError(ValueError):
    """A denominator CSV or its metadata is malformed; the message names the line and column."""


class DenominatorUnavailable(LookupError):
    """The table has no population for this area or age band; ``reason`` is the short display text."""

    def __init__(self, message: str, reason: str = "no denominator") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class DenominatorMetadata:
    """Where a denominator table comes from; shown beside every rate computed with it."""

    source: str
    year: int
    geography: str
    classification: str
    source_table: str = ""
    licence: str = ""
    stated_suppressed_cells: int | None = None  # what the metadata claims; checked against the data
    london_area_code: str = LONDON_REGION_CODE
    london_note: str = ""
    area_aliases: Mapping[str, str] = field(default_factory=dict)
    area_notes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], origin: str) -> DenominatorMetadata:
        missing = [key for key in REQUIRED_METADATA if not str(data.get(key, "") or "").strip()]
        if missing:
            raise DenominatorFormatError(f"{origin}: metadata is missing {', '.join(missing)}")
        try:
            year = int(str(data["year"]).strip())
        except ValueError:
            raise DenominatorFormatError(f"{origin}: metadata 'year' must be a whole number, "
                                         f"not {data['year']!r}") from None
        stated = data.get("suppressed_cells")
        if stated is not None:
            try:
                stated = int(str(stated).strip())
            except ValueError:
                raise DenominatorFormatError(f"{origin}: metadata 'suppressed_cells' must be a whole "
                                             f"number, not {stated!r}") from None
        london = data.get("london") or {}
        if not isinstance(london, Mapping):
            raise DenominatorFormatError(f"{origin}: metadata 'london' must be a table")
        return cls(
            source=str(data["source"]).strip(),
            year=year,
            geography=str(data["geography"]).strip(),
            classification=str(data["classification"]).strip(),
            source_table=str(data.get("source_table", "") or ""),
            licence=str(data.get("licence", "") or ""),
            stated_suppressed_cells=stated,
            london_area_code=str(london.get("area_code", data.get("london.area_code", LONDON_REGION_CODE))),
            london_note=str(london.get("note", data.get("london.note", ""))),
            area_aliases=dict(_string_table(data.get("area_aliases"), "area_aliases", origin)),
            area_notes=dict(_string_table(data.get("area_notes"), "area_notes", origin)),
        )


@dataclass(frozen=True)
class AgeSpan:
    """Inclusive years of age covered by a row; ``last`` None means "and over"."""

    first: int
    last: int | None

    def within(self, band: AgeSpan) -> bool:
        if self.first < band.first:
            return False
        if band.last is None:
            return True
        return self.last is not None and self.last <= band.last

    def overlaps(self, band: AgeSpan) -> bool:
        below = band.last is not None and self.first > band.last
        above = self.last is not None and self.last < band.first
        return not (below or above)

    def __str__(self) -> str:
        if self.last is None:
            return f"{self.first}+"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True)
class PopulationSelection:
    """The residents of one area and age band, by ethnic group, and how they were obtained."""

    area: str  # as requested
    area_label: str  # e.g. "London" or "City of London and Westminster"
    area_codes: tuple[str, ...]  # the rows summed (a leading "-" marks a row subtracted)
    age_band: str
    classification: str
    populations: Mapping[str, int]  # every group of the classification, in its usual order
    suppressed_cells: int  # source cells in this selection that were suppressed (counted as 0)
    suppressed_by_group: Mapping[str, int]
    note: str | None  # e.g. the City of London caveat; None when there is nothing to say

    @property
    def total(self) -> int:
        return sum(self.populations.values())


@dataclass(frozen=True)
class _Area:
    key: str
    code: str | None
    name: str
    # (age span, group) -> [population, suppressed cell count]
    cells: Mapping[tuple[AgeSpan, str], tuple[int, int]]
    # Single-year cells estimated from another row's age structure (the City of London split):
    # good enough to subtract from London, not to stand alone as an age band's population.
    ages_estimated: bool = False


class DenominatorTable:
    """Residents by area x age x ethnic group, with the metadata that travels with every rate."""

    def __init__(self, metadata: DenominatorMetadata, areas: Iterable[_Area], path: Path | None = None) -> None:
        self.metadata = metadata
        self.path = path
        self._areas: dict[str, _Area] = {area.key: area for area in areas}
        self._index = self._build_name_index()
        # The table never changes once read: a dashboard asks for the same few selections many times.
        self._selections: dict[tuple, PopulationSelection] = {}

    # --- metadata -----------------------------------------------------------------------------
    @property
    def classification(self) -> str:
        return self.metadata.classification

    @property
    def suppressed_cells_total(self) -> int:
        return sum(count for area in self._areas.values() for _, count in area.cells.values())

    def json_label(self) -> dict[str, object]:
        """The ``denominator`` object of ``stopsearch disparity --json``."""
        return {"source": self.metadata.source, "year": self.metadata.year}

    def require_classification(self, classification: str) -> None:
        """Raise :class:`DenominatorMismatch` unless this table can serve ``classification``."""
        if self.classification not in KNOWN_CLASSIFICATIONS:
            raise DenominatorMismatch(
                f"the denominator table ({self.metadata.source}) uses the classification "
                f"{self.classification!r}, which this app does not know; expected one of "
                f"{', '.join(KNOWN_CLASSIFICATIONS)}")
        if classification != self.classification:
            raise DenominatorMismatch(
                f"the denominator table ({self.metadata.source}) is classified {self.classification!r} "
                f"but the rate needs {classification!r}: load a {classification} table")

    def groups(self) -> tuple[str, ...]:
        if self.classification == FIVE_GROUP:
            return ETHNIC_GROUPS
        seen = dict.fromkeys(group for area in self._areas.values() for _, group in area.cells)
        return tuple(seen)

    def area_names(self) -> tuple[str, ...]:
        """Names of the areas in the table, the London row (if any) first, then alphabetical."""
        london = self._areas.get(self.metadata.london_area_code)
        others = sorted(area.name for area in self._areas.values() if area is not london)
        return ((london.name,) if london else ()) + tuple(others)

    # --- queries ------------------------------------------------------------------------------
    def population(self, area: str = LONDON, age_band: str = "all", *,
                   classification: str = FIVE_GROUP, exclude_city_of_london: bool = True) -> dict[str, int]:
        """Residents by ethnic group for ``area`` (``"london"`` or a borough) and ``age_band``."""
        return dict(self.select(area, age_band, classification=classification,
                                exclude_city_of_london=exclude_city_of_london).populations)

    def suppressed_cells(self, area: str = LONDON, age_band: str = "all", *,
                         classification: str = FIVE_GROUP, exclude_city_of_london: bool = True) -> int:
        """How many source cells behind ``population(area, age_band)`` were suppressed (counted as 0)."""
        return self.select(area, age_band, classification=classification,
                           exclude_city_of_london=exclude_city_of_london).suppressed_cells

    def select(self, area: str = LONDON, age_band: str = "all", *, classification: str = FIVE_GROUP,
               exclude_city_of_london: bool = True, allow_estimated_ages: bool = False) -> PopulationSelection:
        """Everything about one denominator: populations, suppressed cells, which rows, and a note.

        The City of London alone has no real age breakdown: an age band for it is refused unless
        ``allow_estimated_ages`` (for a figure where the City is a small part, e.g. all London)."""
        band_name = normalise_age_band(age_band)
        return self.select_years(area, *AGE_BANDS[band_name], classification=classification,
                                 exclude_city_of_london=exclude_city_of_london, band_name=band_name,
                                 allow_estimated_ages=allow_estimated_ages)

    def select_years(self, area: str, first: int, last: int | None, *, classification: str = FIVE_GROUP,
                     exclude_city_of_london: bool = True, band_name: str | None = None,
                     allow_estimated_ages: bool = False) -> PopulationSelection:
        """As :meth:`select` for any inclusive span of years (``last`` None: and over), e.g. the
        records' age ranges 18-24 or 35+ that age standardisation needs."""
        key = (area, first, last, classification, exclude_city_of_london, band_name, allow_estimated_ages)
        if key not in self._selections:
            self._selections[key] = self._select_years(area, first, last, classification=classification,
                                                       exclude_city_of_london=exclude_city_of_london,
                                                       band_name=band_name, allow_estimated_ages=allow_estimated_ages)
        return self._selections[key]

    def _select_years(self, area: str, first: int, last: int | None, *, classification: str,
                      exclude_city_of_london: bool, band_name: str | None,
                      allow_estimated_ages: bool) -> PopulationSelection:
        self.require_classification(classification)
        band = AgeSpan(first, last)
        band_name = band_name or ("all" if (first, last) == (0, None) else str(band))
        added, subtracted, label, note = self._resolve(area, exclude_city_of_london)

        groups = self.groups()
        populations = dict.fromkeys(groups, 0)
        suppressed = dict.fromkeys(groups, 0)
        for row in added:
            if row.ages_estimated and row.code == CITY_OF_LONDON_CODE and band_name != "all" and not allow_estimated_ages:
                raise DenominatorUnavailable(
                    f"no age breakdown exists for the City of London alone (Census 2021 TS022 gives its "
                    f"{sum(c for (_s, _g), (c, _n) in row.cells.items()):,} residents for all ages only), so "
                    f"no {AGE_BAND_LABELS.get(band_name, 'ages ' + band_name)} rate can be computed for it: use all ages",
                    reason="no age breakdown")
        for sign, rows in ((1, added), (-1, subtracted)):
            for row in rows:
                self._check_band_coverage(row, band, band_name)
                for (span, group), (count, cells) in row.cells.items():
                    if span.within(band):
                        populations[group] += sign * count
                        suppressed[group] += cells  # suppressed cells count whichever way they enter
        if subtracted:
            # Perturbed counts can make region-minus-City a few people negative in a tiny cell.
            populations = {group: max(0, count) for group, count in populations.items()}
        if band_name != "all" and any(row.ages_estimated for row in (*added, *subtracted)):
            estimated = ("The City of London's residents by age are estimated from the Census row for the City "
                         "and Westminster together (TS022 gives the City's totals only); the City is "
                         "0.1% of London.")
            note = f"{note.rstrip('.')}. {estimated}" if note else estimated
        codes = tuple(row.code or row.name for row in added) + tuple(f"-{row.code or row.name}" for row in subtracted)
        return PopulationSelection(
            area=area, area_label=label, area_codes=codes, age_band=band_name,
            classification=self.classification,
            populations=MappingProxyType(populations),
            suppressed_cells=sum(suppressed.values()),
            suppressed_by_group=MappingProxyType(suppressed),
            note=note or None,
        )

    # --- area resolution ----------------------------------------------------------------------
    def _build_name_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for area in self._areas.values():
            index[_normalise_name(area.name)] = area.key
            if area.code:
                index[_normalise_name(area.code)] = area.key
        for alias, target in self.metadata.area_aliases.items():
            target_key = index.get(_normalise_name(target))
            # An alias never hides a real row (a table with a separate Westminster keeps it).
            if target_key is not None and _normalise_name(alias) not in index:
                index[_normalise_name(alias)] = target_key
        return index

    def _lookup(self, name: str) -> _Area | None:
        key = self._index.get(_normalise_name(name))
        return self._areas.get(key) if key is not None else None

    def _note_for(self, area: _Area) -> str:
        notes = self.metadata.area_notes
        return notes.get(area.code or "", "") or notes.get(area.name, "")

    def _resolve(self, requested: str, exclude_city: bool) -> tuple[list[_Area], list[_Area], str, str]:
        if _normalise_name(requested) != LONDON:
            area = self._lookup(requested)
            if area is None:
                raise DenominatorUnavailable(
                    f"no area {requested!r} in the denominator table ({self.metadata.source}); "
                    f"known areas: {', '.join(self.area_names())}")
            note = self._note_for(area)
            asked_for_alias = _normalise_name(requested) not in {_normalise_name(area.name),
                                                                 _normalise_name(area.code or "")}
            if asked_for_alias and not note:
                note = f"{requested} is part of {area.name} in this table"
            return [area], [], area.name, note

        region = self._areas.get(self.metadata.london_area_code) or self._lookup("London")
        boroughs = [a for a in self._areas.values() if (a.code or "").startswith(LONDON_BOROUGH_CODE_PREFIX)]
        city = self._lookup(CITY_OF_LONDON_CODE) or self._lookup("City of London")
        westminster = self._lookup(WESTMINSTER_CODE) or self._lookup("Westminster")
        city_separate = (city is not None and westminster is not None and city is not westminster
                         and _normalise_name(city.name) == "city of london")
        if region is None and not boroughs:
            raise DenominatorUnavailable(
                f"the denominator table ({self.metadata.source}) has no London row "
                f"({LONDON_REGION_CODE}) and no borough codes ({LONDON_BOROUGH_CODE_PREFIX}...)")
        if exclude_city and city_separate:
            note = ("London less the City of London (the Met's area; the City has its own force)")
            if region is not None:
                return [region], [city], "London less the City", note
            return [b for b in boroughs if b is not city], [], "London less the City", note
        if region is not None:
            note = self.metadata.london_note or (
                "all of London, including the City of London"
                + ("" if city_separate else ": this table does not separate the City"))
            return [region], [], region.name, note
        note = (f"sum of {len(boroughs)} borough rows (no London row in the table); suppressed cells "
                "count as 0, so the total is slightly low")
        return boroughs, [], "London", note

    def _check_band_coverage(self, area: _Area, band: AgeSpan, band_name: str) -> None:
        spans = sorted({span for span, _ in area.cells if span.overlaps(band)}, key=lambda s: s.first)
        straddling = [span for span in spans if not span.within(band)]
        if straddling:
            raise DenominatorUnavailable(
                f"{area.name}: age rows {', '.join(map(str, straddling))} straddle the band "
                f"{AGE_BAND_LABELS.get(band_name, band_name)}; this table cannot give that band")
        next_year: int | None = band.first
        for span in spans:
            if next_year is None or span.first > next_year:
                break
            next_year = None if span.last is None else max(next_year, span.last + 1)
        covered = next_year is None or (band.last is not None and next_year > band.last)
        if not covered:
            raise DenominatorUnavailable(
                f"{area.name}: the table has no rows for ages {next_year}"
                f"{'+' if band.last is None else '-' + str(band.last)} of the band "
                f"{AGE_BAND_LABELS.get(band_name, band_name)}")


# --- loading ----------------------------------------------------------------------------------
def normalise_age_band(age_band: str) -> str:
    """The canonical CLI name of an age band (accepts ``under_10``, ``10_17``, any case)."""
    return AgeBand.parse(age_band).value


def parse_age(text: str) -> AgeSpan:
    """``12`` -> 12-12, ``10-17`` -> 10-17, ``90+`` / ``100 or over`` -> open-ended."""
    value = str(text).strip()
    if match := _SINGLE_AGE.match(value):
        return AgeSpan(int(match.group(1)), int(match.group(1)))
    if match := _AGE_RANGE.match(value):
        first, last = int(match.group(1)), int(match.group(2))
        if last < first:
            raise ValueError(f"age range {value!r} runs backwards")
        return AgeSpan(first, last)
    if match := _OPEN_AGE.match(value):
        return AgeSpan(int(match.group(1)), None)
    raise ValueError(f"age {value!r} is not a year, a range like 10-17, or an open band like 90+")


@cache
def shipped_denominator_table() -> DenominatorTable:
    """The Census 2021 London table shipped in ``resources/census`` (read once per process), with
    the City of London and Westminster as rows of their own (:func:`split_city_of_london`)."""
    table = load_denominator_table(resource_path(*SHIPPED_TABLE))
    return split_city_of_london(table, city_of_london_totals())


@cache
def _detailed_rows() -> dict[str, list[tuple[int, str, int]]]:
    """The shipped table's 19-category cells, per area code: (age, category, residents)."""
    rows: dict[str, list[tuple[int, str, int]]] = {}
    with resource_path(*SHIPPED_TABLE).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            age = int(row["age"].split()[0].rstrip("+"))
            rows.setdefault(row["geography_code"], []).append((age, row["ethnic_group_19"], int(row["population"])))
    return rows


def detailed_populations(area_code: str, first: int = 0, last: int | None = None) -> dict[str, int]:
    """Residents of the shipped table's area by the 19 Census categories, ages ``first``..``last``
    (the officer-defined Mixed allocation needs the Mixed components). The City of London is not
    separate here: its rows are part of Westminster's code E09000001."""
    totals: dict[str, int] = {}
    for age, category, count in _detailed_rows().get(area_code, ()):
        if age >= first and (last is None or age <= last):
            totals[category] = totals.get(category, 0) + count
    return totals


def city_of_london_totals() -> dict[str, int]:
    """The City of London's residents by five groups, all ages (Census 2021 TS022, built by
    ``tools/build_city_of_london.py``)."""
    text = resource_path(*CITY_TABLE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return {row["ethnic_group_5"]: int(row["population"]) for row in rows}


def split_city_of_london(table: DenominatorTable, city_totals: Mapping[str, int]) -> DenominatorTable:
    """Split a row that merges the City of London with Westminster into the two (statistics.md,
    "Coverage": the Met's area is London less the City, the City's is the City).

    The City gets its TS022 residents; by single year of age they are shared out in the joint
    row's age structure of each group (largest-remainder rounding, so each group's ages add up to
    its TS022 total exactly). Westminster is the joint row less the City. The City alone is then
    refused for an age band (only its all-ages figures are real), while London less the City and
    Westminster use the estimate, which moves them by at most the City's 8,581 residents.
    """
    merged = table._lookup(CITY_OF_LONDON_CODE)
    if merged is None or _normalise_name(merged.name) != "city of london and westminster":
        return table
    city_cells: dict[tuple[AgeSpan, str], tuple[int, int]] = {}
    westminster_cells: dict[tuple[AgeSpan, str], tuple[int, int]] = {}
    for group in {group for _span, group in merged.cells}:
        spans = sorted((span for span, g in merged.cells if g == group), key=lambda span: span.first)
        joint = [merged.cells[(span, group)][0] for span in spans]
        total = sum(joint)
        city_total = min(int(city_totals.get(group, 0)), total)
        shares = [city_total * count / total if total else 0.0 for count in joint]
        estimate = [int(share) for share in shares]
        short = city_total - sum(estimate)
        for position in sorted(range(len(shares)), key=lambda i: shares[i] - estimate[i], reverse=True)[:short]:
            estimate[position] += 1
        for span, count, city in zip(spans, joint, estimate, strict=True):
            city = min(city, count)
            city_cells[(span, group)] = (city, 0)
            westminster_cells[(span, group)] = (count - city, merged.cells[(span, group)][1])
    areas = [area for area in table._areas.values() if area is not merged]
    areas.append(_Area(CITY_OF_LONDON_CODE, CITY_OF_LONDON_CODE, "City of London",
                       MappingProxyType(city_cells), ages_estimated=True))
    areas.append(_Area(WESTMINSTER_CODE, WESTMINSTER_CODE, "Westminster", MappingProxyType(westminster_cells),
                       ages_estimated=True))
    metadata = replace(
        table.metadata,
        geography=("London: the 33 local authorities (the City of London from Census 2021 TS022, Westminster "
                   "the Census row 'City of London and Westminster' less the City) and the London region E12000007"),
        london_note="",
        area_aliases={"City of Westminster": WESTMINSTER_CODE},
        area_notes={CITY_OF_LONDON_CODE: "City of London residents from Census 2021 TS022 (all ages only).",
                    WESTMINSTER_CODE: ("Westminster: the Census row for the City of London and Westminster less "
                                       "the City's TS022 residents.")})
    return DenominatorTable(metadata, areas, table.path)


def load_denominator_table(path: Path | str | None = None, *,
                           metadata: DenominatorMetadata | Mapping[str, object] | None = None) -> DenominatorTable:
    """Read a denominator CSV (the shipped one when ``path`` is None) and its metadata.

    ``metadata`` overrides the sidecar and comment fields entirely when given.
    """
    if path is None:
        return shipped_denominator_table()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DenominatorFormatError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return parse_denominator_csv(text, origin=str(path), sidecar=_sidecar_path(path), metadata=metadata,
                                 path=path)


def parse_denominator_csv(text: str, *, origin: str = "denominator CSV", sidecar: Path | None = None,
                          metadata: DenominatorMetadata | Mapping[str, object] | None = None,
                          path: Path | None = None) -> DenominatorTable:
    """Parse the CSV text of a denominator table (see the module docstring for the format)."""
    lines = text.splitlines(keepends=True)
    comment_fields: dict[str, str] = {}
    first_data_line = 0
    while first_data_line < len(lines) and (not lines[first_data_line].strip()
                                            or lines[first_data_line].lstrip().startswith("#")):
        if match := _COMMENT_FIELD.match(lines[first_data_line].strip()):
            comment_fields[match.group(1).casefold()] = match.group(2).strip().strip('"')
        first_data_line += 1

    meta = _resolve_metadata(metadata, comment_fields, sidecar, origin)
    body = "".join(lines[first_data_line:])
    reader = csv.reader(io.StringIO(body))
    header = next(reader, None)
    if not header:
        raise DenominatorFormatError(f"{origin}: no header row")
    columns = _column_positions(header, meta.classification, origin, first_data_line + 1)

    validate_five = meta.classification == FIVE_GROUP
    canonical_group = {group.casefold(): group for group in ETHNIC_GROUPS}
    age_cache: dict[str, AgeSpan] = {}
    areas: dict[str, dict] = {}
    seen_at: dict[tuple[str, AgeSpan, str], int] = {}
    rows_read = 0
    for offset, row in enumerate(reader, start=first_data_line + 2):
        if not row or not any(cell.strip() for cell in row):
            continue
        rows_read += 1
        where = f"{origin} line {offset}"
        if len(row) < len(header):
            raise DenominatorFormatError(f"{where}: {len(row)} fields, the header has {len(header)}")
        name = row[columns["area"]].strip()
        if not name:
            raise DenominatorFormatError(f"{where}: column 'area' is blank")
        code = (row[columns["area_code"]].strip() or None) if "area_code" in columns else None

        age_text = row[columns["age"]]
        span = age_cache.get(age_text)
        if span is None:
            try:
                span = age_cache[age_text] = parse_age(age_text)
            except ValueError as error:
                raise DenominatorFormatError(f"{where}: column 'age': {error}") from None

        group = row[columns["group"]].strip()
        if validate_five:
            if group.casefold() not in canonical_group:
                raise DenominatorFormatError(
                    f"{where}: column 'group' has {group!r}, which is not one of the five groups "
                    f"({', '.join(ETHNIC_GROUPS)}) of the table's classification {FIVE_GROUP!r}")
            group = canonical_group[group.casefold()]
        elif not group:
            raise DenominatorFormatError(f"{where}: column 'group' is blank")

        population, suppressed = _parse_population(row[columns["population"]], where)
        if "suppressed" in columns:
            flag = row[columns["suppressed"]].strip().casefold()
            if flag in _TRUE:
                suppressed = True
            elif flag not in _FALSE:
                raise DenominatorFormatError(f"{where}: column 'suppressed' has {flag!r}; use 1/0 or true/false")

        key = code or _normalise_name(name)
        area = areas.setdefault(key, {"code": code, "name": name, "cells": {}, "detail": {}})
        if area["name"] != name:
            raise DenominatorFormatError(f"{where}: area code {code} is named {name!r} here but "
                                         f"{area['name']!r} earlier")
        # The shipped table has 19-group detail under each 5-group; duplicates are only errors at
        # the finest level the file carries.
        detail = row[columns["detail"]].strip() if "detail" in columns else ""
        identity = (key, span, group + "\x00" + detail)
        if identity in seen_at:
            raise DenominatorFormatError(f"{where}: duplicate row for {name}, age {span}, group "
                                         f"{group}{' / ' + detail if detail else ''} "
                                         f"(first at line {seen_at[identity]})")
        seen_at[identity] = offset
        cell = area["cells"].get((span, group), (0, 0))
        area["cells"][(span, group)] = (cell[0] + population, cell[1] + int(suppressed))

    if rows_read == 0:
        raise DenominatorFormatError(f"{origin}: no data rows")
    table = DenominatorTable(
        meta,
        (_Area(key=key, code=a["code"], name=a["name"], cells=MappingProxyType(a["cells"]))
         for key, a in areas.items()),
        path=path,
    )
    stated = meta.stated_suppressed_cells
    if stated is not None and stated != table.suppressed_cells_total:
        raise DenominatorFormatError(f"{origin}: the metadata says {stated} suppressed cells but the "
                                     f"data has {table.suppressed_cells_total}")
    return table


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(path.suffix) + ".meta.toml")


def _resolve_metadata(explicit: DenominatorMetadata | Mapping[str, object] | None,
                      comment_fields: Mapping[str, str], sidecar: Path | None, origin: str) -> DenominatorMetadata:
    if isinstance(explicit, DenominatorMetadata):
        return explicit
    if explicit is not None:
        return DenominatorMetadata.from_mapping(explicit, origin)
    data: dict[str, object] = {}
    if sidecar is not None and sidecar.is_file():
        try:
            data.update(tomllib.loads(sidecar.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            raise DenominatorFormatError(f"{sidecar}: not valid TOML ({error})") from None
    data.update(comment_fields)
    if not data:
        raise DenominatorFormatError(
            f"{origin}: no metadata; give {', '.join(REQUIRED_METADATA)} in a sidecar "
            f"{sidecar.name if sidecar else '<name>.meta.toml'} or as '# key = value' lines before the header")
    return DenominatorMetadata.from_mapping(data, origin)


def _column_positions(header: list[str], classification: str, origin: str, line: int) -> dict[str, int]:
    names = [cell.strip().casefold() for cell in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in REQUIRED_COLUMNS or name in ("area_code", "suppressed"):
            positions.setdefault(name, index)
    for alias, canonical in COLUMN_ALIASES.items():
        if alias in names and canonical not in positions:
            positions[canonical] = names.index(alias)
    if classification == NINETEEN_GROUP and "ethnic_group_19" in names and "group" not in names:
        positions["group"] = names.index("ethnic_group_19")
    elif "ethnic_group_19" in names:
        positions["detail"] = names.index("ethnic_group_19")
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise DenominatorFormatError(f"{origin} line {line}: missing column(s) {', '.join(missing)}; "
                                     f"the header is {', '.join(header)}")
    return positions


def _parse_population(text: str, where: str) -> tuple[int, bool]:
    value = text.strip()
    if value.casefold() == SUPPRESSED_MARK:
        return 0, True
    if not value.isdigit():
        if value.startswith("-") and value[1:].isdigit():
            raise DenominatorFormatError(f"{where}: column 'population' is negative ({value})")
        raise DenominatorFormatError(f"{where}: column 'population' has {value!r}; expected a whole "
                                     f"number >= 0 or 'c' for a suppressed cell")
    return int(value), False


def _normalise_name(name: str) -> str:
    return " ".join(str(name).replace("&", " and ").casefold().split())


def _string_table(value: object, name: str, origin: str) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DenominatorFormatError(f"{origin}: metadata '{name}' must be a table of strings")
    return {str(key): str(target) for key, target in value.items()}
