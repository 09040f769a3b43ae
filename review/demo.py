"""Demo review (``seed_demo``, which runs each app's demo module in INSTALLED_APPS order): Region Norrbotten (25), the
buyer of the invoice billing's demo approved, loads its population extract and listing register, and a second invoice
from Region Sörmland (04) for the same month shows hits of every flag the product's own services can produce.

The review comes last: it builds on the providers and users (regions), the contacts (contacts), the approved invoice
(billing, ``billing.demo.demo_approved_invoice``) and the cases cited on it (disputes). What it adds, all through the
product's services and in one transaction (idempotent: once region 25 has a register load, nothing is done again):

1. Contacts of last month reported late by 04's providers for patients of 25 (intake, ``contacts_upsert``): new
   patients, and three contacts re-sent under a new external id (the same patient, provider and day as a line of
   the approved invoice, three hours apart: intake only holds back the same start minute as a possible duplicate).
2. The run for 04 and last month bills them on a new draft to 25, which clerk04 submits and manager04 approves.
3. The national admin publishes a correction (``DEMO_CORRECTION``, fictional, marked as such) that lowers the
   psychologist rate from the last day of that month: the invoiced contacts keep the rate they were billed at
   (invoiced contacts are never priced anew), the others are priced anew and the drafts they are on run again.
4. clerk25 loads the region's population extract and listing register (``review.loading.register_load``) covering
   every demo patient of 25, with a few people who are not there: absent (unknown), moved to Stockholm the day before
   their contact (not resident), listed at Digitalläkaren AB's own health centre in Norrbotten (listed, under the
   region's rule ``same_organisation``).

The second invoice's review then shows ``PER_FLAG`` lines of each of not_resident, listed, duplicate, wrong_rate and
unknown, and ``CLEAN`` lines without a flag.

Two flags cannot arise from the product's services, so the demo does not show them (and forges no rows for them):

- **late** (care more than six months before the invoice date): submitting and approving an invoice both remove the
  lines whose invoicing deadline has passed on that Stockholm day (``billing.services._lapsed_lines_remove``), and
  that day is the invoice date the review measures from (the submission day, then the issue date set by the same
  approval). A debit line of a submitted or approved invoice therefore always started on or after
  ``deadline_cutoff(invoice_date)``, the flag's own condition.
- **care_after_invoice**: intake refuses a contact that starts more than ``contacts.validation.CLOCK_SKEW`` (five
  minutes) after its arrival, a run bills contacts that have arrived, and the invoice date is the day of the
  submission or approval that follows. Only a contact sent within five minutes before Stockholm midnight, billed,
  submitted (or approved) before that midnight, can carry a later care day: a race of the wall clock the demo,
  which runs at any hour, cannot produce deterministically.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef

from billing.demo import DEMO_APPROVED, demo_approved_invoice
from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceRun, InvoiceStatus
from billing.reports.refresh import summaries_refresh
from billing.runs import invoice_run_execute
from billing.services import invoice_approve, invoice_submit
from contacts.intake import contacts_upsert
from contacts.models import Contact
from contacts.services import contacts_reevaluate
from contacts.synthetic import listing_unit, personnummer
from disputes.models import Dispute
from kernel.business_time import STOCKHOLM, period_bounds, start_of_day, stockholm_date
from kernel.history import Via
from regions.models import RateCategory, RateRecommendation
from regions.selectors import recommendation_timeline
from regions.services import recommendation_create, recommendation_publish
from review.loading import register_load
from review.models import LoadVia, RegisterKind, RegisterLoad

BUYER = DEMO_APPROVED["buyer_id"]  # 25, Region Norrbotten
SELLER = DEMO_APPROVED["seller_id"]  # 04, Region Sörmland
PREFIX = "demo-review"
PER_FLAG = 3
CLEAN = 20
# 04's demo providers (regions.demo.DEMO_PROVIDERS): Digitalläkaren also runs a health centre in Norrbotten.
DIGITALLAKAREN = "SE5561234005-DL01"
PSYKOLOGKOLLEN = "SE5562345016-PK01"
FYSIO_ONLINE = "SE5563456028-FO01"
OWN_HEALTH_CENTRE = ("SE5561234005-NB01", "5561234005")
CLEAN_CARE = [(DIGITALLAKAREN, "LK"), (PSYKOLOGKOLLEN, "PS"), (FYSIO_ONLINE, "FT"), (DIGITALLAKAREN, "SJ")]
MUNICIPALITIES = ["2580", "2581", "2582", "2584", "2523"]  # Luleå, Piteå, Boden, Kiruna, Gällivare
MOVED_TO = ("01", "0180")  # Stockholm
LISTED_SINCE = dt.date(2020, 1, 1)
DEMO_CORRECTION = "DEMO-RATTELSE"
CORRECTION_CUT = Decimal("20.00")  # kronor off the psychologist rate
FILES = {
    RegisterKind.POPULATION: "folkbokforing-25-demo.csv",
    RegisterKind.LISTING: "listning-25-demo.csv",
}


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Patient:
    identity: str  # 12 digits
    born: dt.date
    kind: str  # "clean", "unknown", "not_resident", "listed", "wrong_rate"
    care_day: dt.date


def demo_load(*, password: str) -> DemoReport:
    report = DemoReport()
    if RegisterLoad.objects.filter(region_id=BUYER).exists():
        return report
    approved = demo_approved_invoice()
    if approved is None:
        return report
    with transaction.atomic():
        report.created.extend(_demo_review(approved))
    refreshed = summaries_refresh()
    report.created.append(f"report figures ({refreshed.summary_rows} rollup rows)")
    return report


def demo_review_invoice() -> Invoice | None:
    """The invoice whose review the demo fills: the approved one from 04 to 25 billing the demo's late contacts."""
    return (
        Invoice.objects.filter(
            seller_id=SELLER,
            buyer_id=BUYER,
            kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.APPROVED,
            lines__external_id__startswith=PREFIX,
        )
        .distinct()
        .order_by("pk")
        .first()
    )


