"""What the record view shows, grouped as a supervisor reads a record (no Qt here: tested directly).

The groups follow the order of a review: who was searched, when and where, the power and what was
looked for, the officer's conduct, the strip-search safeguards, the outcome, then where the record
came from. Free texts (the grounds above all) are shown whole and wrapped, never cut to a cell.
"""

from __future__ import annotations

from stopsearch_app.domain.labels import label
from stopsearch_app.domain.records import FIELD_BY_NAME, GOWISELY_ITEMS
from stopsearch_app.i18n import _

NOT_CARRIED = _("not in this source")
NOT_RECORDED = _("not recorded")
FREE_TEXT = ("grounds_text", "eip_justification_text", "aa_absence_reason", "force_reason", "bwv_not_used_reason")
DERIVED_LABELS = {"record_id": _("Record id"), "month": _("Month (London)"), "power": _("Power"),
                  "outcome_code": _("Outcome (canonical)"), "sde_group": _("Self-defined group"),
                  "child_status": _("Child status"), "child_band": _("Child age band"),
                  "source_file": _("Imported from"), "source_format": _("Source format")}
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (_("Who"), ("child_status", "child_band", "age_range", "age_years", "appears_under_18", "gender",
                "self_defined_ethnicity", "sde_group", "officer_defined_ethnicity", "person_ref")),
    (_("When and where"), ("occurred_at", "month", "force", "borough", "bcu", "location_type", "location_text",
                           "in_public_view", "latitude", "longitude")),
    (_("Power and object"), ("search_type", "power", "legislation", "object_of_search", "grounds_text", "part_of_operation",
                             "operation_name", "authorisation_ref", "authorising_rank", "authorised_at",
                             "vehicle_reg")),
    (_("Conduct"), ("officer_ref", "officer_station", "in_uniform", *(f"gowisely_{i}" for i in GOWISELY_ITEMS),
                    "bwv_activated", "bwv_from_outset", "bwv_not_used_reason", "receipt_offered", "handcuffed",
                    "force_used", "force_reason", "detention_minutes")),
    (_("Strip-search safeguards"), ("removal_more_than_outer", "search_level", "searcher_same_sex",
                                    "persons_present_count", "aa_present", "aa_absence_reason", "aa_signed_record",
                                    "eip_justification_text", "parent_notified", "safeguarding_considered",
                                    "safeguarding_referral_ref")),
    (_("Outcome"), ("outcome", "outcome_code", "outcome_linked")),
    (_("Record"), ("record_id", "source_ref", "source_file", "source_format")),
)
_DERIVED = frozenset(DERIVED_LABELS)


def _display(name: str, value: object) -> str:
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return label(name, value)


def field_label(name: str) -> str:
    if name in DERIVED_LABELS:
        return DERIVED_LABELS[name]
    return _(FIELD_BY_NAME[name].label)


def grouped_rows(detail: dict) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """[(group, [(field name, label, text)])]: blank says "not recorded", a field the source does not
    carry says "not in this source"."""
    carried = set(detail.get("mapped_fields") or ())
    out = []
    for group, names in GROUPS:
        rows = []
        for name in names:
            value = detail.get(name)
            if name not in _DERIVED and value is None and name not in carried:
                text = NOT_CARRIED
            else:
                text = _display(name, value)
            rows.append((name, field_label(name), text))
        out.append((group, rows))
    return out
