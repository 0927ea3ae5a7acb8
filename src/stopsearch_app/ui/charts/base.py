"""What a chart is to the registry: a key, a title, its place in the tab, the dashboard keys it reads
and the function that draws it (with its table) on a :class:`~stopsearch_app.ui.charts.panel.ChartPanel`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Draw = Callable[..., None]  # draw(panel, dashboard, annualised=False)


@dataclass(frozen=True)
class Chart:
    key: str  # the panel's name and the pack's file name (KEY.png)
    title: str  # shown in place of the chart when there is nothing to draw
    order: int  # position in the Disparity tab and in the pack, ascending
    draw: Draw
    needs: tuple[str, ...] = ()  # dashboard keys the chart reads; a dashboard without them has no such chart

    def available(self, dashboard: Mapping) -> bool:
        """Whether ``dashboard`` carries what this chart draws (e.g. ``series`` only with ``--by month``)."""
        return "unavailable" not in dashboard and all(key in dashboard for key in self.needs)