def _demo_review(approved: Invoice) -> list[str]:
    users = get_user_model().objects
    admin = users.get(username="admin")
    start, end = period_bounds(approved.period)
    first_day, last_day = stockholm_date(start), stockholm_date(end) - dt.timedelta(days=1)
    patients = _new_patients(first_day, last_day)
    resent = _resent_items(approved, last_day)
    items = [_item(patient, n) for n, patient in enumerate(patients)] + resent
    intake = contacts_upsert(items=items, user=admin, channel=Via.SYSTEM)
    if intake.errors:
        raise RuntimeError(f"demo review contacts refused: {[error.as_dict() for error in intake.errors]}")
    created = [f"{intake.created} late-reported contacts of {SELLER} for {BUYER}"]

    run = InvoiceRun.objects.create(billing_region_id=SELLER, period=approved.period, started_via=Via.SYSTEM)
    invoice_run_execute(run=run)
    draft = Invoice.objects.get(
        seller_id=SELLER, buyer_id=BUYER, period=approved.period, kind=InvoiceKind.INVOICE, status=InvoiceStatus.DRAFT
    )
    invoice_submit(invoice=draft, by=users.get(username=f"clerk{SELLER}"), via=Via.SYSTEM)
    second = invoice_approve(invoice=draft, by=users.get(username=f"manager{SELLER}"), via=Via.SYSTEM)
    created.append(f"invoice {second.number} approved (late-reported contacts)")

    created.extend(_correction(last_day, admin))

    clerk = users.get(username=f"clerk{BUYER}")
    for kind, rows in _registers(patients).items():
        load = register_load(
            region_code=BUYER,
            kind=kind,
            data=_csv(kind, rows),
            user=clerk,
            via=LoadVia.ADMIN,
            file_name=FILES[kind],
        )
        if load.refused:
            raise RuntimeError(f"demo register rows refused: {load.errors}")
        created.append(f"{kind} register of {BUYER} ({load.inserted} rows)")
    return created


