"""Vocabulary for the synthetic demo data: names, places and the phrases police records are written in.

Plain data only; the generator (`_generate.py`) and the showcase (`_showcase.py`) draw from it. Lists are in
rough order of frequency: the generator weights them Zipf-style, so the first entries are the common ones
(Smith before Ashworth), as in a real nominal index.
Nothing here may contain the family name "Kilbride": that name belongs to one showcase person only.
"""

from __future__ import annotations

__all__ = [
    "CONTACT_POINTS",
    "CUSTODY_SUITES",
    "DRUGS",
    "ERAS",
    "GIVEN_VARIANTS",
    "HANDLING_CONDITIONS",
    "INTEL_TOPICS",
    "MARKER_TEXTS",
    "OFFENCES",
    "ORIGINS",
    "PUBS",
    "RISK_FLAGS",
    "SAFEGUARDING_TEXTS",
    "STREETS",
    "STREET_NAMES",
    "STREET_SUFFIXES",
    "TOWNS",
    "VEHICLES",
    "Origin",
]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Given names by the era of birth (up to and including the year) and sex: a 1958 Margaret, a 2008 Chloe.
ERAS: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        1974,
        _words(
            "David John Michael Peter Paul Stephen Robert Andrew Mark Richard Ian Gary Alan Anthony "
            "Christopher Kevin Keith Brian William James Colin Graham Martin Trevor Philip Neil Steven "
            "Kenneth Terence Barry"
        ),
        _words(
            "Susan Margaret Linda Julie Karen Christine Patricia Elizabeth Carol Janet Deborah Jacqueline "
            "Gillian Sandra Jean Barbara Pauline Lorraine Tracey Alison Helen Anne Angela Wendy Elaine Diane "
            "Sharon Catherine Jennifer Kathleen"
        ),
    ),
    (
        1994,
        _words(
            "Darren Lee Craig Daniel Matthew Christopher James Mark Paul Richard Andrew David Michael "
            "Jonathan Wayne Dean Jason Stuart Scott Carl Adam Ryan Thomas Robert Gareth Simon Benjamin Jamie "
            "Liam Steven John Nicholas"
        ),
        _words(
            "Sarah Emma Claire Nicola Lisa Michelle Joanne Rebecca Laura Kelly Gemma Victoria Rachel "
            "Samantha Amanda Hayley Natalie Stacey Kerry Leanne Katherine Louise Jennifer Donna Danielle "
            "Lindsay Charlotte Elizabeth Zoe Amy"
        ),
    ),
    (
        9999,
        _words(
            "Jack Thomas Joshua James Daniel Samuel Oliver William Callum Ryan Connor Jordan Liam Lewis "
            "Harry Kieran Bradley Jake Alfie Charlie Ethan Tyler Kyle Reece Alexander Nathan Luke Jamie "
            "Dylan Mason"
        ),
        _words(
            "Chloe Jessica Emily Sophie Megan Charlotte Lauren Hannah Olivia Amy Bethany Ellie Holly Abigail "
            "Georgia Jade Katie Shannon Courtney Paige Leah Amelia Grace Lucy Millie Ruby Molly Isabelle "
            "Caitlin Mia"
        ),
    ),
)

_BRITISH_FAMILY = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
    "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Jackson Wood Turner Martin Cooper Hill Ward "
    "Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price "
    "Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Miller Cox "
    "Richards Marshall Anderson Simpson Ellis Adams Wilkinson Foster Chapman Powell Webb Rogers Gray Mason "
    "Hunt Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher "
    "Stevens Jenkins Murray Dixon Harvey Graham Pearson Fletcher Gibson Howard Andrews Stewart Elliott "
    "Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Dawson "
    "Ball Burton Watts Rose Booth Perry Grant Wells Armstrong Francis Rees Hayes Hart Hudson Newman Barrett "
    "Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins "
    "Harding Porter Robertson Newton Oliver Reed Kennedy Williamson Bird Gardner Dean Lane Cooke Bates "
    "Henderson Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls "
    "Hamilton Sutton McDonald Yates Hodgson Robson Curtis Hopkins Harper Coleman Watkins Moss Chambers "
    "Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon Wallace George Jordan Hutchinson Ashworth "
    "Pritchard Holloway Thornton Lambert Whitehead Kirby Sykes Naylor Pickering Mellor Crowther Haworth"
)

