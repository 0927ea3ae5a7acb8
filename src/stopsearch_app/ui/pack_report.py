"""Lays out the panel's report (``io.pack_report.report_data``) as a PDF with Qt's own text engine.

Runs in the chart child process (``python -m stopsearch_app.ui.pack_charts --report DATA OUT``) for a
pack, and in the app for "Print report…". A4 portrait, HTML through QTextDocument, so text stays text
(the tests read it back) and long tables break across pages by themselves.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

_RAG_STYLE = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00"}
_CSS = """
body { font-family: 'DejaVu Sans', sans-serif; font-size: 9pt; }
h1 { font-size: 16pt; margin-bottom: 2pt; } h2 { font-size: 12pt; margin-top: 12pt; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 2px 4px; vertical-align: top; }
th { background: #e8e8e8; text-align: left; } .muted { color: #555; } .overdue { color: #a12a00; font-weight: bold; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(headings: list[str], rows: list[list[str]], widths: list[int] | None = None) -> str:
    head = "".join(f"<th{f' width={w}%' if widths else ''}>{_e(h)}</th>" for h, w in zip(headings, widths or headings))
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table width=100% cellspacing=0><tr>{head}</tr>{body}</table>"


def _rag_cell(row: Mapping) -> str:
    colour = _RAG_STYLE.get(str(row.get("rag")))
    text = _e(row.get("rag_label"))
    return f"<span style='color:{colour}; font-weight:bold'>{text}</span>" if colour else f"<span class=muted>{text}</span>"


def _cases(rows: list[Mapping]) -> str:
    return _table(["#", "Record", "Month", "Age", "Power and object", "Search level", "Outcome", "Grounds", "Rating"],
                  [[_e(r.get("position")), _e(r["record_id"]), _e(r["month"]), _e(r["age"]),
                    _e(r["power"]) + "<br>" + _e(r["object"]), _e(r["search_level"]), _e(r["outcome"]),
                    _e(r["grounds"]), _rag_cell(r)] for r in rows],
                  [3, 14, 6, 6, 15, 10, 9, 29, 8])


def report_html(data: Mapping) -> str:
    period = data.get("period") or {}
    parts = [f"<style>{_CSS}</style><h1>{_e(data['title'])}</h1>"]
    span = f"{period.get('from')} to {period.get('to')}" if period.get("from") else "no months"
    parts.append(f"<p><b>Period:</b> {_e(span)} · <b>Forces:</b> {_e(', '.join(period.get('forces') or []) or 'none')}"
                 f"<br><b>Coverage:</b> {len(period.get('months') or [])} month(s) with records: "
                 f"{_e(', '.join(period.get('months') or []))}"
                 f"<br><span class=muted>Generated {_e(data.get('generated_at'))}"
                 f"{' by ' + _e(data['generated_by']) if data.get('generated_by') else ''}"
                 f"{' · rule set ' + _e(data['rule_set'].get('id')) + ' ' + _e(data['rule_set'].get('version')) if data.get('rule_set') else ''}"
                 "</span></p>")
    about = data.get("sample_about")
    if about:
        parts.append(f"<p><b>The sample:</b> {about['drawn']} records drawn at random (seed {_e(about['seed'])}, "
                     f"stratified by {_e(about['strata'])}); {about['always_included']} must-see cases "
                     "(every child strip search and every child suspicionless search) listed separately, "
                     "not counted in the sample.</p>")
    else:
        parts.append(f"<p><b>Records in this pack:</b> {data['records']:,} (no sample drawn).</p>")
    parts.append("<h2>Ratings (RAG summary)</h2>")
    parts.append(_table(["Rating", "Records"], [[f"<span style='color:{_e(item['colour'])}; font-weight:bold'>"
                                                 f"{_e(item['rating'])}</span>", _e(item["records"])]
                                                for item in data["rag_summary"]], [70, 30]))
    responses = data.get("responses_outstanding") or []
    parts.append(f"<h2>Police responses outstanding</h2><p class=muted>A red or amber rating asks for a response "
                 f"within {data['response_due_days']} days of the panel's finding.</p>")
    if responses:
        parts.append(_table(["Record", "Rating", "Rated on", "Due by", "Status"], [
            [_e(r["record_id"]), _e(r["rating"]), _e(r["rated_on"]), _e(r["due_by"]),
             "<span class=overdue>OVERDUE</span>" if r["overdue"] else "awaited"] for r in responses]))
    else:
        parts.append("<p>None outstanding.</p>")
    parts.append("<h2>Learning points</h2>")
    learning = data.get("learning") or []
    parts.append(_table(["Record", "Kind", "Note"], [[_e(i["record_id"]), _e(i["kind"]), _e(i["text"])]
                                                     for i in learning], [22, 13, 65])
                 if learning else "<p>No learning or good-practice notes recorded yet.</p>")
    heading = "The sample (drawn at random)" if data.get("is_sample") else "The records"
    parts.append(f"<h2>{heading}</h2>")
    parts.append(_cases(data["sample"]) if data["sample"] else "<p>None.</p>")
    if data.get("records", 0) > len(data["sample"]):
        parts.append(f"<p class=muted>{len(data['sample'])} of {data['records']:,} listed; all are in records.csv.</p>")
    if data.get("is_sample"):
        parts.append("<h2>Must-see cases (always reviewed, not part of the sample)</h2>")
        parts.append(_cases(data["must_see"]) if data["must_see"] else "<p>None in this selection.</p>")
    parts.append("<h2>Charter checks over these records</h2>")
    keys = ("pass", "fail", "review", "not_recorded", "not_assessable", "not_applicable")
    parts.append(_table(["Rule", "Title", "Pass", "Fail", "Review", "Not recorded", "Not assessable", "N/A"],
                        [[_e(v["rule"]), _e(v["title"]), *(_e(v.get(k)) for k in keys)] for v in data["verdicts"]]))
    charts = [c for c in data.get("charts") or [] if Path(c).is_file()]
    parts.append("<h2>Charts</h2>")
    if charts:
        parts.extend(f"<p><img src='{_e(Path(c).as_uri())}' width=1050></p>" for c in charts)
    else:
        parts.append(f"<p class=muted>No charts in this pack"
                     f"{': ' + _e(data['disparity_unavailable']) if data.get('disparity_unavailable') else ''}.</p>")
    parts.append("<h2>Redaction and suppression</h2>" + "".join(f"<p>{_e(note)}</p>" for note in data["notes"]))
    return "".join(parts)


def write_pdf(data: Mapping, path: str | Path) -> Path:
    """The report as an A4 PDF at ``path``; needs a QGuiApplication."""
    path = Path(path)
    writer = QPdfWriter(str(path))
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter))
    writer.setResolution(150)
    writer.setTitle(str(data.get("title", "report")))
    document = QTextDocument()
    document.setHtml(report_html(data))
    # The page in the writer's device pixels: QTextDocument paginates to it.
    document.setPageSize(QSizeF(writer.width(), writer.height()))
    document.print_(writer)
    return path