def _new_patients(first_day: dt.date, last_day: dt.date) -> list[_Patient]:
    """The late contacts' patients, each with one contact day: before the month's last day, except the wrong-rate
    ones, on it (the day the correction takes effect)."""
    rng = random.Random(2500)  # noqa: S311 (synthetic data, not secrets)
    kinds = ["clean"] * CLEAN + [kind for kind in ("unknown", "not_resident", "listed", "wrong_rate") for _ in range(3)]
    span = (last_day - first_day).days - 1  # the days from the 2nd to the one before the last
    patients = []
    for n, kind in enumerate(kinds):
        number = personnummer(rng)
        day = last_day if kind == "wrong_rate" else first_day + dt.timedelta(days=1 + (n * 5) % span)
        identity = number.replace("-", "")
        patients.append(_Patient(identity, _born(identity), kind, day))
    return patients


def _item(patient: _Patient, n: int) -> dict:
    if patient.kind == "wrong_rate":
        provider, profession = PSYKOLOGKOLLEN, "PS"
    elif patient.kind == "listed":
        provider, profession = DIGITALLAKAREN, "LK"
    else:
        provider, profession = CLEAN_CARE[n % len(CLEAN_CARE)]
    started = dt.datetime.combine(patient.care_day, dt.time(8 + n % 10, (n * 7) % 60), tzinfo=STOCKHOLM)
    return {
        "external_id": f"{PREFIX}-{n}",
        "provider": provider,
        "patient_id": patient.identity,
        "home_region": BUYER,
        "profession": profession,
        "started_at": started.isoformat(timespec="seconds"),
        "mode": "video" if n % 2 else "chat",
        "strong_authentication": True,
        "triage": True,
        "documented": True,
        "content": "assessment",
        "patient_fee": "0.00" if n % 3 else "100.00",
    }


def _resent_items(approved: Invoice, last_day: dt.date) -> list[dict]:
    """Three lines of the approved invoice sent again under new external ids, three hours apart on the same day:
    lines no case cites (their credits would change the check) and before the correction's day."""
    credited = InvoiceLine.objects.filter(credited_line=OuterRef("pk"))
    disputed = Dispute.objects.filter(contact=OuterRef("contact_id"))
    lines = (
        approved.lines.filter(credit=False, started_at__lt=start_of_day(last_day))
        .filter(~Exists(credited), ~Exists(disputed))
        .select_related("contact", "contact__provider")
        .order_by("external_id")[:PER_FLAG]
    )
    items = []
    for n, line in enumerate(lines):
        contact = line.contact
        local = contact.started_at.astimezone(STOCKHOLM)
        moved = local + dt.timedelta(hours=3 if local.hour < 12 else -3)
        items.append(
            {
                "external_id": f"{PREFIX}-resent-{n}",
                "provider": contact.provider.hsa_id,
                "patient_id": contact.patient_id,
                "home_region": contact.home_region_id,
                "profession": contact.profession_id,
                "started_at": moved.isoformat(timespec="seconds"),
                "mode": contact.mode,
                "strong_authentication": contact.strong_authentication,
                "triage": contact.triage,
                "documented": contact.documented,
                "content": contact.content,
                "patient_fee": f"{contact.patient_fee:.2f}",
            }
        )
        items[-1].update(
            {name: getattr(contact, name) for name in ("listing_unit", "care_unit") if getattr(contact, name)}
        )
    return items