#: (name, weight, family names, male given names or None for the era lists, female ditto, nationalities).
Origin = tuple[
    str, float, tuple[str, ...], tuple[str, ...] | None, tuple[str, ...] | None, tuple[tuple[str, float], ...]
]
ORIGINS: tuple[Origin, ...] = (
    ("british", 0.76, _BRITISH_FAMILY, None, None, (("British", 0.98), ("Irish", 0.02))),
    (
        "irish",
        0.05,
        _words(
            "Murphy Kelly O'Brien Byrne Ryan O'Sullivan Walsh Doyle McCarthy O'Connor O'Neill Brennan Quinn "
            "Gallagher Kavanagh Fitzgerald Doherty Byrnes Farrell Nolan"
        ),
        _words("Sean Patrick Liam Ciaran Declan Conor Niall Michael John Eoin Padraig Kevin"),
        _words("Siobhan Aoife Niamh Ciara Roisin Mairead Bridget Mary Orla Sinead Grainne Catherine"),
        (("British", 0.55), ("Irish", 0.45)),
    ),
    (
        "polish",
        0.04,
        _words(
            "Nowak Kowalski Wiśniewski Wójcik Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski "
            "Mazur Krawczyk Kaczmarek Piotrowski Grabowski"
        ),
        _words("Piotr Krzysztof Tomasz Marcin Michał Andrzej Jakub Mateusz Łukasz Adam Kamil Bartosz"),
        _words("Anna Katarzyna Magdalena Agnieszka Joanna Monika Aleksandra Natalia Ewa Karolina"),
        (("Polish", 0.8), ("British", 0.2)),
    ),
    (
        "baltic-romanian",
        0.02,
        _words("Kazlauskas Jankauskas Petrauskas Popescu Ionescu Popa Dumitru Stan Ozols Berzins"),
        _words("Tomas Mantas Andrei Ionut Mihai Darius Janis Vytautas"),
        _words("Ioana Elena Andreea Ruta Laura Ieva Diana Kristina"),
        (("Lithuanian", 0.4), ("Romanian", 0.45), ("Latvian", 0.15)),
    ),
    (
        "south-asian",
        0.08,
        _words(
            "Khan Patel Ahmed Ali Hussain Shah Rahman Iqbal Akhtar Mahmood Sharma Chowdhury Mistry Parmar "
            "Malik Mirza Butt Uddin Islam Bibi"
        ),
        _words("Mohammed Ahmed Ali Imran Bilal Hamza Arjun Rajesh Sanjay Amir Zain Usman Tariq Adeel Sajid"),
        _words("Aisha Fatima Ayesha Zainab Priya Sana Nadia Amina Shabana Yasmin Nazia Rukhsana Anjali"),
        (("British", 0.8), ("Pakistani", 0.08), ("Indian", 0.07), ("Bangladeshi", 0.05)),
    ),
    (
        "west-african",
        0.04,
        _words("Okafor Okonkwo Adeyemi Mensah Boateng Owusu Adebayo Eze Nwosu Asante Oluwole Bello Osei"),
        _words("Chinedu Emeka Oluwaseun Kwame Kofi Tunde David Samuel Daniel Joshua Ikenna Femi"),
        _words("Adaeze Ngozi Chioma Abena Folake Blessing Grace Esther Funmilayo Precious Ama"),
        (("British", 0.72), ("Nigerian", 0.2), ("Ghanaian", 0.08)),
    ),
    (
        "chinese",
        0.01,
        _words("Chen Wang Li Zhang Wong Liu Lin Huang"),
        _words("Wei Jun Hao Ming Kevin Jason"),
        _words("Mei Lin Xiu Jing Amy Jenny"),
        (("British", 0.6), ("Chinese", 0.4)),
    ),
)

