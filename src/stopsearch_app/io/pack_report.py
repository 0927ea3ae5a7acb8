"""What the panel's printable report says (``report.pdf``), as plain data; no Qt here.

:func:`report_data` turns a pack's content into a JSON-ready dict: the period and coverage, the verdict
counts, the charts' files, the random sample and the must-see list with their RAG ratings and learning
points, the police responses still awaited (overdue ones marked) and the redaction and suppression notes.
The PDF itself is laid out by ``stopsearch_app.ui.pack_report`` in the chart child process, so the pack
writer never imports Qt. Everything a person reads is a label (``domain.labels``), never a code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from stopsearch_app.domain import labels as vocab_labels
from stopsearch_app.domain import review
from stopsearch_app.domain.charter.verdicts import VERDICT_KEYS
from stopsearch_app.resources import load_toml

REPORT_SETTINGS = ("review", "report.toml")
NOT_RATED = "not rated yet"


def _settings() -> Mapping[str, object]:
    return load_toml(*REPORT_SETTINGS)


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _period(frames: Sequence[pd.DataFrame]) -> dict[str, object]:
    months = sorted({m for frame in frames if "month" in frame for m in frame["month"].dropna().astype(str)})
    forces = sorted({f for frame in frames if "force" in frame for f in frame["force"].dropna().astype(str)})
    return {"from": months[0] if months else None, "to": months[-1] if months else None, "months": months,
            "forces": [vocab_labels.label("force", force) for force in forces]}


def _case_rows(frame: pd.DataFrame | None, panel: Mapping[str, Mapping], redacted: bool) -> list[dict[str, object]]:
    if frame is None or frame.empty:
        return []
    vocabularies = review.vocabularies()
    rows = []
    for record in frame.to_dict("records"):
        rid = str(record.get("record_id"))
        fields = panel.get(rid, {})
        grounds = _text(record.get("grounds_text"))
        band = _text(record.get("child_band"))
        rows.append({
            "position": int(record.get("sample_position") or 0) or None, "record_id": rid,
            "month": _text(record.get("month")), "borough": _text(record.get("borough")),
            "age": vocab_labels.label("child_band", band) if band else _text(record.get("age_range")) or "not recorded",
            "power": vocab_labels.label("power", record.get("power")),
            "object": _text(record.get("object_of_search")) or "not recorded",
            "search_level": vocab_labels.label("search_level", record.get("search_level")),
            "outcome": vocab_labels.label("outcome_code", record.get("outcome_code")),
            "reason": review.REASON_LABELS.get(_text(record.get("sample_reason")), ""),
            "grounds": (review.redact(grounds) if redacted else grounds) or "not recorded",
            "rag": fields.get("rag") or None,
            "rag_label": vocabularies.label("rag", fields["rag"]) if fields.get("rag") else NOT_RATED,
        })
    return rows


def _panel_findings(findings: Sequence[Mapping[str, object]]) -> dict[str, dict]:
    return {str(item["record_id"]): {**dict(item.get("fields") or {}), "_updated_at": item.get("updated_at")}
            for item in findings if item.get("kind") == review.PANEL and item.get("status", review.ACTIVE) == review.ACTIVE}


def _as_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).date()
    if isinstance(value, date):
        return value
    return None


def report_data(content, *, redacted: bool, charts: Sequence[Path] = (), now: datetime | None = None) -> dict:
    """The report of a pack's content (an io.review_pack.PackContent): see the module docstring."""
    now = now or datetime.now(UTC)
    settings = _settings()
    due_days = int(settings.get("response_due_days", 28))  # type: ignore[arg-type]
    max_listed = int(settings.get("max_listed_cases", 200))  # type: ignore[arg-type]
    needing = set(settings.get("response_needed_for", ("red", "amber")))  # type: ignore[arg-type]
    vocabularies = review.vocabularies()
    panel = _panel_findings(content.findings)
    records, always = content.records, content.always
    sample = _case_rows(records, panel, redacted)
    must_see = _case_rows(always, panel, redacted)
    is_sample = "sample_position" in records
    rag_counts: dict[str, int] = {}
    for row in sample + must_see:
        rag_counts[row["rag_label"]] = rag_counts.get(row["rag_label"], 0) + 1
    rag_summary = [{"rating": term.label, "key": term.key, "colour": term.colour,
                    "records": rag_counts.get(term.label, 0)} for term in vocabularies.rag]
    rag_summary.append({"rating": NOT_RATED, "key": None, "colour": "#6b6b6b", "records": rag_counts.get(NOT_RATED, 0)})
    learning, responses = [], []
    shown = {row["record_id"] for row in sample + must_see}
    for rid, fields in panel.items():
        if rid not in shown:
            continue
        for name, heading in (("learning_note", "Learning"), ("good_practice_note", "Good practice")):
            text = _text(fields.get(name))
            if text:
                learning.append({"record_id": rid, "kind": heading, "text": review.redact(text) if redacted else text})
        if fields.get("rag") in needing and not _text(fields.get("police_response")):
            rated = _as_day(fields.get("_updated_at"))
            due = rated + timedelta(days=due_days) if rated else None
            responses.append({"record_id": rid, "rating": vocabularies.label("rag", fields["rag"]),
                              "rated_on": rated.isoformat() if rated else None,
                              "due_by": due.isoformat() if due else None,
                              "overdue": bool(due and due < now.date())})
    responses.sort(key=lambda item: (not item["overdue"], item["due_by"] or "", item["record_id"]))
    verdicts = []
    combined = pd.concat([f for f in (records, always) if f is not None and not f.empty] or [records])
    for rule_id in content.rule_order:
        column = combined[rule_id].astype(object) if rule_id in combined else pd.Series([], dtype=object)
        counts = {key: int((column == key).sum()) for key in VERDICT_KEYS}
        verdicts.append({"rule": rule_id, "title": content.rule_titles.get(rule_id, ""),
                         **{key: (_suppressed(value) if redacted else value) for key, value in counts.items()}})
    manifest = content.manifest or {}
    sample_info = manifest.get("sample") if isinstance(manifest.get("sample"), Mapping) else None
    notes = []
    if redacted:
        notes.append("Redacted: no officer, person or vehicle references, no exact times, places or ages; free "
                     "text passed through the documented redaction rules (resources/review/redaction.toml). "
                     "Pattern-based redaction cannot find every name: a supervisor must read this report "
                     "before it leaves the force.")
        notes.append("Counts from 1 to 9 are shown as <10 (suppressed) in every table of figures.")
    else:
        notes.append("NOT REDACTED: for the supervisor's own use only. Do not share.")
    return {
        "title": "Stop and search of children: scrutiny panel report",
        "generated_at": now.isoformat(timespec="minutes"), "generated_by": manifest.get("generated_by"),
        "redacted": redacted, "period": _period([f for f in (records, always) if f is not None]),
        "filters": manifest.get("filters"), "rule_set": manifest.get("rule_set"),
        "is_sample": is_sample,
        "sample_about": ({"n": sample_info.get("n"), "seed": sample_info.get("seed"),
                          "strata": sample_info.get("strata"), "population": sample_info.get("population"),
                          "drawn": len(sample), "always_included": len(must_see)} if sample_info else None),
        "records": len(records), "sample": sample[:max_listed], "must_see": must_see[:max_listed],
        "listed_limit": max_listed, "rag_summary": rag_summary,
        "learning": learning, "responses_outstanding": responses, "response_due_days": due_days,
        "verdicts": verdicts, "charts": [str(path) for path in charts], "notes": notes,
        "disparity_unavailable": content.disparity_unavailable or None,
    }


def _suppressed(count: int) -> object:
    return "<10" if 0 < count < 10 else count