def _correction(last_day: dt.date, admin) -> list[str]:
    """A fictional correction effective the month's last day, the psychologist rate lowered: the contacts already
    invoiced keep their rate, the others are priced anew and their drafts run again."""
    if RateRecommendation.objects.filter(code=DEMO_CORRECTION).exists():
        return []
    in_force = recommendation_timeline().version_on(last_day)
    rates = dict(in_force.rates)
    rates[RateCategory.PSYCHOLOGIST] = rates[RateCategory.PSYCHOLOGIST] - CORRECTION_CUT
    correction = recommendation_create(
        code=DEMO_CORRECTION,
        title="Demo: fiktiv rättelse av psykologersättningen (inte SKR:s)",
        decided_on=last_day,
        effective_from=last_day,
        includes_patient_fee=in_force.includes_patient_fee,
        source_reference="Demodata (seed_demo), inget verkligt beslut",
        rates=rates,
        criteria=list(in_force.criteria),
        supersedes=RateRecommendation.objects.get(code=in_force.code),
        by=admin,
        via=Via.SYSTEM,
    )
    recommendation_publish(recommendation=correction, by=admin, via=Via.SYSTEM)
    # The publication queues the same re-evaluation for after the commit; done here so the drafts can run again now.
    contacts_reevaluate(since=start_of_day(last_day), by=admin, via=Via.SYSTEM)
    stale = sorted(
        set(
            InvoiceLine.objects.filter(invoice__status=InvoiceStatus.DRAFT, credit=False)
            .exclude(contact__rate=F("rate"))
            .values_list("invoice__seller_id", "invoice__period")
            .distinct()
        )
    )
    for seller, period in stale:
        invoice_run_execute(
            run=InvoiceRun.objects.create(billing_region_id=seller, period=period, started_via=Via.SYSTEM)
        )
    return [f"recommendation {DEMO_CORRECTION} published", *[f"drafts of {s} for {p} run again" for s, p in stale]]


def _registers(patients: list[_Patient]) -> dict[str, list[tuple]]:
    """The population extract and listing register of 25: every demo patient of 25, except the unknown ones, resident
    since birth and listed at one of the region's health centres; the planned exceptions as their kinds say."""
    special = {patient.identity: patient for patient in patients}
    population, listing = [], []
    demo_patients = (
        Contact.objects.filter(home_region_id=BUYER)
        .values_list("patient_id", "listing_unit")
        .order_by("patient_id", "listing_unit")
    )
    region_units = listing_unit(BUYER, 1)[:12]  # SE and the organisation number of 25's health centres
    units: dict[str, str] = {}
    for identity, unit in demo_patients:
        if unit and unit.startswith(region_units):
            units[identity] = unit
        else:
            units.setdefault(identity, "")
    for identity in sorted(units.keys() | special.keys()):
        patient = special.get(identity)
        kind = patient.kind if patient else "clean"
        if kind == "unknown":
            continue
        born = patient.born if patient else _born(identity)
        municipality = MUNICIPALITIES[int(identity[-2:]) % len(MUNICIPALITIES)]
        if kind == "not_resident":
            moved = patient.care_day - dt.timedelta(days=1)
            population.append((identity, BUYER, municipality, born, moved - dt.timedelta(days=1)))
            population.append((identity, *MOVED_TO, moved, None))
            continue
        population.append((identity, BUYER, municipality, born, None))
        since = max(born, LISTED_SINCE)
        if kind == "listed":
            listing.append((identity, *OWN_HEALTH_CENTRE, since, None))
            continue
        unit = units.get(identity) or listing_unit(BUYER, int(identity[-3:-1]) % 8 + 1)
        listing.append((identity, unit, unit[2:12], since, None))
    return {RegisterKind.POPULATION: population, RegisterKind.LISTING: listing}


def _born(identity: str) -> dt.date:
    """The birth date of a (synthetic) personal identity number of 12 digits."""
    return dt.datetime.strptime(identity[:8], "%Y%m%d").date()


def _csv(kind: str, rows: list[tuple]) -> bytes:
    header = (
        "personal_identity;lan_code;municipality_code;valid_from;valid_to"
        if kind == RegisterKind.POPULATION
        else "personal_identity;unit_hsa_id;unit_org_number;valid_from;valid_to"
    )
    lines = [header]
    for identity, first, second, valid_from, valid_to in rows:
        lines.append(f"{identity};{first};{second};{valid_from.isoformat()};{valid_to.isoformat() if valid_to else ''}")
    return ("\n".join(lines) + "\n").encode()
