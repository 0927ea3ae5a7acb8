"""A seeded generator of a realistic SYNTHETIC local stop-and-search extract (shared/spec/records.md,
"Local extracts"): no real extract with the local fields is public, so the demo, the tests and the
benchmark use this one.

Everything here is invented. People and officers are pseudonymous references; the few names,
addresses and phone numbers inside grounds texts (there to exercise redaction) are obviously
fictitious: "Example" surnames, "Example Street", the reserved ZZ99 postcode, and Ofcom's drama
numbers (07700 900xxx). Vehicle registrations start with "ZZ", which is never issued.

The mix is chosen so that every charter rule (resources/charter/met-charter-2025.toml) gets at least
one fail or review and at least one pass where its logic allows: children with exact ages (a few
under 10) and some who only "appear under 18"; MTS and EIP searches of children with and without an
appropriate adult (valid and invalid exceptions); grounds from excellent to "smell of cannabis" only,
personal factors only and retrospective; BWV gaps with and without reasons; s60 searches with and
without authorisations; handcuffs with and without reasons; long detentions; GOWISELY gaps; rare
intimate searches; police-vehicle and school locations; and children searched three or more times.

Usage::

    frame = generate_extract(rows=3000, seed=20250227)
    write_csv("demo-extract.csv", frame)      # canonical headers; booleans True/False; ISO 8601 UTC dates
    write_xlsx("demo-extract.xlsx", frame)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stopsearch_app.domain.records import FIELDS, FieldKind, dtype_for

DEFAULT_ROWS = 3000
DEFAULT_SEED = 20250227  # the charter's publication date
DEFAULT_START = "2025-03-01"
DEFAULT_MONTHS = 6
FORCE = "metropolitan"

# The columns this extract maps: every canonical field (a full local extract).
SYNTHETIC_FIELDS = frozenset(field.name for field in FIELDS)

# Borough, BCU, BCU code, centroid.
BOROUGHS = (
    ("Hackney", "Central East", "CE", 51.545, -0.055),
    ("Tower Hamlets", "Central East", "CE", 51.515, -0.035),
    ("Haringey", "North Area", "NA", 51.590, -0.110),
    ("Enfield", "North Area", "NA", 51.652, -0.081),
    ("Lambeth", "Central South", "AS", 51.460, -0.117),
    ("Southwark", "Central South", "AS", 51.480, -0.080),
    ("Newham", "North East", "NE", 51.530, 0.030),
    ("Croydon", "South Area", "SN", 51.372, -0.100),
)
STREETS = ("High Street", "Station Road", "Church Lane", "Park Road", "Market Parade", "Mill Lane", "Green Walk",
           "Canal Path", "Victoria Road", "The Broadway")

LEGISLATION = {
    "PACE_S1": "Police and Criminal Evidence Act 1984 (section 1)",
    "MDA_S23": "Misuse of Drugs Act 1971 (section 23)",
    "FA_S47": "Firearms Act 1968 (section 47)",
    "CJA_S139B": "Criminal Justice Act 1988 (section 139B)",
    "CJPOA_S60": "Criminal Justice and Public Order Act 1994 (section 60)",
    "PSA": "Psychoactive Substances Act 2016 (s36(2))",
    "TA_S43": "Terrorism Act 2000 (section 43)",
}
OBJECTS = {
    "PACE_S1": (("Stolen goods", 4), ("Offensive weapons", 4), ("Article for use in theft", 2),
                ("Articles for use in criminal damage", 1), ("Fireworks", 0.3)),
    "MDA_S23": (("Controlled drugs", 1),),
    "FA_S47": (("Firearms", 1),),
    "CJA_S139B": (("Offensive weapons", 1),),
    "CJPOA_S60": (("Offensive weapons", 3), ("Anything to threaten or harm anyone", 1)),
    "PSA": (("Psychoactive substances", 1),),
    "TA_S43": (("Evidence of offences under the Act", 1),),
}
SDE_BY_GROUP = {
    "White": ("White - English/Welsh/Scottish/Northern Irish/British", "White - Any other White background",
              "White - Irish"),
    "Black": ("Black/African/Caribbean/Black British - Caribbean", "Black/African/Caribbean/Black British - African",
              "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background"),
    "Asian": ("Asian/Asian British - Bangladeshi", "Asian/Asian British - Pakistani", "Asian/Asian British - Indian",
              "Asian/Asian British - Any other Asian background"),
    "Mixed": ("Mixed/Multiple ethnic groups - White and Black Caribbean",
              "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background"),
    "Other": ("Other ethnic group - Any other ethnic group", "Other ethnic group - Arab"),
}
ETHNIC_WEIGHTS = (("White", 34), ("Black", 38), ("Asian", 14), ("Mixed", 8), ("Other", 6))
OUTCOMES = {  # canonical code -> (current police.uk spelling, legacy spelling)
    "nfa": ("A no further action disposal", "Nothing found - no further action"),
    "arrest": ("Arrest", "Suspect arrested"),
    "community_resolution": ("Community resolution", "Local resolution"),
    "cannabis_warning": ("Khat or Cannabis warning", "Offender given drugs possession warning"),
    "summons": ("Summons / charged by post", "Suspect summonsed to court"),
    "caution": ("Caution (simple or conditional)", "Offender cautioned"),
    "penalty_notice": ("Penalty Notice for Disorder", "Offender given penalty notice"),
    "other": ("Article found - Detailed outcome unavailable", "Article found - Detailed outcome unavailable"),
}

# Grounds texts by quality. {street} and {cad} are filled in; the person is never named.
GROUNDS_EXCELLENT = (
    "Officers received CAD {cad} reporting a male matching the description of a robbery suspect on {street} twenty "
    "minutes earlier. The subject was seen to discard a black bag under a parked car as officers approached and was "
    "holding his waistband as if concealing an item.",
    "Intelligence from the local neighbourhood team that the subject is supplying class A drugs from {street}. "
    "Officers then observed a hand to hand exchange with a cyclist, after which the subject placed a small package "
    "into his sock.",
    "CCTV operator in the control room reported the subject passing a knife to another male outside the shops on "
    "{street}; the subject matched the clothing description given and was seen placing an object into his bag.",
    "Information received via CAD {cad} that a group were selling drugs by the bus stop on {street}. The subject was "
    "observed for five minutes making three short exchanges with passers by and concealing items in a drain.",
)
GROUNDS_BEHAVIOUR = (
    "Subject was observed handing a small package to a driver in exchange for cash outside the chicken shop on "
    "{street}, then placing something into his sock when he noticed the marked police car.",
    "Subject was seen trying car door handles along {street} and looking through windows with a torch, and there "
    "was a screwdriver visible in his jacket pocket when officers approached him.",
    "Officers saw the subject take a bottle of perfume from the shop display on {street} and conceal it inside "
    "his coat before walking past the tills without paying for it.",
)
GROUNDS_CANNABIS_ONLY = (
    "Officers on foot patrol detected a strong smell of cannabis emanating from the subject as he walked past them "
    "on {street} near the parade of shops in the early evening.",
    "Strong smell of cannabis coming from the subject when officers spoke to him on {street} about his journey "
    "home this evening after college.",
    "Smell of cannabis.",
)
GROUNDS_CANNABIS_PLUS = (
    "Strong smell of cannabis from the subject on {street}, and a grinder and rolling papers were visible in his "
    "open bag; neighbourhood intelligence that he sells cannabis in the park.",
    "Smell of cannabis from the vehicle and the subject was seen rolling a joint in the driver's seat on {street} "
    "as officers walked up to the car.",
)
GROUNDS_PERSONAL_ONLY = (
    "Subject is known to police for drugs and was in a high crime area late at night wearing a dark hoodie, and "
    "appeared nervous when officers walked past him on {street}.",
    "Group of youths in a known drug area on {street}; one of them is a known gang nominal with previous convictions "
    "for carrying knives, so all of the group were searched.",
    "Young male in a tracksuit with his hood up loitering on {street}, which is a hotspot for robbery; he avoided "
    "eye contact with officers and looked shifty throughout.",
)
GROUNDS_RETROSPECTIVE = (
    "Male refused to answer questions about where he was going and became aggressive when stopped on {street}, "
    "so a search was conducted and cannabis was found in his pocket.",
    "Subject gave evasive answers when questioned about his address and could not explain why he was on {street} "
    "at that time, and he became agitated when officers asked to look in his bag.",
)
GROUNDS_TOO_SHORT = ("Suspicious behaviour.", "Acting shifty near cars.", "Drugs.", "Seen in the area, looked nervous.")
GROUNDS_WITH_FICTITIOUS_DETAILS = (
    "Information from caller Ms Jane Example (tel 07700 900123) that a male at 1 Example Street, London ZZ99 9ZZ "
    "was selling drugs from a blue holdall; the subject matches the description given and was seen handing over "
    "a wrap on {street}.",
    "CAD {cad}: Mr John Sample of 22 Sample Road, London ZZ99 1ZZ, phone 07700 900456, reported a youth with a "
    "knife outside his house; the subject matched the description and was seen to hide something in a hedge.",
)
GROUNDS_S60 = (
    "Section 60 authorisation in force for the area following a stabbing on {street} last night.",
    "Within s60 area; searched under the authorisation.",
)
# Officers write their own words for each search: the templates above are varied per record with the
# pieces below (openers, closers, a few synonyms), so near-identical grounds (rule G5) come from the
# minority who copy and paste: CANNED_OFFICER_SHARE of officers reuse their first text for most of their
# later searches, and a few searches carry one of the team's stock phrases. None of these words is in
# resources/charter/phrases.toml, so a record's G1-G4 verdicts stay those of its template.
WHEN = ("At about {hh}:{mm}", "Shortly after {hh}:{mm}", "Just before {hh}:{mm}", "At {hh}:{mm} hours",
        "In the early evening", "Late in the afternoon", "Just after midnight", "During the morning rush hour",
        "Towards the end of our shift", "Soon after the schools finished for the day")
WHO = ("I was on foot patrol with a colleague", "my colleague and I were on mobile patrol in a marked car",
       "two officers from the local team were on patrol", "I was single crewed in a marked vehicle",
       "we were parked up in the carrier", "we were out in an unmarked car",
       "I was on duty with the neighbourhood team", "we were driving back to the station after an arrest",
       "we had been sent to the parade of shops", "we were finishing an unrelated job nearby",
       "I was on a high visibility patrol", "my sergeant and I were walking the beat")
WHERE = ("", " near the bus stop", " by the station entrance", " outside the library", " close to the park gates",
         " next to the off licence", " at the junction", " by the cash machines", " outside the launderette",
         " along the footpath behind the flats")
CLOSE = ("They were told why they were being searched and what we were looking for.",
         "I explained the grounds, my name and my station before the search began.",
         "The search was recorded on my body-worn video from the start.",
         "They were given the search reference and told how to get a copy of the record.",
         "They were cooperative throughout and the search took a few minutes.",
         "My colleague stayed with them while I completed the record.",
         "The reason for the search was put to them in plain words and they said they understood.",
         "I asked for a colleague of the same sex to be present for the search.",
         "The search took place out of public view at their request.",
         "They were reminded that they could have a copy of the record later.")
SYNONYMS = {"The subject": ("The subject", "The male", "The person", "This individual"),
            "the subject": ("the subject", "the male", "the person", "this individual"),
            "Officers": ("Officers", "We", "My colleague and I", "Two of us"),
            "officers": ("officers", "police", "PCs")}
WORD_SWAPS = {"male": ("man", "male"), "car": ("vehicle", "motor"), "bag": ("rucksack", "holdall"),
              "shop": ("store", "newsagent"), "shops": ("stores", "parade"), "small": ("little", "tiny"),
              "outside": ("in front of", "just outside"),
              "near": ("close to", "by"), "package": ("parcel", "item", "packet"), "cash": ("money", "notes"),
              "strong": ("overpowering", "heavy", "very strong"), "walked": ("went", "was walking"),
              "evening": ("night", "evening time"), "minutes": ("mins", "minutes or so"),
              "approached": ("came up to him", "got closer", "walked over"), "description": ("details", "descriptions"),
              "matching": ("fitting", "that fitted"), "placed": ("put", "pushed"), "placing": ("putting", "pushing"),
              "holding": ("gripping", "keeping hold of"), "driver": ("motorist", "man in a car"),
              "group": ("crowd", "gathering"), "late": ("later", "very late"), "reported": ("said", "told us about"),
              "earlier": ("before", "beforehand"), "park": ("green", "rec"), "questions": ("what we asked", "our questions"), "home": ("back home", "to his flat")}
_SWAP = re.compile(r"\b(" + "|".join(sorted(WORD_SWAPS, key=len, reverse=True)) + r")\b")
STOCK_GROUNDS = (
    "Stopped as part of an operation targeting the supply of drugs in the borough, the person matched the "
    "profile given at the briefing and was stopped to prevent offences being committed.",
    "Person stopped following a briefing on recent robberies in the vicinity; the person matched the general "
    "description circulated to the team at the start of the shift.",
)
CANNED_OFFICER_SHARE = 0.08
CANNED_REUSE = 0.75
STOCK_SHARE = 0.012
EIP_JUSTIFICATION_GOOD = (
    "Intelligence that the subject conceals drugs in his underwear, and he was seen to push an item down the front "
    "of his trousers when officers approached. Searched at the station by two officers of the same sex.",
    "Subject was seen placing wraps inside his waistband on CCTV; a package could be felt in the groin area during "
    "the outer search, which gives a separate reason to expose intimate parts.",
)
EIP_JUSTIFICATION_ROUTINE = (
    "Nothing found in the outer search so a further search was carried out to complete the search.",
    "Standard procedure after a negative outer search.",
)
BWV_REASONS = ("Camera battery failed at the start of the encounter", "Officer on plain-clothes duty without a camera",
               "Camera not issued on this shift")
FORCE_REASONS = ("Subject tried to run from officers", "Subject pulled away during the search and lashed out",
                 "Officer safety: report of a knife")
AA_INVALID_REASONS = ("aa not available", "Parent could not be contacted")


@dataclass
class _Person:
    ref: str | None
    status: str  # child | adult | unknown
    age: int | None
    appears_under_18: bool | None
    age_range: str | None
    gender: str
    sde: str | None
    ode: str


class _Generator:
    """One pass over the rows; every choice comes from one seeded ``random.Random``."""

    def __init__(self, rows: int, seed: int, start: str, months: int) -> None:
        self.rows, self.random = rows, random.Random(seed)
        self.start = pd.Timestamp(start)
        self.end = self.start + pd.DateOffset(months=months)
        self.officers = [(f"OFC-{self.random.randrange(1000, 9999)}", borough) for borough in range(len(BOROUGHS))
                         for _ in range(15)]
        self.cad = 1000
        # The wording has its own stream, so the records' other fields are those of the same seed before.
        self.wording = random.Random(seed ^ 0x6E5)

    # -- helpers --------------------------------------------------------------------------------------
    def chance(self, probability: float) -> bool:
        return self.random.random() < probability

    def pick(self, weighted: tuple[tuple[Any, float], ...]) -> Any:
        values, weights = zip(*weighted)
        return self.random.choices(values, weights=weights)[0]

    def person_ref(self) -> str:
        return f"PRS-{self.random.getrandbits(32):08x}"

    def local_time(self) -> pd.Timestamp:
        days = (self.end - self.start).days
        hour = self.pick(tuple((h, w) for h, w in enumerate(
            (2, 1, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 8, 8, 7, 6, 5, 4, 3))))
        return self.start + pd.Timedelta(days=self.random.randrange(days), hours=hour,
                                         minutes=self.random.randrange(60))

    # -- people ---------------------------------------------------------------------------------------
    def new_person(self, status: str | None = None) -> _Person:
        status = status or self.pick((("child", 15), ("adult", 83), ("unknown", 2)))
        gender = self.pick((("male", 88), ("female", 11), ("other", 1)))
        group = self.pick(ETHNIC_WEIGHTS)
        sde = self.random.choice(SDE_BY_GROUP[group])
        if self.chance(0.03):
            sde = "Other ethnic group - Not stated"
        elif self.chance(0.02):
            sde = "Black or Black British - Caribbean (B1)" if group == "Black" else "White - White British (W1)"
        ode = group if self.chance(0.9) else self.pick(ETHNIC_WEIGHTS)
        age = appears = age_range = None
        if status == "child":
            if self.chance(0.10):  # only "appears under 18": no exact age, no range
                appears = True
            else:
                age = self.pick(((8, 1), (9, 1.5), (10, 3), (11, 4), (12, 6), (13, 9), (14, 14), (15, 20), (16, 22),
                                 (17, 20)))
                appears = True if self.chance(0.5) else None
                age_range = "under 10" if age < 10 else "10-17"
        elif status == "adult":
            age = self.pick(((self.random.randrange(18, 25), 45), (self.random.randrange(25, 35), 30),
                             (self.random.randrange(35, 60), 25)))
            age_range = "18-24" if age < 25 else "25-34" if age < 35 else "over 34"
            appears = False if self.chance(0.3) else None
        return _Person(self.person_ref(), status, age, appears, age_range, gender, sde, ode)

    def people_for_rows(self) -> list[_Person]:
        """One person per row; some children (and adults) searched three to five times."""
        people: list[_Person] = []
        for _ in range(max(3, self.rows // 250)):
            child = self.new_person("child")
            people.extend([child] * self.random.randint(3, 5))
        for _ in range(max(1, self.rows // 600)):
            adult = self.new_person("adult")
            people.extend([adult] * 3)
        people = people[: self.rows // 2]
        while len(people) < self.rows:
            people.append(self.new_person())
        self.random.shuffle(people)
        return people

    # -- one search -----------------------------------------------------------------------------------
    def search(self, person: _Person) -> dict[str, object]:
        r: dict[str, object] = {"force": FORCE}
        r["search_type"] = self.pick((("person", 86), ("person_and_vehicle", 9), ("vehicle", 5)))
        vehicle_only = r["search_type"] == "vehicle"

        # Who: a vehicle-only search usually records no person (a few do: Q3 review).
        if vehicle_only and not self.chance(0.08):
            person = _Person(None, "unknown", None, None, None, "", None, "")
            r.update(gender=None, age_range=None, age_years=None, appears_under_18=None, self_defined_ethnicity=None,
                     officer_defined_ethnicity=None, person_ref=None)
        else:
            r.update(gender=person.gender, age_range=person.age_range, age_years=person.age,
                     appears_under_18=person.appears_under_18, self_defined_ethnicity=person.sde,
                     officer_defined_ethnicity=person.ode,
                     person_ref=person.ref if self.chance(0.95) else None)
            if self.chance(0.01):
                r["self_defined_ethnicity"] = None
        child = person.status == "child"
        unknown_age = person.status == "unknown"

        # Where and when.
        borough_index = self.random.randrange(len(BOROUGHS))
        borough, bcu, bcu_code, lat, lon = BOROUGHS[borough_index]
        street = self.random.choice(STREETS)
        r.update(borough=borough, bcu=bcu, occurred_local=self.local_time())
        r["location_text"] = f"{street}, {borough}" if self.chance(0.97) else None
        located = self.chance(0.97)
        r["latitude"] = round(lat + self.random.uniform(-0.02, 0.02), 6) if located else None
        r["longitude"] = round(lon + self.random.uniform(-0.03, 0.03), 6) if located else None
        r["part_of_operation"] = self.chance(0.03)
        r["operation_name"] = "Operation Synthetic North" if r["part_of_operation"] else None

        # Power and object.
        if child and self.chance(0.05):
            power = "CJA_S139B"
        else:
            power = self.pick((("MDA_S23", 56), ("PACE_S1", 25), ("CJPOA_S60", 7), ("FA_S47", 3), ("CJA_S139B", 1),
                               ("PSA", 1), ("TA_S43", 0.5)))
        r["power_code"] = power
        r["legislation"] = LEGISLATION[power]
        r["object_of_search"] = self.pick(OBJECTS[power])
        if self.chance(0.015):  # recorded against the wrong object (L2 review)
            r["object_of_search"] = self.random.choice(("Stolen goods", "Controlled drugs", "Firearms"))
        suspicionless = power == "CJPOA_S60"

        # Level and place of the search.
        level = self.pick((("outer", 84), ("mts", 9), ("eip", 7 if child else 2)))
        if suspicionless and level == "eip":
            level = "mts"
        if vehicle_only:
            level = "outer"
        r["search_level"] = level
        if level == "eip":
            location = self.pick((("police_station", 78), ("police_vehicle", 6), ("school", 4), ("home", 6),
                                  ("other", 6)))
        elif level == "mts":
            location = self.pick((("police_vehicle", 50), ("police_station", 25), ("street", 20), ("other", 5)))
        elif power == "CJA_S139B":
            location = "school" if self.chance(0.85) else "street"
        else:
            location = self.pick((("street", 86), ("home", 3), ("other", 6), ("school", 3 if child else 0.2),
                                  ("police_station", 0.5)))
        r["location_type"] = location if self.chance(0.98) else None
        r["removal_more_than_outer"] = (level != "outer") if self.chance(0.98) else None
        if level == "outer":
            r["in_public_view"] = True if self.chance(0.7) else None
            r["searcher_same_sex"] = True if self.chance(0.5) else None
            r["persons_present_count"] = None
        else:
            r["in_public_view"] = self.pick(((False, 90), (True, 6), (None, 4)))
            r["searcher_same_sex"] = self.pick(((True, 91), (False, 6), (None, 3)))
            r["persons_present_count"] = self.pick(((2, 50), (3, 30), (1, 15), (None, 5)))

        # Appropriate adult, authorisation, justification, parent, safeguarding (EIP of a child).
        r.update(aa_present=None, aa_absence_reason=None, aa_signed_record=None, authorisation_ref=None,
                 authorising_rank=None, authorised_at_offset_hours=None, eip_justification_text=None,
                 parent_notified=None, safeguarding_referral_ref=None)
        if level == "eip":
            r["eip_justification_text"] = self.pick(((self.random.choice(EIP_JUSTIFICATION_GOOD), 70), (None, 12),
                                                     (self.random.choice(EIP_JUSTIFICATION_ROUTINE), 18)))
        if level == "eip" and (child or unknown_age):
            aa = self.pick((("present", 68), ("urgency", 6), ("declined_signed", 5), ("declined_unsigned", 4),
                            ("invalid", 6), ("none", 7), ("blank", 4)))
            r["aa_present"] = {"present": True, "blank": None}.get(aa, False)
            r["aa_absence_reason"] = {"urgency": "urgency_serious_harm", "declined_signed": "child_declined_aa_agreed",
                                      "declined_unsigned": "child_declined_aa_agreed",
                                      "invalid": self.random.choice(AA_INVALID_REASONS)}.get(aa)
            r["aa_signed_record"] = {"declined_signed": True, "declined_unsigned": False}.get(aa)
            authorisation = self.pick((("inspector", 62), ("chief inspector", 10), ("none", 10), ("sergeant", 6),
                                       ("after", 5), ("no_time", 5), ("odd_rank", 2)))
            if authorisation != "none":
                r["authorisation_ref"] = f"MTIP-{bcu_code}-{self.random.randrange(100, 999)}"
                r["authorising_rank"] = {"sergeant": "Sergeant", "odd_rank": "Insp (acting)",
                                         "chief inspector": "Chief Inspector"}.get(authorisation, "Inspector")
                r["authorised_at_offset_hours"] = {"after": -0.25, "no_time": None}.get(
                    authorisation, self.random.uniform(0.1, 0.6))
            r["parent_notified"] = self.pick(((True, 65), (False, 20), (None, 15)))
            r["safeguarding_referral_ref"] = f"SGR-2025-{self.random.randrange(10000, 99999)}" if self.chance(0.6) else None
        if suspicionless:
            authorisation = self.pick((("ok", 78), ("no_ref", 5), ("sergeant", 4), ("no_rank", 3), ("extension", 4),
                                       ("expired", 3), ("before", 2), ("no_time", 1)))
            r["authorisation_ref"] = None if authorisation == "no_ref" else f"S60-{bcu_code}-{self.random.randrange(10, 99)}"
            r["authorising_rank"] = {"sergeant": "PS", "no_rank": None}.get(
                authorisation, self.pick((("Inspector", 5), ("Ch Insp", 2), ("Supt", 1))))
            r["authorised_at_offset_hours"] = {"extension": self.random.uniform(25, 46), "expired": 60.0,
                                               "before": -1.0, "no_time": None}.get(
                authorisation, self.random.uniform(0.5, 20))
        if child:
            r["safeguarding_considered"] = self.pick(((True, 75), (False, 12), (None, 13)))
            if r["safeguarding_considered"] and r["safeguarding_referral_ref"] is None and self.chance(0.2):
                r["safeguarding_referral_ref"] = f"SGR-2025-{self.random.randrange(10000, 99999)}"
            if r["parent_notified"] is None and self.chance(0.4):
                r["parent_notified"] = True
        else:
            r["safeguarding_considered"] = None

        # Grounds.
        r["grounds_text"] = self.grounds(suspicionless).format(street=f"{street}, {borough}", cad=self.next_cad())
        r["grounds_own_words"] = not suspicionless

        # Conduct.
        activated = self.pick(((True, 94), (False, 4), (None, 2)))
        r["bwv_activated"] = activated
        r["bwv_from_outset"] = (self.pick(((True, 92), (False, 8))) if activated else
                                False if activated is False else None)
        needs_reason = activated is False or r["bwv_from_outset"] is False
        r["bwv_not_used_reason"] = self.random.choice(BWV_REASONS) if needs_reason and self.chance(0.45) else None
        gowisely = {f"gowisely_{item}": True for item in ("grounds", "object", "warrant_card", "identity", "station",
                                                            "entitlement", "legal_power", "detained")}
        gap = self.pick((("none", 84), ("not_given", 10), ("blank", 4), ("both", 2)))
        items = list(gowisely)
        if gap in ("not_given", "both"):
            for item in self.random.sample(items, self.random.randint(1, 2)):
                gowisely[item] = False
        if gap in ("blank", "both"):
            for item in self.random.sample(items, self.random.randint(1, 3)):
                gowisely[item] = None
        r.update(gowisely)
        r["in_uniform"] = self.pick(((True, 94), (False, 5), (None, 1)))
        r["receipt_offered"] = self.pick(((True, 90), (False, 6), (None, 4)))
        r["handcuffed"] = self.pick(((True, 9), (False, 89), (None, 2)))
        r["force_used"] = self.pick(((True, 4), (False, 94), (None, 2)))
        used = r["handcuffed"] or r["force_used"]
        r["force_reason"] = self.random.choice(FORCE_REASONS) if used and self.chance(0.75) else None
        r["detention_minutes"] = self.pick(((self.random.randint(3, 20), 90), (self.random.randint(21, 75), 7),
                                            (None, 3)))

        # Officer and vehicle.
        officer, officer_borough = self.random.choice(self.officers)
        r["officer_ref"] = officer if self.chance(0.98) else None
        station_code = BOROUGHS[officer_borough][2]
        r["officer_station"] = f"STN-{station_code}-{officer_borough + 1:02d}" if self.chance(0.98) else None
        if r["search_type"] != "person":
            r["vehicle_reg"] = (f"ZZ{self.random.randrange(10, 75)} "
                                f"{''.join(self.random.choices('ABCDEFGHJKLMNPRSTUVWXY', k=3))}"
                                if self.chance(0.92) else None)
        else:
            r["vehicle_reg"] = None

        # Outcome.
        outcome = self.outcome(power, child)
        r["outcome_code_planned"] = outcome
        r["outcome"] = OUTCOMES[outcome][1 if self.chance(0.1) else 0]
        if outcome == "nfa":
            r["outcome_linked"] = True if self.chance(0.01) else False  # a few contradictions (Q2)
        elif outcome in ("arrest", "summons", "caution"):
            r["outcome_linked"] = self.pick(((True, 68), (False, 30), (None, 2)))
        else:
            r["outcome_linked"] = self.pick(((True, 85), (False, 13), (None, 2)))
        return r

    def grounds(self, suspicionless: bool) -> str:
        if suspicionless:
            return self.random.choice(GROUNDS_S60) if self.chance(0.6) else ""
        tier = self.pick(((GROUNDS_EXCELLENT, 33), (GROUNDS_BEHAVIOUR, 25), (GROUNDS_CANNABIS_ONLY, 12),
                          (GROUNDS_CANNABIS_PLUS, 8), (GROUNDS_PERSONAL_ONLY, 8), (GROUNDS_RETROSPECTIVE, 5),
                          (GROUNDS_TOO_SHORT, 4), (("",), 3), (GROUNDS_WITH_FICTITIOUS_DETAILS, 2)))
        return self.random.choice(tier)

    def vary(self, text: str) -> str:
        """The template in one officer's words for one search: an opener, a few synonyms, a closer."""
        rng = self.wording
        for word, choices in SYNONYMS.items():
            if word in text and rng.random() < 0.6:
                text = text.replace(word, rng.choice(choices), 1)
        text = _SWAP.sub(lambda m: rng.choice(WORD_SWAPS[m.group(1)]) if rng.random() < 0.6 else m.group(1), text)
        if rng.random() < 0.9:
            when = rng.choice(WHEN).format(hh=f"{rng.randrange(24):02d}", mm=f"{rng.randrange(60):02d}")
            text = f"{when} {rng.choice(WHO)}{rng.choice(WHERE)}. {text}"
        closers = rng.sample(CLOSE, rng.choice((0, 1, 1, 2)))
        return " ".join([text, *closers])

    def own_words(self, frame: pd.DataFrame) -> list[str | None]:
        """Each record's grounds, varied, except for the copy-and-paste minority (in time order: an
        officer's canned text is the first they wrote)."""
        rng = self.wording
        canned_officers = {officer for officer, _borough in self.officers if rng.random() < CANNED_OFFICER_SHARE}
        first_text: dict[str, str] = {}
        out: list[str | None] = []
        for text, officer, own in zip(frame["grounds_text"], frame["officer_ref"], frame["grounds_own_words"]):
            if not own or not text or len(str(text).split()) < 8:  # s60, blank and too-short grounds stay as they are
                out.append(text)
                continue
            if rng.random() < STOCK_SHARE:
                out.append(rng.choice(STOCK_GROUNDS))
                continue
            if officer in canned_officers:
                if officer in first_text and rng.random() < CANNED_REUSE:
                    out.append(first_text[officer])
                    continue
                first_text.setdefault(officer, self.vary(str(text)))
                out.append(first_text[officer])
                continue
            out.append(self.vary(str(text)))
        return out

    def outcome(self, power: str, child: bool) -> str:
        weights = [("nfa", 68), ("arrest", 15), ("community_resolution", 5), ("summons", 3), ("caution", 1),
                   ("other", 2)]
        if power == "MDA_S23":
            weights.append(("cannabis_warning", 6))
        if not child:
            weights.append(("penalty_notice", 1))
        return self.pick(tuple(weights))

    def next_cad(self) -> str:
        self.cad += self.random.randint(1, 40)
        return f"{self.cad:04d}"

    # -- the whole extract ----------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        rows = [self.search(person) for person in self.people_for_rows()]
        frame = pd.DataFrame(rows)
        local = pd.DatetimeIndex(frame.pop("occurred_local"))
        occurred = local.tz_localize("Europe/London", ambiguous=np.zeros(len(local), dtype=bool),
                                     nonexistent="shift_forward").tz_convert("UTC")
        frame["occurred_at"] = occurred
        offsets = pd.to_numeric(frame.pop("authorised_at_offset_hours"), errors="coerce")
        frame["authorised_at"] = frame["occurred_at"] - pd.to_timedelta(offsets, unit="h")
        frame = frame.sort_values("occurred_at", kind="stable").reset_index(drop=True)
        frame["source_ref"] = [f"MPS-SS-{number:06d}" for number in range(1, len(frame) + 1)]
        frame["grounds_text"] = self.own_words(frame)
        frame = frame.drop(columns=["grounds_own_words"])
        frame = frame.drop(columns=["power_code", "outcome_code_planned"])
        self.plant_rare_cases(frame)
        return _canonical(frame)

    def plant_rare_cases(self, frame: pd.DataFrame) -> None:
        """A handful of records every rule set should see: rare enough that chance might miss them."""
        n = len(frame)

        def positions(count: int, mask: pd.Series | None = None) -> list[int]:
            pool = list(frame.index[mask]) if mask is not None else list(frame.index)
            return self.random.sample(pool, min(count, len(pool)))

        children = frame["age_years"].lt(18) & frame["age_years"].notna()
        # Intimate searches (S8): never lawful under a stop-and-search power.
        for index in positions(max(2, n // 1000)):
            frame.loc[index, ["search_level", "removal_more_than_outer", "location_type"]] = ["intimate", True,
                                                                                              "police_station"]
        # Legal power blank or not a power (L1).
        for index in positions(max(2, n // 1000)):
            frame.loc[index, "legislation"] = None
        for index in positions(max(2, n // 1500)):
            frame.loc[index, "legislation"] = "Stop and account (no power)"
        # Unknown vocabulary (Q1).
        for index in positions(2):
            frame.loc[index, "gender"] = "M"
        for index in positions(1):
            frame.loc[index, "outcome"] = "Released"
        # A child under 10 arrested (K3 fail), and one with only the police.uk range.
        for index in positions(1, children & frame["age_years"].ge(8) & frame["age_years"].lt(10)):
            frame.loc[index, ["outcome", "outcome_linked"]] = ["Arrest", False]
        for index in positions(1, children):
            frame.loc[index, ["age_years", "age_range", "appears_under_18"]] = [None, "under 10", None]
        # s139B used away from a school (L4 review) and at a school (L4 pass).
        for index, location in zip(positions(2, frame["legislation"].eq(LEGISLATION["PACE_S1"]) & children),
                                   ("street", "school")):
            frame.loc[index, ["legislation", "object_of_search", "location_type"]] = [
                LEGISLATION["CJA_S139B"], "Offensive weapons", location]


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Every canonical column, in records.py order, in its nullable dtype."""
    columns = {}
    for field in FIELDS:
        values = frame[field.name] if field.name in frame else pd.Series(None, index=frame.index, dtype=object)
        if field.kind is FieldKind.DATETIME:
            columns[field.name] = pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
        elif field.kind in (FieldKind.BOOL, FieldKind.INT, FieldKind.FLOAT):
            columns[field.name] = values.astype(object).where(values.notna(), None).astype(dtype_for(field.name))
        else:
            columns[field.name] = values.astype(object).where(values.notna() & values.ne(""), None)
    return pd.DataFrame(columns, index=frame.index)


def generate_extract(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, start: str = DEFAULT_START,
                     months: int = DEFAULT_MONTHS) -> pd.DataFrame:
    """The synthetic extract: ``rows`` searches over ``months`` months from ``start``, canonical columns."""
    if rows < 100:
        raise ValueError("the synthetic extract needs at least 100 rows to cover every rule")
    if not 1 <= months <= 12:
        raise ValueError("months must be between 1 and 12")
    return _Generator(rows, seed, start, months).frame()


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO 8601 UTC text (Excel has no time zones); everything else as is."""
    out = frame.copy()
    for field in FIELDS:
        if field.kind is FieldKind.DATETIME and field.name in out:
            column = out[field.name]
            out[field.name] = column.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").where(column.notna(), None)
    return out


def write_csv(path: str | Path, frame: pd.DataFrame | None = None) -> Path:
    """Write the extract (generated with the defaults if not given) as UTF-8 CSV with canonical headers."""
    path = Path(path)
    _for_file(generate_extract() if frame is None else frame).to_csv(path, index=False, encoding="utf-8")
    return path


def write_xlsx(path: str | Path, frame: pd.DataFrame | None = None) -> Path:
    """Write the extract as an XLSX workbook (one sheet, canonical headers)."""
    path = Path(path)
    _for_file(generate_extract() if frame is None else frame).to_excel(path, index=False, sheet_name="searches",
                                                                       engine="openpyxl")
    return path
