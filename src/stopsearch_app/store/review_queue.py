"""The supervisors' review queue: children with a fail or review verdict, most urgent first, a
page of rows at a time (split from store/reviews.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, and_, false, func, or_, select

import stopsearch_app.store.review_schema  # noqa: F401 - registers the review tables on schema.metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.charter.priority import explain as explain_priority
from stopsearch_app.domain.charter.priority import explain_short
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.domain.identity import record_id as make_record_id
from stopsearch_app.domain.labels import label as vocab_label
from stopsearch_app.domain.selection import Selection
from stopsearch_app.store.aggregates import selection_conditions
from stopsearch_app.store.checks import findings_text, record_verdicts, rule_orders
from stopsearch_app.store.queries import Labels, format_timestamp, record_detail
from stopsearch_app.store.schema import TO_REVIEW, check_run, record_check, search, search_local
from stopsearch_app.store.findings import all_findings


# --- the review queue -----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueFilter:
    """The review queue's filters: which searches (of children, whatever the selection's age band says
    beyond that), and the queue's own two. Empty means all."""

    selection: Selection = field(default_factory=Selection.all_searches)
    rule: str = ""  # only records failing or needing review on this rule
    station: str = ""  # search_local.officer_station (team / station)

    @classmethod
    def of_month(cls, month: str | None, **extras) -> QueueFilter:
        """The queue of one month (YYYY-MM; empty: every month)."""
        return cls(Selection.all_searches(month_from=month or None, month_to=month or None), **extras)


@dataclass(frozen=True)
class QueueRow:
    search_id: int
    record_id: str
    priority: int
    findings: str  # '✗ S1 S5 · ? G3'
    date: str  # London date and time
    month: str
    age: str
    ethnicity: str
    power: str
    station: str
    borough: str
    supervisor_outcome: str  # label of the active supervisor finding, or ""
    panel_rag: str
    priority_text: str = ""  # why this case is where it is, in words (domain.charter.priority.explain_short)
    priority_why: str = ""  # the same, in full (the cell's tooltip)


def _child_ids(labels: Labels) -> list[int]:
    return labels.ids("child_status", ("child",)) or [-1]


def _rule_condition(rule: str, orders: Mapping[int, Sequence[str]]):
    branches = [and_(record_check.c.run_id == run_id,
                     func.substr(record_check.c.verdicts, list(order).index(rule) + 1, 1).in_(
                         [Verdict.FAIL.char, Verdict.REVIEW.char]))
                for run_id, order in orders.items() if rule in order]
    return or_(*branches) if branches else false()


def queue_ids(engine: Engine, labels: Labels, queue_filter: QueueFilter | None = None,
              orders: Mapping[int, Sequence[str]] | None = None) -> np.ndarray:
    """Search ids of child searches whose latest check failed a rule or asked for review, most urgent
    first (review priority, then newest)."""
    queue_filter = queue_filter or QueueFilter()
    query = (select(search.c.id).join(record_check, record_check.c.search_id == search.c.id)
             .where(TO_REVIEW, search.c.child_status_id.in_(_child_ids(labels)),
                    *selection_conditions(queue_filter.selection, labels.by_field)))
    if queue_filter.rule:
        query = query.where(_rule_condition(queue_filter.rule, orders if orders is not None else rule_orders(engine)))
    if queue_filter.station:
        query = query.join(search_local, search_local.c.search_id == search.c.id).where(
            search_local.c.officer_station == queue_filter.station)
    query = query.order_by(record_check.c.priority.desc(), search.c.occurred_at.desc(), search.c.id)
    with engine.connect() as connection:
        return np.fromiter((row[0] for row in connection.execute(query)), dtype=np.int64)


