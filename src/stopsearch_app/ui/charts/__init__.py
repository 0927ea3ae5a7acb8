"""The Disparity charts, one module per chart, and their registry.

Every module of this package that defines ``CHART`` (a :class:`~stopsearch_app.ui.charts.base.Chart`)
is a chart: the Disparity tab gives each one a panel and the review pack's renderer
(:mod:`stopsearch_app.ui.pack_charts`) writes each one as ``KEY.png``, in ``order``. A new chart is one
new module here. Each chart reads the dashboard (the :class:`~stopsearch_app.domain.dashboard.Dashboard`
:func:`stopsearch_app.services.disparity.compute_dashboard` returns; the panels it needs are in ``Chart.needs``),
draws with pyqtgraph on a :class:`~stopsearch_app.ui.charts.panel.ChartPanel` and fills the panel's
table with the same numbers (Copy and PNG/SVG export come with the panel).

Modules without ``CHART`` (``base``, ``common``, ``panel``, ``style``) are the charts' shared parts.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.ui.charts.base import Chart


@cache
def registry() -> Mapping[str, Chart]:
    """key -> chart, in drawing order. Found by importing this package's modules (done once)."""
    found: list[Chart] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        chart = getattr(module, "CHART", None)
        if isinstance(chart, Chart):
            found.append(chart)
    keys = [chart.key for chart in found]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise RuntimeError(f"two chart modules use the key(s) {duplicates}")
    return MappingProxyType({chart.key: chart for chart in sorted(found, key=lambda c: (c.order, c.key))})


def chart(key: str) -> Chart:
    try:
        return registry()[key]
    except KeyError:
        raise KeyError(f"no chart {key!r}; charts: {', '.join(registry())}") from None


def available(dashboard: Dashboard) -> tuple[Chart, ...]:
    """The charts ``dashboard`` has the figures for, in order."""
    return tuple(c for c in registry().values() if c.available(dashboard))


__all__ = ["Chart", "available", "chart", "registry"]
