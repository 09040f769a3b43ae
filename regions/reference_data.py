"""Reference data as published: the 21 regions, the Kv yrkeskod profession list, SKR's rate versions.

Sources: ../shared/DOMAIN.md and the seeds (SKR2026/00810). Values marked *assumption* in DOMAIN.md are
kept here as data, not as constants in code.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from regions.models import Criterion, RateCategory

# (län code, official name, healthcare region, organisation number or "")
REGIONS: list[tuple[str, str, str, str]] = [
    ("01", "Region Stockholm", "Stockholm-Gotland", "2321000016"),
    ("03", "Region Uppsala", "Mellansverige", "2321000024"),
    ("04", "Region Sörmland", "Mellansverige", "2321000032"),
    ("05", "Region Östergötland", "Sydöstra", "2321000040"),
    ("06", "Region Jönköpings län", "Sydöstra", "2321000057"),
    ("07", "Region Kronoberg", "Södra", "2321000065"),
    ("08", "Region Kalmar län", "Sydöstra", "2321000073"),
    ("09", "Region Gotland", "Stockholm-Gotland", "2120000803"),
    ("10", "Region Blekinge", "Södra", "2321000081"),
    ("12", "Region Skåne", "Södra", "2321000255"),
    ("13", "Region Halland", "Västra och Södra", "2321000115"),
    ("14", "Västra Götalandsregionen", "Västra", "2321000131"),
    ("17", "Region Värmland", "Mellansverige", "2321000156"),
    ("18", "Region Örebro län", "Mellansverige", "2321000164"),
    ("19", "Region Västmanland", "Mellansverige", "2321000172"),
    ("20", "Region Dalarna", "Mellansverige", "2321000180"),
    ("21", "Region Gävleborg", "Mellansverige", "2321000198"),
    ("22", "Region Västernorrland", "Norra", "2321000206"),
    ("23", "Region Jämtland Härjedalen", "Norra", "2321000214"),
    ("24", "Region Västerbotten", "Norra", "2321000222"),
    ("25", "Region Norrbotten", "Norra", "2321000230"),
]

_P, _S, _O = RateCategory.PHYSICIAN, RateCategory.PSYCHOLOGIST, RateCategory.OTHER_LICENSED

# (Kv yrkeskod, Swedish name, rate category or "" for not licensed)
PROFESSIONS: list[tuple[str, str, str]] = [
    ("LK", "Läkare", _P),
    ("TP", "Team med läkare", _P),  # assumption (DOMAIN.md): paid at the physician rate
    ("PS", "Psykolog", _S),
    ("PT", "Psykoterapeut", _S),
    ("HK", "Hälso- och sjukvårdskurator", _S),
    ("SJ", "Sjuksköterska", _O),
    ("FT", "Fysioterapeut", _O),
    ("SG", "Sjukgymnast", _O),
    ("BM", "Barnmorska", _O),
    ("AT", "Arbetsterapeut", _O),
    ("DT", "Dietist", _O),
    ("LG", "Logoped", _O),
    ("AP", "Apotekare", _O),
    ("AU", "Audionom", _O),
    ("BA", "Biomedicinsk analytiker", _O),
    ("KP", "Kiropraktor", _O),
    ("NA", "Naprapat", _O),
    ("OP", "Optiker", _O),
    ("OT", "Ortopedingenjör", _O),
    ("RC", "Receptarie", _O),
    ("RS", "Röntgensjuksköterska", _O),
    ("SF", "Sjukhusfysiker", _O),
    ("TH", "Tandhygienist", _O),
    ("TL", "Tandläkare", _O),
    ("US", "Undersköterska", ""),
    ("TO", "Team utan läkare", ""),
    ("OV", "Övrig", ""),
]

# Criteria 1-4 in substance, with the structural conditions every version has (out of county, digital,
# licensed staff). The April 2026 version adds the explicit exclusion list.
BASE_CRITERIA: list[str] = [
    Criterion.OUT_OF_COUNTY,
    Criterion.DIGITAL_CONTACT,
    Criterion.LICENSED_PROFESSION,
    Criterion.STRONG_AUTHENTICATION,
    Criterion.TRIAGE,
    Criterion.DOCUMENTED,
]
APRIL_2026_EXCLUSIONS: list[str] = [
    Criterion.NOT_REFERRAL_ONLY,
    Criterion.NOT_PREPARATION_ONLY,
    Criterion.NOT_SELF_CARE_ADVICE_ONLY,
    Criterion.NOT_ONE_WAY_MESSAGE,
    Criterion.NOT_RESULTS_ONLY,
    Criterion.NOT_ADMINISTRATIVE_ONLY,
    Criterion.NOT_RENEWAL_WITHOUT_ASSESSMENT,
]


@dataclass(frozen=True)
class RecommendationData:
    code: str
    title: str
    decided_on: dt.date
    effective_from: dt.date
    includes_patient_fee: bool
    source_reference: str
    rates: dict[str, Decimal]
    criteria: list[str]
    supersedes: str | None = None


RECOMMENDATIONS: list[RecommendationData] = [
    RecommendationData(
        code="SKL-2019",
        title="SKL:s rekommendation om ersättning för digitala vårdtjänster i utomlänsvård (2019)",
        decided_on=dt.date(2019, 6, 14),
        # Regions were asked to decide by 1 October 2019.
        effective_from=dt.date(2019, 10, 1),
        includes_patient_fee=True,
        source_reference="SKL:s styrelse 2019-06-14, rekommendation om gemensamma utomlänsersättningar",
        rates={_P: Decimal("500.00"), _S: Decimal("425.00"), _O: Decimal("275.00")},
        criteria=BASE_CRITERIA,
    ),
    RecommendationData(
        code="SKR-2026-01",
        title="SKR:s rekommendation om nya ersättningsnivåer för digital utomlänsvård (januari 2026)",
        decided_on=dt.date(2026, 1, 30),
        # Assumption (DOMAIN.md): effective the day it was decided; the physician level of 435 kr is the
        # level the April text restates.
        effective_from=dt.date(2026, 1, 30),
        includes_patient_fee=True,
        source_reference="SKR:s styrelse 2026-01-30, nya ersättningsnivåer (omnämnd i SKR2026/00810)",
        rates={_P: Decimal("435.00"), _S: Decimal("405.00"), _O: Decimal("235.00")},
        criteria=BASE_CRITERIA,
        supersedes="SKL-2019",
    ),
    RecommendationData(
        code="SKR-2026-04",
        title="Rekommendation om gemensamma utomlänsersättningar för digitala vårdtjänster i primärvården",
        decided_on=dt.date(2026, 4, 22),
        # "omgående": applied at once.
        effective_from=dt.date(2026, 4, 22),
        includes_patient_fee=True,
        source_reference="SKR2026/00810, förbundsstyrelsens beslut 2026-04-22",
        rates={_P: Decimal("435.00"), _S: Decimal("405.00"), _O: Decimal("235.00")},
        criteria=BASE_CRITERIA + APRIL_2026_EXCLUSIONS,
        supersedes="SKR-2026-01",
    ),
]
