"""A labelled set for redaction: realistic grounds texts, written for the tests, with planted personal
details of every kind (names, phones, postcodes, streets, places, e-mails, dates of birth, vehicles,
schools, references). Every value is generated here from pools of its own (seeded), not read from the
redaction lists, so the set can catch what the lists miss; see test_redaction_recall.py.

Each planted item is ``(kind, secret)``: ``secret`` is the identifying text that must not survive; a cue
word the template writes around it ("CAD", "DOB", "reg", "Road") is ordinary text, not the secret.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

KINDS = ("name", "phone", "postcode", "street", "place", "email", "dob", "vehicle", "school", "reference")

FIRST = ["Tyrone", "Kwame", "Aisha", "Jerome", "Chidi", "Abdi", "Priya", "Mohammed", "Shanice", "Leon", "Tobi",
         "Femi", "Kofi", "Ayesha", "Imran", "Jamal", "Kemi", "Dwayne", "Hodan", "Rahul", "Olivia", "Jack",
         "Harvey", "Amara", "Zainab", "Kayden", "Reece", "Jaspreet", "Omari", "Ngozi", "Tendai", "Malik",
         "Deshawn", "Keisha", "Yusuf", "Ravi", "Callum", "Mason", "Ibrahim", "Efua"]
LAST = ["Smith", "Mensah", "Okafor", "Boateng", "Patel", "Khan", "Begum", "Campbell", "Williams", "Osei",
        "Adeyemi", "Hussain", "Ahmed", "Jones", "Brathwaite", "Owusu", "Singh", "Rahman", "Gayle", "Asante",
        "Okonkwo", "Chowdhury", "Yeboah", "Mohamud", "Sesay", "Thompson", "Kamara", "McKenzie", "Iqbal", "Nwosu"]
# Names outside any list: found only by a title, a cue, or beside a listed name.
UNLISTED_FIRST = ["Jerrell", "Tavion", "Kemoy", "Shakeel", "Oluwadamilare", "Kerry-Ann", "Jahmal", "Tremaine",
                  "Naveen", "Adebisi", "Rakeem", "Zaviyar"]
UNLISTED_LAST = ["Whitely", "Ogunsanya", "Fairweather", "Mbatha", "Pemberton", "Akintola", "Rowntree",
                 "Dzokoto", "Hollingsworth", "Ferreira-Lopes", "Nkemelu", "Blackwood"]
TITLES = ["Mr", "Ms", "Mrs", "Miss", "PC", "Sgt", "DC"]
CUES = ["named", "known as", "his friend", "her brother", "the male", "with"]

STREET_FIRST = ["Coldharbour", "Railton", "Acre", "Effra", "Shakespeare", "Atlantic", "Mandela", "Rye",
                "Bellenden", "Old Kent", "Albany", "Stockwell Park", "Loughborough", "Somerleyton", "Barrington",
                "Wyndham", "Camberwell Grove", "Peckham Rye", "Holland Park", "Gresham", "Moorland", "Tulse",
                "Denmark", "Cranbrook", "Landor", "Villa", "Hillsborough", "Ferndale", "Dalberg", "Geneva"]
STREET_SUFFIX = ["Lane", "Road", "Street", "Estate", "Avenue", "Gardens", "Crescent", "Close", "Way", "Grove",
                 "Terrace", "Square", "Walk", "Place", "Mews", "Drive", "Court", "Park"]
PLACES = ["Brixton", "Peckham", "Tottenham", "Hackney", "Lewisham", "Croydon", "Stratford", "Walthamstow",
          "Camberwell", "Stockwell", "Clapham", "Streatham", "Tower Hamlets", "Bethnal Green", "Edmonton",
          "Harlesden", "Wembley", "Woolwich", "Deptford", "Catford", "Dalston", "Shoreditch", "Kennington",
          "Vauxhall", "Elephant and Castle", "Southwark", "Lambeth", "Newham", "Ilford", "Enfield", "Barking",
          "Haringey", "Islington", "Kilburn", "Willesden", "Tooting", "Plumstead", "Thornton Heath", "Poplar",
          "Whitechapel"]
SCHOOL_FORMS = ["{a} Academy", "{a} School", "St {s}'s RC Primary School", "St {s}'s C of E Primary School",
                "Harris Academy {p}", "{a} College", "{a} Park School", "{p} Academy", "{a} High School",
                "{a} Sixth Form College", "The {a} School"]
SCHOOL_WORDS = ["Lilian Baylis", "Dunraven", "Charles Edward Brooke", "Evelyn Grace", "Archbishop Tenison",
                "Bishop Thomas Grant", "La Retraite", "Platanos", "Woodmansterne", "Norwood", "Ark Walworth",
                "Sacred Heart", "Trinity", "Beacon", "Hurlingham", "Haberdashers", "Elmgreen", "Kingsdale",
                "Harris Clapham", "Stockwell Park"]
SAINTS = ["Mary", "Anne", "Jude", "Saviour", "Martin", "Andrew", "Luke", "Francis", "Joseph", "Gabriel"]
EMAIL_DOMAINS = ["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "icloud.com", "example.org"]
OUTWARD = ["E8", "E5", "N17", "N15", "SE15", "SE5", "SW2", "SW9", "SE1", "E1", "E15", "N1", "NW10", "W10", "SE18",
           "CR0", "EC1A", "WC2H", "SW16", "SE22", "E17", "N9", "IG1", "RM10"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December", "Jan", "Feb", "Mar", "Sept", "Oct", "Nov"]

# Ordinary grounds sentences (no personal detail) and sentences with one slot each.
ORDINARY = [
    "Officers on foot patrol noticed the youth look over his shoulder and quicken his pace.",
    "He was wearing a black puffer jacket with the hood up and a grey tracksuit.",
    "A strong smell of cannabis came from his clothing when officers spoke to him.",
    "He appeared nervous, avoided eye contact and kept putting his hand into his waistband.",
    "GOWISELY was given in full and he was told the grounds and the object of the search.",
    "The search took place in a quiet side road away from the main road and lasted ten minutes.",
    "Nothing was found and he was given a copy of the record at the scene.",
    "Body-worn video was switched on from the outset of the encounter.",
    "His mother was informed by telephone after the search and a safeguarding referral was considered.",
    "The boy said he was on his way home from school and was scared of being robbed.",
    "Officers explained that he was not under arrest and could leave after the search.",
    "A small bag of herbal substance was seen in his hand before he dropped it near the bus stop.",
    "He ran when he saw the police car and was stopped after a short chase down the road.",
    "Intelligence from the local team said a group had been carrying knives near the estate.",
    "He stated he had nothing on him and was cooperative throughout.",
    "The appropriate adult was not present because none could be found within a reasonable time.",
    "Officers considered whether he appeared to be under 18 and treated him as a child.",
    "A pat down of outer clothing only was carried out in public view.",
    "He was searched by an officer of the same sex and the reasons were explained.",
    "The grounds were discussed with the supervising sergeant before the search began.",
]
SLOTTED = {
    "name": ["Information from a member of the public that {x} was carrying a knife.",
             "The youth gave his name as {x} and was spoken to calmly.",
             "Officers recognised the male as {x}, who was wanted for a robbery.",
             "A witness said that {x} had passed something to a friend.",
             "Spoke to {x} who was with two other boys at the time."],
    "phone": ["The caller left a contact number of {x} and asked to be kept updated.",
              "His mother was called on {x} after the search.",
              "The informant rang from {x} to report the group."],
    "postcode": ["The address given was in {x} and was confirmed on the radio.",
                 "He said he lived at {x} with his grandmother."],
    "street": ["The search took place on {x} near the shops.",
               "He was seen running along {x} towards the station.",
               "Officers were called to {x} after reports of a fight."],
    "place": ["He said he was travelling to {x} to see his cousin.",
              "The group had come over from {x} earlier that evening.",
              "Intelligence linked him to a drugs line operating in {x}."],
    "email": ["The school safeguarding lead can be reached at {x} for follow up.",
              "His social worker gave the address {x} for the referral."],
    "dob": ["He gave his date of birth as {x} which was checked on the PNC.",
            "Date of birth {x} confirmed by his mother.",
            "DOB {x} given verbally at the scene.",
            "He said he was born on {x} and was therefore a child."],
    "vehicle": ["He was seen getting out of a silver Ford Focus, registration {x}, parked on the corner.",
                "The moped had the plate {x} and no insurance.",
                "A black Audi {x} was seen circling the area twice."],
    "school": ["He said he was a pupil at {x} and was on his way there.",
               "His blazer showed he attended {x} nearby.",
               "The school liaison officer at {x} was informed."],
    "reference": ["This was linked to {x} from earlier in the day.",
                  "The search was authorised under {x} by the inspector.",
                  "Details were passed to {x} for the intelligence report.",
                  "Officer {x} conducted the search and completed the record."],
}


@dataclass(frozen=True)
class Planted:
    kind: str
    secret: str


@dataclass(frozen=True)
class LabelledText:
    text: str
    planted: tuple[Planted, ...]
    ordinary: str  # the same text with every planted value left out: the words that must survive


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _letters(rng: random.Random, n: int, alphabet: str = "ABCDEFGHJKLMNOPRSTUVWXYZ") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _case(rng: random.Random, text: str) -> str:
    return rng.choice([text, text, text, text.upper(), text.lower()])


def make_name(rng: random.Random) -> tuple[str, str]:
    """(text as written, secret). Listed names in any case; unlisted ones after a title or cue, beside
    a listed name, or on their own in Title case or upper case."""
    form = rng.randrange(10)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if form == 0:
        value = f"{first} {last}"
    elif form == 1:
        value = f"{first} {last}".upper()
    elif form == 2:
        value = first.lower()
    elif form == 3:
        value = f"{rng.choice(TITLES)} {rng.choice(UNLISTED_LAST)}"
        return value, value.split(" ", 1)[1]
    elif form == 4:
        value = f"{first} {rng.choice(UNLISTED_LAST)}"
    elif form == 5:
        value = f"{rng.choice(UNLISTED_FIRST)} {last}"
    elif form == 6:
        cue = rng.choice(CUES)
        value = f"{cue} {rng.choice(UNLISTED_FIRST)}"
        return value, value[len(cue) + 1:]
    elif form == 7:
        value = f"{first.lower()} {last.lower()}"
    elif form == 8:
        value = f"{rng.choice(UNLISTED_FIRST)} {rng.choice(UNLISTED_LAST)}"
    else:
        value = f"{rng.choice(UNLISTED_FIRST)} {rng.choice(UNLISTED_LAST)}".upper()
    return value, value


def make_phone(rng: random.Random) -> str:
    d3, d4 = _digits(rng, 3), _digits(rng, 4)
    return rng.choice([f"(020) 7946 0{d3}", f"020 7946 0{d3}", f"07700 900{d3}", f"+44 7700 900{d3}",
                       f"+44 (0)20 7946 0{d3}", f"0044 20 7946 0{d3}", f"07700900{d3}", f"0161-496-0{d3}",
                       f"07700 900 {d3}", f"0113 496 0{d3}", f"020-7946-{d4}", f"(0161) 496 0{d3}",
                       f"07{_digits(rng, 3)} {_digits(rng, 6)}", f"+447700900{d3}", f"0208 {_digits(rng, 3)} {d4}"])


def make_postcode(rng: random.Random) -> str:
    code = f"{rng.choice(OUTWARD)} {rng.randrange(10)}{_letters(rng, 2, 'ABDEFGHJLNPQRSTUWXYZ')}"
    return rng.choice([code, code, code.lower(), code.replace(" ", "")])


def make_street(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(STREET_FIRST)} {rng.choice(STREET_SUFFIX)}"
    if rng.random() < 0.3:
        name = f"{rng.randrange(1, 300)} {name}"
    if rng.random() < 0.2 and name.split()[-1] in ("Lane", "Road", "Street", "Estate", "Avenue", "Gardens"):
        name = name.lower()
    return name, name


def make_email(rng: random.Random) -> str:
    local = rng.choice([f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}",
                        f"{rng.choice(FIRST).lower()}{_digits(rng, 2)}", f"{_letters(rng, 1).lower()}{rng.choice(LAST)}"])
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def make_dob(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2006, 2014)
    ordinal = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
    return rng.choice([f"{day:02d}/{month:02d}/{year}", f"{day}/{month}/{year}", f"{day:02d}.{month:02d}.{year % 100:02d}",
                       f"{year}-{month:02d}-{day:02d}", f"{day}{ordinal} {rng.choice(MONTHS)} {year}",
                       f"{day} {rng.choice(MONTHS)} {year}", f"{rng.choice(MONTHS)} {day}, {year}",
                       f"{day:02d}-{month:02d}-{year}", f"{day} {rng.choice(MONTHS)[:3]} {year % 100:02d}"])


def make_vehicle(rng: random.Random) -> str:
    current = f"{_letters(rng, 2)}{rng.randint(10, 74)} {_letters(rng, 3)}"
    return rng.choice([current, current, current.replace(" ", ""), current.lower(),
                       f"{_letters(rng, 1)}{rng.randint(1, 999)} {_letters(rng, 3)}",
                       f"{_letters(rng, 3)} {rng.randint(1, 999)}{_letters(rng, 1)}"])


def make_school(rng: random.Random) -> tuple[str, str]:
    form = rng.choice(SCHOOL_FORMS)
    name = form.format(a=rng.choice(SCHOOL_WORDS), s=rng.choice(SAINTS), p=rng.choice(PLACES))
    name = name.upper() if rng.random() < 0.1 else name
    return name, name


def make_reference(rng: random.Random) -> tuple[str, str]:
    form = rng.randrange(10)
    if form == 0:
        return (value := f"{_letters(rng, 1)}-{_letters(rng, 1)}{_digits(rng, 2)}"), value
    if form == 1:
        return (value := f"OFF{_digits(rng, 3)}"), value
    if form == 2:
        number = f"{_digits(rng, 4)}/{_digits(rng, 2)}"
        return f"CAD {number}", number
    if form == 3:
        number = f"{_digits(rng, 2)}/{_digits(rng, 6)}/{_digits(rng, 2)}"
        return f"CRIS {number}", number
    if form == 4:
        return (value := f"PRS-{_digits(rng, 2)}{_letters(rng, 2).lower()}{_digits(rng, 3)}"), value
    if form == 5:
        return (value := f"{_digits(rng, 2)}/{_digits(rng, 6)}{_letters(rng, 1)}"), value
    if form == 6:
        number = _digits(rng, 4)
        return f"ref {number}", number
    if form == 7:
        return (value := f"{_digits(rng, 4)}{_letters(rng, 2)}"), value
    if form == 8:
        return (value := f"URN {_digits(rng, 2)}{_letters(rng, 2)}{_digits(rng, 7)}"), value.split(" ", 1)[1]
    number = f"{_digits(rng, 4)}"
    return f"PC {number}", number


def make(kind: str, rng: random.Random) -> tuple[str, str]:
    maker = {"name": make_name, "street": make_street, "school": make_school, "reference": make_reference}.get(kind)
    if maker is not None:
        return maker(rng)
    value = {"phone": make_phone, "postcode": make_postcode, "email": make_email, "dob": make_dob,
             "vehicle": make_vehicle, "place": lambda r: _case(r, r.choice(PLACES))}[kind](rng)
    return value, value


def labelled_set(per_kind: int = 220, seed: int = 20261202) -> list[LabelledText]:
    """Texts of 3-6 sentences until every kind has at least ``per_kind`` planted items."""
    rng = random.Random(seed)
    counts = dict.fromkeys(KINDS, 0)
    texts: list[LabelledText] = []
    while min(counts.values()) < per_kind:
        sentences, ordinary, planted = [], [], []
        for _ in range(rng.randint(3, 6)):
            if rng.random() < 0.35:
                sentence = rng.choice(ORDINARY)
                sentences.append(sentence)
                ordinary.append(sentence)
                continue
            kind = min(KINDS, key=lambda k: (counts[k], rng.random()))
            template = rng.choice(SLOTTED[kind])
            written, secret = make(kind, rng)
            sentences.append(template.format(x=written))
            ordinary.append(template.format(x=written.replace(secret, "").strip()))
            planted.append(Planted(kind, secret))
            counts[kind] += 1
        texts.append(LabelledText(" ".join(sentences), tuple(planted), " ".join(ordinary)))
    return texts
