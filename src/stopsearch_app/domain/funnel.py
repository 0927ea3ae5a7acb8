"""A funnel plot of the boroughs' ratios vs White (shared/spec/statistics.md, "Beyond one number":
boroughs side by side; Spiegelhalter, "Funnel plots for comparing institutional performance",
Statistics in Medicine 24 (2005) 1185-1202).

Each borough's rate ratio R = (a / N) / (b / M) (a searches of the group among N residents, b of
White among M) is compared with London's ratio R0 on the log scale, where the ratio is roughly
normal with SE(ln R) = sqrt(1/a + 1/b), the SE the rate-ratio interval uses.

Volume axis
    ``volume`` = 1 / (1/a + 1/b) = 1 / SE(ln R)^2, the *precision* of the borough's log ratio. It is
    in units of searches: it grows with both counts and is never more than the smaller of a and b
    (so it is roughly the number of searches the comparison rests on). A single curve of limits in
    volume serves every borough whatever its population mix, which plotting against a + b would not.

Control limits
    R0 x exp(+-z / sqrt(volume)), z = 1.960 (95%) and 3.090 (99.8%). A borough outside is
    "divergent" at that level; by chance, 1 in 20 boroughs falls outside the 95% limits and 1 in 500
    outside the 99.8% ones. The SE uses the borough's own counts (not the counts expected under R0):
    the simpler form, slightly different from the null-variance funnel for small counts.

Multiple comparisons
    With ~32 boroughs a few fall outside the 95% limits by chance alone. Beside the unadjusted limits
    we give Bonferroni-adjusted ones (z at 1 - alpha / (2 m) for the m boroughs assessed) and the
    Benjamini-Hochberg false-discovery-rate decision at 5% on the boroughs' two-sided p-values of
    z = (ln R - ln R0) / SE (statsmodels ``multipletests``).

Suppression
    A borough whose group or White count is under 10 is not drawn and not assessed: it is listed as
    suppressed (statistics.md, "Uncertainty and small numbers"). A borough without White searches or
    without residents has no ratio and is listed as not assessable with the reason.

London's ratio includes the boroughs' own searches, so the comparison is of each borough with the
whole it is part of (the usual convention for institutional funnels).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from stopsearch_app.domain.statistics import REFERENCE_GROUP, SUPPRESSION_THRESHOLD, _check_count, _check_population

LEVELS = (0.95, 0.998)
FUNNEL_GROUP = "Black"  # the group whose ratio vs White the funnel compares (as the trend)
FDR_Q = 0.05
METHOD = "log rate ratio vs London, SE sqrt(1/a + 1/b) from the borough's counts (Spiegelhalter 2005)"
VOLUME_LABEL = "precision of the ratio: 1 / (1/group searches + 1/White searches)"
CURVE_POINTS = 60


@dataclass(frozen=True)
class BoroughCounts:
    borough: str
    gss_code: str | None
    searches: int  # of the group
    population: int | None
    reference_searches: int  # of White
    reference_population: int | None

    def __post_init__(self) -> None:
        _check_count(self.searches, f"{self.borough} searches")
        _check_count(self.reference_searches, f"{self.borough} White searches")
        _check_population(self.population, f"{self.borough} population")
        _check_population(self.reference_population, f"{self.borough} White population")


@dataclass(frozen=True)
class FunnelPoint:
    borough: str
    gss_code: str | None
    searches: int
    reference_searches: int
    ratio: float | None
    volume: float | None
    z: float | None
    p_value: float | None
    status: str  # "assessed", "suppressed" or "not_assessable"
    reason: str | None = None


@dataclass(frozen=True)
class FunnelResult:
    group: str
    reference: str
    centre: float  # London's ratio
    points: tuple[FunnelPoint, ...]
    outside: Mapping[str, tuple[str, ...]]  # limit name -> boroughs outside it
    bh_adjusted: Mapping[str, float]  # borough -> BH-adjusted p-value
    z: Mapping[str, float]  # limit name -> z multiplier

    @property
    def assessed(self) -> tuple[FunnelPoint, ...]:
        return tuple(p for p in self.points if p.status == "assessed")

    def limits(self, volume: float, name: str) -> tuple[float, float]:
        """(low, high) ratio limits at ``volume`` for the limit ``name`` (e.g. ``"95"``)."""
        half = self.z[name] / math.sqrt(volume)
        return self.centre * math.exp(-half), self.centre * math.exp(half)

    @property
    def note(self) -> str:
        m = len(self.assessed)
        suppressed = [p.borough for p in self.points if p.status == "suppressed"]
        parts = [f"{m} boroughs assessed against London's ratio ({self.centre:.2f}); by chance alone about "
                 f"{m * 0.05:.1f} would fall outside the 95% limits. Outside 95%: {len(self.outside['95'])}, "
                 f"outside 99.8%: {len(self.outside['99.8'])}; after Bonferroni for {m} comparisons: "
                 f"{len(self.outside['95_bonferroni'])} (95%), {len(self.outside['99.8_bonferroni'])} (99.8%); "
                 f"Benjamini-Hochberg FDR 5%: {len(self.outside['fdr_5pct'])}."]
        if suppressed:
            parts.append(f"Suppressed (fewer than {SUPPRESSION_THRESHOLD} searches of {self.group} or "
                         f"{self.reference}; not drawn, not assessed): {', '.join(suppressed)}.")
        return " ".join(parts)

    def curve(self, points: int = CURVE_POINTS) -> dict[str, list[float]]:
        """The limits on a log-spaced grid of volumes covering the assessed boroughs (for drawing)."""
        volumes = [p.volume for p in self.assessed if p.volume]
        low, high = (min(volumes), max(volumes)) if volumes else (1.0, 100.0)
        grid = np.geomspace(max(low / 2, 1.0), high * 2, points)
        curve: dict[str, list[float]] = {"volume": [float(v) for v in grid]}
        for name in self.z:
            pairs = [self.limits(float(v), name) for v in grid]
            curve[f"low_{name}"] = [pair[0] for pair in pairs]
            curve[f"high_{name}"] = [pair[1] for pair in pairs]
        return curve

    def as_json(self) -> dict[str, object]:
        return {
            "method": METHOD,
            "group": self.group,
            "reference": self.reference,
            "centre": self.centre,
            "volume": VOLUME_LABEL,
            "limits": [{"name": name, "z": z} for name, z in self.z.items()],
            "points": [{"borough": p.borough, "gss_code": p.gss_code, "searches": p.searches,
                        "reference_searches": p.reference_searches, "ratio": p.ratio, "volume": p.volume,
                        "z": p.z, "p_value": p.p_value, "p_adjusted_bh": self.bh_adjusted.get(p.borough),
                        "status": p.status, "reason": p.reason,
                        "outside": [name for name, boroughs in self.outside.items() if p.borough in boroughs]}
                       for p in self.points],
            "outside": {name: list(boroughs) for name, boroughs in self.outside.items()},
            "suppressed": [p.borough for p in self.points if p.status == "suppressed"],
            "not_assessable": [p.borough for p in self.points if p.status == "not_assessable"],
            "curve": self.curve(),
            "note": self.note,
        }


def funnel(boroughs: Sequence[BoroughCounts], centre: float, *, group: str = "Black",
           reference: str = REFERENCE_GROUP) -> FunnelResult:
    """Place each borough on the funnel around ``centre`` (London's ratio) and say who is outside."""
    if not (centre > 0 and math.isfinite(centre)):
        raise ValueError(f"London's ratio must be a positive number, not {centre!r}")
    points = [_point(b, centre) for b in boroughs]
    assessed = [p for p in points if p.status == "assessed"]
    m = max(len(assessed), 1)
    z = {}
    for level in LEVELS:
        name = _name(level)
        z[name] = float(stats.norm.ppf(1 - (1 - level) / 2))
        z[f"{name}_bonferroni"] = float(stats.norm.ppf(1 - (1 - level) / (2 * m)))
    outside: dict[str, tuple[str, ...]] = {
        name: tuple(p.borough for p in assessed if abs(p.z) > multiplier) for name, multiplier in z.items()}
    bh: dict[str, float] = {}
    if assessed:
        reject, adjusted, _s, _b = multipletests([p.p_value for p in assessed], alpha=FDR_Q, method="fdr_bh")
        bh = {p.borough: float(q) for p, q in zip(assessed, adjusted, strict=True)}
        outside["fdr_5pct"] = tuple(p.borough for p, r in zip(assessed, reject, strict=True) if r)
    else:
        outside["fdr_5pct"] = ()
    return FunnelResult(group, reference, float(centre), tuple(points), outside, bh, z)


def boroughs_from_json(boroughs: Sequence[Mapping], *, group: str = "Black",
                       reference: str = REFERENCE_GROUP) -> list[BoroughCounts]:
    """:class:`BoroughCounts` from the cli.md ``boroughs`` list (each with ``groups`` of group objects
    carrying ``searches`` and ``population``)."""
    counts = []
    for entry in boroughs:
        by_group = {g["group"]: g for g in entry["groups"]}
        mine, white = by_group.get(group, {}), by_group.get(reference, {})
        counts.append(BoroughCounts(entry["borough"], entry.get("gss_code"), int(mine.get("searches") or 0),
                                    mine.get("population"), int(white.get("searches") or 0),
                                    white.get("population")))
    return counts


def _point(b: BoroughCounts, centre: float) -> FunnelPoint:
    def without(status: str, reason: str) -> FunnelPoint:
        return FunnelPoint(b.borough, b.gss_code, b.searches, b.reference_searches, None, None, None, None,
                           status, reason)

    if not b.population or not b.reference_population:
        return without("not_assessable", "no residents in the denominator")
    if min(b.searches, b.reference_searches) < SUPPRESSION_THRESHOLD:
        return without("suppressed", f"fewer than {SUPPRESSION_THRESHOLD} searches of the group or of White")
    ratio = (b.searches / b.population) / (b.reference_searches / b.reference_population)
    variance = 1 / b.searches + 1 / b.reference_searches
    z = (math.log(ratio) - math.log(centre)) / math.sqrt(variance)
    return FunnelPoint(b.borough, b.gss_code, b.searches, b.reference_searches, ratio, 1 / variance, z,
                       float(2 * stats.norm.sf(abs(z))), "assessed")


def _name(level: float) -> str:
    return f"{level * 100:g}"
