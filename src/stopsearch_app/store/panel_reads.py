"""One record anonymised for a panel meeting (split from store/reviews.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

import stopsearch_app.store.review_schema  # noqa: F401 - registers the review tables on schema.metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.domain.labels import label as vocab_label
from stopsearch_app.store.checks import record_verdicts
from stopsearch_app.store.queries import Labels, record_detail


# --- anonymised record (panel mode) ---------------------------------------------------------------
PANEL_RECORD_FIELDS = (
    ("month", "Month"), ("date", "Date"), ("borough", "Borough"), ("bcu", "BCU"), ("location_type", "Place"),
    ("age", "Age band"), ("gender", "Gender"), ("sde_group", "Self-defined ethnic group"),
    ("officer_defined_ethnicity", "Officer-defined ethnicity"), ("legislation", "Power"),
    ("object_of_search", "Looking for"), ("search_type", "Type"), ("search_level", "Search level"),
    ("outcome", "Outcome"), ("outcome_linked", "Outcome linked to object"),
    ("bwv_activated", "Body-worn video on"), ("bwv_from_outset", "Video from the outset"),
    ("aa_present", "Appropriate adult present"), ("parent_notified", "Parent or guardian told"),
    ("safeguarding_considered", "Safeguarding considered (record)"), ("handcuffed", "Handcuffed"),
    ("force_used", "Force used"), ("detention_minutes", "Detained (minutes)"),
)
PANEL_TEXT_FIELDS = (("grounds_text", "Grounds (redacted)"), ("eip_justification_text", "Reason for the strip search (redacted)"),
                     ("bwv_not_used_reason", "Why no video (redacted)"), ("force_reason", "Why force was used (redacted)"),
                     ("aa_absence_reason", "Why no appropriate adult (redacted)"))


@dataclass(frozen=True)
class PanelRecord:
    search_id: int
    record_id: str  # for saving findings; never shown in panel mode
    facts: tuple[tuple[str, str], ...]  # (label, value) with nothing personal
    texts: tuple[tuple[str, str], ...]  # (label, redacted text)
    flagged_rules: tuple[tuple[str, str, str], ...]  # (rule ID, verdict label, title)
    gowisely: str  # "given: grounds, object, ... · not given: ..." from the record


def panel_record(engine: Engine, labels: Labels, search_id: int) -> PanelRecord:
    """One record anonymised for a panel meeting: no officer or person references, no vehicle, no
    exact time or coordinates or location text, free text redacted (domain.review.redact)."""
    detail = record_detail(engine, int(search_id), labels)
    values = dict(detail)
    values["date"] = str(detail.get("occurred_at") or "")[:10]  # the day only, never the time
    band = detail.get("child_band")
    values["age"] = review.CHILD_BAND_LABELS.get(band, band) if band else detail.get("age_range")
    for name in review.WITHHELD_FIELDS:
        values.pop(name, None)
    for name in ("search_type", "gender", "location_type", "search_level", "aa_absence_reason"):
        if values.get(name):  # labels, never codes (domain.labels)
            values[name] = vocab_label(name, values[name])
    facts = []
    for name, label in PANEL_RECORD_FIELDS:
        value = values.get(name)
        if value is None or value == "":
            continue
        facts.append((label, "yes" if value is True else "no" if value is False else str(value)))
    texts = tuple((label, review.redact(values.get(name))) for name, label in PANEL_TEXT_FIELDS if values.get(name))
    flagged = tuple((v.rule_id, f"{v.verdict.glyph} {v.verdict.label}", v.title)
                    for v in record_verdicts(engine, int(search_id)) if v.verdict in (Verdict.FAIL, Verdict.REVIEW))
    given = [name[9:].replace("_", " ") for name in values if name.startswith("gowisely_") and values[name] is True]
    missing = [name[9:].replace("_", " ") for name in values if name.startswith("gowisely_") and values[name] is False]
    gowisely = ""
    if given or missing:
        gowisely = ("given: " + ", ".join(given) if given else "") + (
            (" · " if given else "") + "not given: " + ", ".join(missing) if missing else "")
    return PanelRecord(int(search_id), str(detail["record_id"]), tuple(facts), texts, flagged, gowisely)