def queue_rows(engine: Engine, labels: Labels, ids: Sequence[int],
               orders: Mapping[int, Sequence[str]] | None = None) -> dict[int, QueueRow]:
    """Display rows of the queue for these search ids (one page), with each record's current findings."""
    orders = orders if orders is not None else rule_orders(engine)
    wanted = [int(i) for i in ids]
    if not wanted:
        return {}
    query = (select(search.c.id, search.c.force_id, search.c.month, search.c.fingerprint, search.c.occurrence,
                    search.c.source_ref, search.c.occurred_at, search.c.age_range_id, search.c.child_band_id,
                    search.c.sde_group_id, search.c.power_id, search.c.borough_id, record_check.c.run_id,
                    record_check.c.verdicts, record_check.c.priority, search_local.c.officer_station)
             .join(record_check, record_check.c.search_id == search.c.id)
             .outerjoin(search_local, search_local.c.search_id == search.c.id)
             .where(search.c.id.in_(wanted)))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    by_label = labels.by_id
    run_rules = _rules_of_runs(engine, {row.run_id for row in rows})
    record_ids = {row.id: make_record_id(by_label.get(row.force_id, ""), row.month, row.fingerprint, row.occurrence,
                                         row.source_ref) for row in rows}
    states = all_findings(engine, record_ids.values())
    outcome = {s.record_id: review.vocabularies().label("outcome", s.fields["outcome"]) for s in states
               if s.kind == review.SUPERVISOR}
    rag = {s.record_id: review.vocabularies().label("rag", s.fields["rag"]) for s in states if s.kind == review.PANEL}
    out = {}
    for row in rows:
        band = by_label.get(row.child_band_id) if row.child_band_id is not None else None
        age = review.CHILD_BAND_LABELS.get(band, band) if band else by_label.get(row.age_range_id, "")
        order = orders.get(row.run_id, [])
        rid = record_ids[row.id]
        out[row.id] = QueueRow(row.id, rid, int(row.priority), findings_text(list(order), row.verdicts),
                               format_timestamp(row.occurred_at), row.month, age or "",
                               by_label.get(row.sde_group_id, "") if row.sde_group_id is not None else "",
                               vocab_label("power", by_label.get(row.power_id)) if row.power_id is not None else "",
                               row.officer_station or "", by_label.get(row.borough_id, "") if row.borough_id else "",
                               outcome.get(rid, ""), rag.get(rid, ""),
                               explain_short(list(order), row.verdicts, run_rules.get(row.run_id, {})),
                               explain_priority(list(order), row.verdicts, run_rules.get(row.run_id, {})))
    return out


def _rules_of_runs(engine: Engine, run_ids: set[int]) -> dict[int, dict[str, dict]]:
    """Each run's rules as they ran (title, severity…), for the priority's words."""
    if not run_ids:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(select(check_run.c.id, check_run.c.ruleset_json)
                                  .where(check_run.c.id.in_(sorted(run_ids)))).all()
    return {run_id: {rule["id"]: rule for rule in json.loads(text).get("rules", [])} for run_id, text in rows}


def queue_choices(engine: Engine, labels: Labels) -> dict[str, list[str]]:
    """What the queue's filters can offer: rules (latest run order), stations and months in the queue."""
    orders = rule_orders(engine)
    latest = orders[max(orders)] if orders else []
    base = (TO_REVIEW, search.c.child_status_id.in_(_child_ids(labels)))
    with engine.connect() as connection:
        stations = connection.execute(
            select(search_local.c.officer_station).distinct()
            .join(search, search.c.id == search_local.c.search_id)
            .join(record_check, record_check.c.search_id == search.c.id)
            .where(*base, search_local.c.officer_station.is_not(None)).order_by(search_local.c.officer_station)
        ).scalars().all()
        months = connection.execute(
            select(search.c.month).distinct().join(record_check, record_check.c.search_id == search.c.id)
            .where(*base).order_by(search.c.month.desc())).scalars().all()
    return {"rules": list(latest), "stations": list(stations), "months": list(months)}


@dataclass(frozen=True)
class RecordForReview:
    """What the supervisor form shows of one record."""

    search_id: int
    record_id: str
    heading: str
    flagged_rules: tuple[tuple[str, str, str], ...]  # (rule ID, verdict key, title) of fail and review verdicts


def record_for_review(engine: Engine, labels: Labels, search_id: int) -> RecordForReview:
    detail = record_detail(engine, int(search_id), labels)
    flagged = tuple((v.rule_id, v.verdict.key, v.title) for v in record_verdicts(engine, int(search_id))
                    if v.verdict in (Verdict.FAIL, Verdict.REVIEW))
    band = detail.get("child_band")
    heading = " · ".join(str(part) for part in (detail["record_id"], detail.get("occurred_at"), detail.get("borough"),
                                                 review.CHILD_BAND_LABELS.get(band, band) or detail.get("age_range"))
                         if part)
    return RecordForReview(int(search_id), str(detail["record_id"]), heading, flagged)
