"""What the Disparity tab draws and a review pack's charts are drawn from: one typed result.

``services/disparity.compute_dashboard`` builds a :class:`Dashboard`; the charts of ``ui/charts/`` (one
module per chart, used by the tab and by the pack's renderer alike) read its panels, and each chart
names the panels it needs (``Chart.needs``), so a dashboard without a panel has no such chart.
:meth:`Dashboard.as_json` is the JSON the dashboard has always been (the figures inside are the
``stopsearch disparity --json`` objects of shared/spec/cli.md) and :meth:`Dashboard.from_json` reads it back.

The dataclasses are frozen; the figures inside are the plain JSON objects the statistics build, shared
with the caller, not copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

Figure = Mapping[str, object]  # one cli.md figure, or {"unavailable": reason}


@dataclass(frozen=True)
class MonthlyRatio:
    """The ratio vs White per covered month, its trend, and the period's quasi-Poisson intervals
    (``disparity --by month``; no ``overdispersion`` when no month could be planned)."""

    series: tuple[Figure, ...]
    trend: Figure
    overdispersion: Figure | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"series": list(self.series), "trend": self.trend}
        if self.overdispersion is not None:
            out["overdispersion"] = self.overdispersion
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> MonthlyRatio:
        return cls(tuple(data["series"]), data.get("trend") or {}, data.get("overdispersion"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class BoroughFigures:
    """Every London borough side by side and the funnel of their ratios (``disparity --by borough``)."""

    boroughs: tuple[Figure, ...]
    funnel: Figure
    borough_not_known: int | None = None  # searches placed in no borough

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"boroughs": list(self.boroughs)}
        if self.borough_not_known is not None:
            out["borough_not_known"] = self.borough_not_known
        return out | {"funnel": self.funnel}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> BoroughFigures:
        return cls(tuple(data["boroughs"]), data["funnel"], data.get("borough_not_known"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Dashboard:
    """The request as asked, the months loaded, and the panels. ``unavailable`` (with no panels) when
    the headline cannot be computed; a panel that cannot is a figure ``{"unavailable": reason}``."""

    request: Mapping[str, object]
    available_months: tuple[str, ...] = ()
    unavailable: str | None = None
    headline: Figure | None = None  # charts a and b
    monthly_ratio: MonthlyRatio | None = None
    boroughs: BoroughFigures | None = None  # London only
    by_age: Mapping[str, Figure] = field(default_factory=dict)  # the bands that tile the ages
    monthly_children: Figure | None = None
    children_outcomes: Mapping[str, Figure] = field(default_factory=dict)  # find-rate, removal-rate

    @property
    def is_available(self) -> bool:
        return self.unavailable is None

    def has(self, panel: str) -> bool:
        """Whether the dashboard carries ``panel`` (a field name: ``headline``, ``boroughs``…)."""
        if panel not in _PANELS:
            raise KeyError(f"no dashboard panel {panel!r}; panels: {', '.join(_PANELS)}")
        return self.is_available and bool(getattr(self, panel))

    def as_json(self) -> dict[str, object]:
        if not self.is_available:
            return {"unavailable": self.unavailable, "request": self.request,
                    "available_months": list(self.available_months)}
        return {"request": self.request, "available_months": list(self.available_months), "headline": self.headline,
                **(self.monthly_ratio.as_json() if self.monthly_ratio else {}),
                **(self.boroughs.as_json() if self.boroughs else {}),
                "by_age": dict(self.by_age), "monthly_children": self.monthly_children,
                "children_outcomes": dict(self.children_outcomes)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Dashboard:
        months = tuple(data.get("available_months") or ())  # type: ignore[call-overload]
        request = data.get("request") or {}
        if "unavailable" in data:
            return cls(request, months, unavailable=str(data["unavailable"]))  # type: ignore[arg-type]
        return cls(
            request=request, available_months=months, headline=data.get("headline"),  # type: ignore[arg-type]
            monthly_ratio=MonthlyRatio.from_json(data) if "series" in data else None,
            boroughs=BoroughFigures.from_json(data) if "boroughs" in data else None,
            by_age=dict(data.get("by_age") or {}),  # type: ignore[call-overload]
            monthly_children=data.get("monthly_children"),  # type: ignore[arg-type]
            children_outcomes=dict(data.get("children_outcomes") or {}))  # type: ignore[call-overload]


_PANELS = tuple(f.name for f in fields(Dashboard) if f.name not in ("request", "available_months", "unavailable"))