# Spellings and short forms the same person is recorded under in different systems.
GIVEN_VARIANTS: dict[str, tuple[str, ...]] = {
    "John": ("Jon", "Johnny"),
    "Jonathan": ("Jon", "Jonny"),
    "Katherine": ("Kate", "Catherine", "Kathryn", "Katie"),
    "Catherine": ("Katherine", "Cathy", "Kate"),
    "Christopher": ("Chris",),
    "Michael": ("Mike", "Micheal"),
    "Stephen": ("Steven", "Steve"),
    "Steven": ("Stephen", "Steve"),
    "David": ("Dave",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Andrew": ("Andy",),
    "Anthony": ("Tony",),
    "Robert": ("Rob", "Bob", "Robbie"),
    "William": ("Will", "Bill", "Billy"),
    "James": ("Jim", "Jimmy"),
    "Thomas": ("Tom", "Tommy"),
    "Richard": ("Rick", "Richie"),
    "Nicholas": ("Nick", "Nicky"),
    "Alexander": ("Alex",),
    "Samuel": ("Sam", "Sammy"),
    "Benjamin": ("Ben",),
    "Joshua": ("Josh",),
    "Callum": ("Calum",),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Rebecca": ("Becky", "Rebekah"),
    "Jennifer": ("Jenny", "Jen"),
    "Samantha": ("Sam", "Sammi"),
    "Victoria": ("Vicky", "Vikki"),
    "Margaret": ("Maggie", "Peggy"),
    "Susan": ("Sue", "Suzanne"),
    "Deborah": ("Debbie", "Debra"),
    "Jacqueline": ("Jackie",),
    "Patricia": ("Pat", "Tricia"),
    "Sarah": ("Sara",),
    "Nicola": ("Nicky", "Nichola"),
    "Amanda": ("Mandy",),
    "Gemma": ("Jemma",),
    "Zoe": ("Zoë", "Zoey"),
    "Leanne": ("Lianne",),
    "Stacey": ("Stacy",),
    "Mohammed": ("Muhammad", "Mohammad", "Mohamed"),
    "Aisha": ("Ayesha",),
    "Siobhan": ("Shevaun",),
    "Sean": ("Shaun", "Shawn"),
    "Piotr": ("Peter",),
    "Katarzyna": ("Kasia",),
}

STREET_NAMES = _words(
    "Dazza Tank Smudger Ghost Shorty Ginge Taff Bones Chalky Tiny Spider Scouse Dibs Rico Bigz Sparky Nitro "
    "Moose Bugsy Kez Jonno Tez Mouse Blade"
)

# Per force: (postcode area, ((town, (districts...)), ...)). Fictional towns; outward codes are invented.
TOWNS: dict[str, tuple[str, tuple[tuple[str, tuple[int, ...]], ...]]] = {
    "northshire": (
        "NS",
        (
            ("Northam", (1, 2, 3, 4)),
            ("Hexley", (5, 6)),
            ("Caldermouth", (7, 8, 9)),
            ("Kirkby Moor", (10,)),
            ("Ashby Bridge", (11, 12)),
            ("Ravensholme", (14,)),
            ("Skelbrook", (15,)),
        ),
    ),
    "southmoor": (
        "SM",
        (
            ("Moorcaster", (1, 2, 3, 4, 5)),
            ("Pendleford", (6, 7)),
            ("Brackwater", (8, 9)),
            ("Saltbridge", (10, 11)),
            ("Ellingham", (12,)),
            ("Dunmere", (14,)),
            ("Hollinsford", (16,)),
        ),
    ),
    "eastvale": (
        "EV",
        (
            ("Aldermouth", (1, 2, 3)),
            ("Stowbridge", (4, 5, 6)),
            ("Fenwick Market", (7,)),
            ("Wendlebury", (8, 9)),
            ("Marcham", (10,)),
            ("Grisby", (11, 12)),
            ("Eastvale Magna", (13,)),
        ),
    ),
}

STREETS = _words(
    "Mill Church Station Victoria Park Queens Kings Albert Hawthorn Beech Oak Elm Willow Chestnut Ash Rowan "
    "Holly Meadow Orchard Brook Bridge Castle Chapel Manor Grange Springfield Westfield Northgate Southgate "
    "Highfield Greenbank Moorside Fernhill Larch Sycamore Cedar Heather Primrose Bluebell Foxglove Kestrel "
    "Wren Lark Falcon Heron Nelson Wellington Gladstone Balmoral Windsor Stanley Cromwell Tudor Jubilee "
    "Coronation Canal Wharf Forge Tannery"
)
STREET_SUFFIXES = _words(
    "Road Street Lane Close Avenue Drive Crescent Way Gardens Terrace Grove Court View Place"
)

CUSTODY_SUITES: dict[str, tuple[str, ...]] = {
    "northshire": ("Northam Custody Suite", "Caldermouth Police Station", "Hexley Custody Centre"),
    "southmoor": ("Moorcaster Central Custody", "Brackwater Police Station", "Saltbridge Custody Suite"),
    "eastvale": ("Aldermouth Custody Centre", "Stowbridge Police Station", "Grisby Custody Suite"),
}

# Ofcom drama numbers (01632 960xxx) only: never a real line.
CONTACT_POINTS: dict[str, dict[str, str]] = {
    force: {
        "DA": f"{title} Public Protection Unit, 01632 960{base + 1:03d}",
        "CP": f"{title} MASH, 01632 960{base + 2:03d}",
        "ENC": f"{title} Operation Encompass Team, 01632 960{base + 3:03d}",
        "MISS": f"{title} Missing Persons Unit, 01632 960{base + 4:03d}",
    }
    for force, title, base in (
        ("northshire", "Northshire", 120),
        ("southmoor", "Southmoor", 220),
        ("eastvale", "Eastvale", 320),
    )
}

MARKER_TEXTS: dict[str, tuple[str, ...]] = {
    "FI": (
        "Believed to have access to a sawn-off shotgun",
        "Firearms certificate revoked; suspected to retain weapons",
        "Intelligence suggests possession of a handgun",
        "Previously discharged a firearm during an offence",
    ),
    "WE": (
        "Known to carry a knife",
        "Previously found in possession of a machete",
        "Carries a screwdriver for use as a weapon",
        "Bladed articles found at home address",
    ),
    "XP": (
        "Previous conviction for making an explosive substance",
        "Stores pyrotechnics at home address",
        "Has threatened to use a petrol bomb",
    ),
    "VI": (
        "Violent towards police on arrest",
        "Assaulted custody staff",
        "History of serious violence including GBH",
        "Violent when under the influence of alcohol",
    ),
    "ES": (
        "Escaped from police custody",
        "Absconded from police escort",
        "Attempted escape from hospital guard",
    ),
    "AG": (
        "Alleges assault by officers",
        "Makes false allegations against staff",
        "Alleges misconduct on arrest",
    ),
    "IM": ("Has given a male relative's details when stopped", "Uses false male identities"),
    "IF": ("Has given a female relative's details when stopped", "Uses false female identities"),
    "DR": (
        "Known user of heroin and crack cocaine",
        "Conceals drugs internally",
        "Suspected supplier of Class A drugs",
        "Carries used needles; search with care",
    ),
    "SU": (
        "Has attempted suicide while in custody",
        "Expressed suicidal intent on last arrest",
        "History of self-harm by ligature",
    ),
    "MN": (
        "Diagnosed with paranoid schizophrenia; can become agitated",
        "Detained under s136 Mental Health Act on several occasions",
        "Bipolar disorder; check medication on arrest",
    ),
    "AT": (
        "Insulin-dependent diabetic",
        "Epileptic; may have seizures under stress",
        "Severe asthma; carries inhaler",
    ),
    "CO": ("Hepatitis C positive; use universal precautions", "Tuberculosis contact; precautions advised"),
}

HANDLING_CONDITIONS = (
    "Not to be disclosed outside police without originator consent",
    "Do not action without contacting the originating intelligence unit",
    "Source protection: not for use in evidence or disclosure to the subject",
    "Disclosure to partner agencies only with DI authority",
)

DRUGS = ("crack cocaine", "heroin", "cocaine", "cannabis", "MDMA", "ketamine")
VEHICLES = (
    "grey Ford Focus",
    "black Audi A3",
    "white Ford Transit van",
    "silver Vauxhall Corsa",
    "blue BMW 3 Series",
    "red Nissan Micra",
    "black Mercedes A-Class",
)
PUBS = ("Red Lion", "Crown", "Royal Oak", "White Hart", "Plough", "Black Bull", "Station Hotel")

# (sanitised summary, full text). Fields: name, town, street, assoc, vehicle, reg, drug, pub, digits.
INTEL_TOPICS: tuple[tuple[str, str], ...] = (
    (
        "Subject linked to the supply of {drug} in the {town} area.",
        "Information received that {name} is supplying {drug} from an address on {street}, {town}. Customers "
        "attend in the evenings and deliveries are made in a {vehicle}, registration {reg}. {assoc} is "
        "believed to hold the stock at a separate address.",
    ),
    (
        "Subject reported to have access to a bladed weapon.",
        "It is reported that {name} has been carrying a large kitchen knife in a rucksack around {town} town "
        "centre following a dispute with {assoc}, and has said the matter will be 'sorted out'.",
    ),
    (
        "Subject associating with known offenders in {town}.",
        "{name} has been seen regularly in the company of {assoc} at the {pub} public house, {town}. Both "
        "were seen leaving together in a {vehicle}, registration {reg}.",
    ),
    (
        "Subject using a vehicle not registered to them.",
        "{name} has been seen driving a {vehicle}, registration {reg}, which is registered to a third party "
        "on {street}, {town}. The vehicle is believed to be used to move stolen property.",
    ),
    (
        "Subject believed to be involved in a county lines operation.",
        "Information suggests {name} is running a drug line into {town}, using young people to carry {drug}. "
        "A mobile phone ending {digits} is associated with the line; {assoc} is a suspected runner.",
    ),
    (
        "Subject suspected of handling stolen goods.",
        "{name} is believed to be selling stolen power tools from a lock-up garage off {street}, {town}. "
        "Items are advertised online through an account linked to {assoc}.",
    ),
    (
        "Concerns about controlling behaviour towards a partner.",
        "A source reports that {name} monitors the phone and finances of a partner, {assoc}, at an address "
        "on {street}, {town}, and has stopped the partner seeing family.",
    ),
)

# (code, offence text, arrest reason): CJS-style offence codes.
OFFENCES: tuple[tuple[str, str, str], ...] = (
    ("TH68010", "Theft from a shop", "theft from a shop"),
    ("TH68001", "Theft from the person of another", "theft from the person"),
    ("TH68026", "Burglary dwelling with intent to steal", "burglary of a dwelling"),
    ("TH68040", "Robbery", "robbery"),
    ("TH68043", "Handling stolen goods", "handling stolen goods"),
    ("OF61016", "Assault occasioning actual bodily harm", "assault occasioning actual bodily harm"),
    ("OF61001", "Wounding with intent to do grievous bodily harm", "wounding with intent"),
    ("CJ88116", "Common assault", "common assault"),
    ("CJ88001", "Possess a bladed article in a public place", "possession of a bladed article"),
    ("PU86001", "Affray", "affray"),
    ("PU86004", "Threatening behaviour", "threatening behaviour"),
    ("CD71001", "Destroy or damage property", "criminal damage"),
    ("MD71101", "Possess a controlled drug of Class A - cocaine", "possession of a Class A drug"),
    ("MD71201", "Possess with intent to supply Class A - crack cocaine", "possession with intent to supply"),
    ("MD71231", "Possess a controlled drug of Class B - cannabis", "possession of cannabis"),
    ("FI68001", "Possess a firearm without a certificate", "possession of a firearm"),
    ("RT88191", "Drive a motor vehicle with excess alcohol", "driving with excess alcohol"),
    ("RT88003", "Drive whilst disqualified", "driving whilst disqualified"),
    ("FL96001", "Breach of a non-molestation order", "breach of a non-molestation order"),
    ("PH97001", "Harassment without violence", "harassment"),
    ("SC15001", "Controlling or coercive behaviour in an intimate relationship", "coercive control"),
    ("BA76001", "Fail to surrender to custody", "failing to surrender to bail"),
)

RISK_FLAGS = (
    "Self-harm history",
    "Alcohol dependent",
    "Drug user",
    "Violent to staff",
    "Mental health concerns",
    "Medication required",
    "Epilepsy",
    "Diabetic",
    "Interpreter required",
    "Learning disability",
)

# Per referral type: adult and child summaries. Fields: town, children, dash.
SAFEGUARDING_TEXTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DA": (
        (
            "Argument with partner escalated to assault at the home address; {children}. DASH risk {dash}.",
            "Ex-partner came to the address despite a non-molestation order; {children}. DASH risk {dash}.",
            "Neighbour reported shouting; injuries seen on partner; {children}. DASH risk {dash}.",
        ),
        ("Young person assaulted by boyfriend at a friend's address; {children}. DASH risk {dash}.",),
    ),
    "CP": (
        (
            "Subject's children made subject of a child protection plan (neglect).",
            "Referral to children's social care after children found home alone overnight.",
        ),
        (
            "School raised concerns about bruising; strategy discussion held with children's social care.",
            "Referral after disclosure of neglect at the home address; home visit arranged.",
            "Concerns about exploitation by older males in {town}; strategy meeting held.",
        ),
    ),
    "ENC": (
        (),
        ("Operation Encompass notification to school following a domestic incident at the home address.",),
    ),
    "MISS": (
        (
            "Reported missing by family; found safe in {town} the next day.",
            "Missing after leaving a mental health ward; located by officers in {town}.",
        ),
        (
            "Reported missing from home overnight; found safe at a friend's address in {town}.",
            "Missing from care placement; located in {town} by officers, return interview arranged.",
        ),
    ),
}
