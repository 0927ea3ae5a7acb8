"""What a chart is to the registry: a key, a title, its place in the tab, the dashboard panels it reads
and the function that draws it (with its table) on a :class:`~stopsearch_app.ui.charts.panel.ChartPanel`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stopsearch_app.domain.dashboard import Dashboard

Draw = Callable[..., None]  # draw(panel, dashboard: Dashboard, annualised=False)


@dataclass(frozen=True)
class Chart:
    key: str  # the panel's name and the pack's file name (KEY.png)
    title: str  # shown in place of the chart when there is nothing to draw
    order: int  # position in the Disparity tab and in the pack, ascending
    draw: Draw
    needs: tuple[str, ...] = ()  # Dashboard panels the chart reads; a dashboard without them has no such chart

    def available(self, dashboard: Dashboard) -> bool:
        """Whether ``dashboard`` carries what this chart draws (e.g. ``boroughs`` only for London)."""
        return dashboard.is_available and all(dashboard.has(panel) for panel in self.needs)
