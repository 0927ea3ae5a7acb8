"""The canonical search record (shared/spec/records.md) as a column contract for DataFrames.

Importers produce DataFrames with these columns; the store writes and reads them; charter rules and
statistics consume them. Blank is ``pd.NA`` and means "not recorded", which is never ``False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum



class FieldKind(StrEnum):
    TEXT = "text"  # free text, kept as recorded
    CATEGORY = "category"  # small vocabulary, stored as codes
    BOOL = "bool"  # nullable: True, False, or not recorded
    INT = "int"
    FLOAT = "float"
    DATETIME = "datetime"  # timezone-aware UTC


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    public: bool  # carried by police.uk data (P in records.md); False = local extracts only (L)
    label: str
    choices: tuple[str, ...] = ()


_T, _C, _B, _I, _F, _D = (FieldKind.TEXT, FieldKind.CATEGORY, FieldKind.BOOL, FieldKind.INT,
                          FieldKind.FLOAT, FieldKind.DATETIME)

SEARCH_TYPES = ("person", "vehicle", "person_and_vehicle")
GENDERS = ("male", "female", "other")
AGE_RANGES = ("under 10", "10-17", "18-24", "25-34", "over 34")
ETHNIC_GROUPS = ("White", "Black", "Asian", "Mixed", "Other")
POWERS = ("PACE_S1", "MDA_S23", "FA_S47", "CJA_S139B", "CJPOA_S60", "TA_S43", "TA_S47A", "PSA",
          "POA_S10", "POA_S11", "OTHER")
SUSPICIONLESS_POWERS = ("CJPOA_S60", "TA_S47A", "POA_S11")
OUTCOME_CODES = ("nfa", "arrest", "summons", "caution", "community_resolution", "cannabis_warning",
                 "penalty_notice", "other")
SEARCH_LEVELS = ("outer", "mts", "eip", "intimate")
LOCATION_TYPES = ("street", "school", "home", "police_station", "police_vehicle", "other")
GOWISELY_ITEMS = ("grounds", "object", "warrant_card", "identity", "station", "entitlement",
                  "legal_power", "detained")

FIELDS: tuple[Field, ...] = (
    Field("force", _C, True, "Force"),
    Field("source_ref", _T, False, "Force search reference"),
    Field("occurred_at", _D, True, "Date and time (UTC)"),
    Field("search_type", _C, True, "Type", SEARCH_TYPES),
    Field("part_of_operation", _B, True, "Part of a policing operation"),
    Field("operation_name", _T, True, "Policing operation"),
    Field("latitude", _F, True, "Latitude"),
    Field("longitude", _F, True, "Longitude"),
    Field("location_text", _T, False, "Location"),
    Field("borough", _C, False, "Borough"),
    Field("bcu", _C, False, "BCU"),
    Field("location_type", _C, False, "Location type", LOCATION_TYPES),
    Field("gender", _C, True, "Gender", GENDERS),
    Field("age_range", _C, True, "Age range", AGE_RANGES),
    Field("age_years", _I, False, "Age (years)"),
    Field("appears_under_18", _B, False, "Appears under 18"),
    Field("self_defined_ethnicity", _C, True, "Self-defined ethnicity"),
    Field("officer_defined_ethnicity", _C, True, "Officer-defined ethnicity", ETHNIC_GROUPS),
    Field("legislation", _C, True, "Legislation"),
    Field("object_of_search", _C, True, "Object of search"),
    Field("grounds_text", _T, False, "Grounds"),
    Field("outcome", _C, True, "Outcome"),
    Field("outcome_linked", _B, True, "Outcome linked to object of search"),
    Field("removal_more_than_outer", _B, True, "Removal of more than just outer clothing"),
    Field("search_level", _C, False, "Search level", SEARCH_LEVELS),
    Field("searcher_same_sex", _B, False, "Searcher same sex"),
    Field("persons_present_count", _I, False, "Persons present"),
    Field("in_public_view", _B, False, "In public view"),
    Field("aa_present", _B, False, "Appropriate adult present"),
    Field("aa_absence_reason", _T, False, "Reason no appropriate adult"),
    Field("aa_signed_record", _B, False, "Appropriate adult signed"),
    Field("authorisation_ref", _T, False, "Authorisation reference"),
    Field("authorising_rank", _C, False, "Authorising rank"),
    Field("authorised_at", _D, False, "Authorised at (UTC)"),
    Field("eip_justification_text", _T, False, "EIP justification"),
    Field("parent_notified", _B, False, "Parent or guardian notified"),
    Field("safeguarding_considered", _B, False, "Safeguarding considered"),
    Field("safeguarding_referral_ref", _T, False, "Safeguarding referral"),
    Field("bwv_activated", _B, False, "Body-worn video activated"),
    Field("bwv_from_outset", _B, False, "Body-worn video from outset"),
    Field("bwv_not_used_reason", _T, False, "Reason body-worn video not used"),
    *(Field(f"gowisely_{item}", _B, False, f"GOWISELY: {item.replace('_', ' ')}") for item in GOWISELY_ITEMS),
    Field("in_uniform", _B, False, "Officer in uniform"),
    Field("receipt_offered", _B, False, "Record or receipt offered"),
    Field("handcuffed", _B, False, "Handcuffed"),
    Field("force_used", _B, False, "Force used"),
    Field("force_reason", _T, False, "Reason for force"),
    Field("detention_minutes", _I, False, "Detention (minutes)"),
    Field("officer_ref", _T, False, "Officer reference"),
    Field("officer_station", _C, False, "Officer station"),
    Field("person_ref", _T, False, "Person reference"),
    Field("vehicle_reg", _T, False, "Vehicle registration"),
)

FIELD_BY_NAME = {field.name: field for field in FIELDS}
PUBLIC_FIELDS = frozenset(field.name for field in FIELDS if field.public)
LOCAL_FIELDS = tuple(field.name for field in FIELDS if not field.public)

# Derived at import, from the raw values above.
DERIVED_COLUMNS = ("month", "power", "outcome_code", "sde_group", "child_status", "child_band")



class SourceFormat(StrEnum):
    POLICEUK_CSV = "policeuk-csv"
    POLICEUK_JSON = "policeuk-json"
    POLICEUK_FLAT = "policeuk-flat-csv"  # the API JSON flattened with json_normalize
    LOCAL = "local"

    @property
    def is_public(self) -> bool:
        return self is not SourceFormat.LOCAL


def dtype_for(name: str) -> str:
    kind = FIELD_BY_NAME[name].kind if name in FIELD_BY_NAME else FieldKind.TEXT
    return {
        FieldKind.BOOL: "boolean",
        FieldKind.INT: "Int64",
        FieldKind.FLOAT: "Float64",
        FieldKind.DATETIME: "datetime64[ns, UTC]",
    }.get(kind, "object")
