"""What the "beyond one number" statistics cost per filter change, on counts (no database): the
monthly ratio series and trend (Poisson + quasi-Poisson GLM), the borough funnel (32 boroughs), the
age-standardised ratio, and drawing the two new charts offscreen.

    python -m bench.bench_beyond [--months 36] [--repeat 20]

The Disparity tab recomputes on every filter change within bench_disparity's 300 ms target; these
figures say how much of that budget the lead's wiring of ``series``/``trend``/``funnel`` will add.
The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.domain.funnel import BoroughCounts, funnel
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.standardise import standard_from_table, standardised_ratio
from stopsearch_app.domain.trend import MonthCounts, monthly_series, ratio_trend


def timed(function, repeat: int) -> float:
    function()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    table = shipped_denominator_table()
    london = table.population("london", "all")
    months = [MonthCounts(f"{2020 + k // 12}-{k % 12 + 1:02d}",
                          {g: int(rng.poisson(london[g] / 1000)) for g in ETHNIC_GROUPS}, dict(london))
              for k in range(args.months)]
    boroughs = [BoroughCounts(name, None, int(rng.poisson(400)), 50_000, int(rng.poisson(900)), 150_000)
                for name in table.area_names()[1:]]
    standard, populations = standard_from_table(table)
    searches = {g: {band: int(rng.poisson(200)) for band in standard} for g in ("Black", "White")}
    figures = {
        "series_ms": timed(lambda: monthly_series(months), args.repeat),
        "trend_ms": timed(lambda: ratio_trend(months), args.repeat),
        "funnel_ms": timed(lambda: funnel(boroughs, 3.0).as_json(), args.repeat),
        "standardised_ms": timed(lambda: standardised_ratio(searches, populations, standard, group="Black"),
                                 args.repeat),
        "standard_from_table_ms": timed(lambda: standard_from_table(table), max(3, args.repeat // 4)),
    }
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from stopsearch_app.ui.charts import chart
    from stopsearch_app.ui.charts.panel import ChartPanel

    app = QApplication.instance() or QApplication([])
    dashboard = {"series": monthly_series(months), "trend": ratio_trend(months).as_json(),
                 "boroughs": [], "funnel": funnel(boroughs, 3.0).as_json()}
    for key in ("monthly_ratio", "funnel"):
        panel = ChartPanel(key)
        panel.resize(1100, 800)
        panel.show()

        def draw(panel=panel, key=key):
            panel.clear()
            chart(key).draw(panel, dashboard)
            app.processEvents()

        figures[f"draw_{key}_ms"] = timed(draw, max(3, args.repeat // 4))
        panel.close()
    for name, value in figures.items():
        print(f"  {name:28s} median {value:7.1f} ms")
    figures |= {"months": args.months, "boroughs": len(boroughs)}
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
