"""Denominators for officer-defined ethnicity, which has no Mixed category (shared/spec/statistics.md,
"Beyond one number", sensitivity; "Rates": never mix the two ethnicity sources).

An officer records what they perceive: White, Black, Asian or Other. Census residents of Mixed
ethnicity are then in no officer category, and two honest denominators exist, shown side by side:

``left_out``
    the four groups' residents as the Census counts them, Mixed residents left out of every
    denominator (searches of Mixed people still count in whichever group the officer recorded, so
    those groups' rates are somewhat high);
``allocated``
    Mixed residents shared out by their Census components, half to each named part:

    ========================================  ==================
    Census 2021 Mixed category                allocated to
    ========================================  ==================
    White and Black Caribbean                 1/2 Black, 1/2 White
    White and Black African                   1/2 Black, 1/2 White
    White and Asian                           1/2 Asian, 1/2 White
    Other Mixed or Multiple ethnic groups     1/2 Other, 1/2 White
    ========================================  ==================

    Halves because the category names two heritages and nothing says how an officer perceives a
    person of both; "Other Mixed" is treated as "White and another" (its components are not known),
    so half goes to Other. This is a documented choice for a sensitivity range, not a measurement:
    the two variants bracket plausible denominators, they do not estimate the true one.

The 19-category populations give both variants; the five-group ones give only ``left_out`` (the
components are not known), and ``allocated`` is None with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stopsearch_app.domain.statistics import _check_count

OFFICER_GROUPS = ("White", "Black", "Asian", "Other")
# Census 2021 Mixed category (matched on its name after the colon) -> share to each officer group.
MIXED_ALLOCATION: Mapping[str, Mapping[str, float]] = {
    "white and black caribbean": {"Black": 0.5, "White": 0.5},
    "white and black african": {"Black": 0.5, "White": 0.5},
    "white and asian": {"Asian": 0.5, "White": 0.5},
    "other mixed or multiple ethnic groups": {"Other": 0.5, "White": 0.5},
}
FIVE_GROUP_ONLY = "the allocation needs the Census 19-category populations (the Mixed components)"
NOTE = ("Officer-defined ethnicity has no Mixed category: ratios are shown with Mixed residents left out "
        "of the denominators and with them allocated half to each component (White and Black Caribbean "
        "or African: Black and White; White and Asian: Asian and White; Other Mixed: Other and White).")


@dataclass(frozen=True)
class OfficerDenominators:
    left_out: Mapping[str, int]
    allocated: Mapping[str, int] | None
    mixed_residents: int
    reason: str | None = None  # why ``allocated`` is None

    def as_json(self) -> dict[str, object]:
        return {"left_out": dict(self.left_out), "allocated": None if self.allocated is None else dict(self.allocated),
                "mixed_residents": self.mixed_residents, "reason": self.reason, "note": NOTE}


def officer_denominators(populations: Mapping[str, int]) -> OfficerDenominators:
    """Both officer-defined denominators from five-group or 19-category Census populations.

    19-category keys are the Census names (``"Mixed or Multiple ethnic groups: White and Asian"``,
    ``"Black, Black British, ...: African"``); five-group keys are White, Black, Asian, Mixed, Other.
    """
    if set(populations) <= {"White", "Black", "Asian", "Mixed", "Other"}:
        left_out = {g: _check_count(populations.get(g, 0), f"population of {g}") for g in OFFICER_GROUPS}
        return OfficerDenominators(left_out, None, _check_count(populations.get("Mixed", 0), "Mixed"),
                                   FIVE_GROUP_ONLY)
    left_out = dict.fromkeys(OFFICER_GROUPS, 0)
    shares = dict.fromkeys(OFFICER_GROUPS, 0.0)
    mixed = 0
    for name, value in populations.items():
        count = _check_count(value, f"population of {name}")
        broad = _broad_group(name)
        if broad == "Mixed":
            component = name.split(":", 1)[-1].strip().casefold()
            if component not in MIXED_ALLOCATION:
                raise ValueError(f"unknown Mixed category {name!r}; expected one of {', '.join(MIXED_ALLOCATION)}")
            mixed += count
            for group, share in MIXED_ALLOCATION[component].items():
                shares[group] += share * count
        else:
            left_out[broad] += count
    allocated = {g: left_out[g] + round(shares[g]) for g in OFFICER_GROUPS}
    return OfficerDenominators(left_out, allocated, mixed)


def _broad_group(name: str) -> str:
    # The Census 19 categories start with their broad group: "White: ...", "Black, Black British ...",
    # "Asian, Asian British ...", "Mixed or Multiple ...", "Other ethnic group: ...".
    head = name.strip().casefold()
    for prefix, group in (("white", "White"), ("black", "Black"), ("asian", "Asian"), ("mixed", "Mixed"),
                          ("other", "Other")):
        if head.startswith(prefix):
            return group
    raise ValueError(f"cannot tell the broad ethnic group of Census category {name!r}")
