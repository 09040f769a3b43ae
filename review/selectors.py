"""Reads of the buyer's registers and the review of a received invoice.

Scope: the registers, their loads and the reviews are the buyer region's own. Only that region's staff (clerks,
managers, its admin) see them; other regions, providers and national admins see nothing
(``registers_visible_to``).

The review (``invoice_review``) is one query over the invoice's debit lines, each check an annotation (``Exists``
over the registers' (region, identity, valid from) index, a ``Subquery`` for the rate in force); its totals per flag
are one aggregate over the same query. Interface for the review screen and the bulk objections:

- ``reviewable_invoices(user)``: the invoices the user's region received, submitted or later;
- ``invoice_review(invoice)`` → ``InvoiceReview``: ``.lines`` (the annotated query: ``flag_*`` booleans,
  ``care_day``, ``expected_rate``), ``.flagged_lines()``, ``.totals()`` per flag and ``.flags_of(line)`` with the
  credit reason and the Swedish explanation of each.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from billing.deadline import deadline_cutoff
from billing.models import LOCKING_STATUSES, Invoice, InvoiceKind, InvoiceLine
from contacts.identifiers import mask_personal_identity
from kernel.business_time import STOCKHOLM, start_of_day, stockholm_date
from kernel.money import format_sek
from regions.models import ListingRule, RecommendationRate, RecommendationStatus
from regions.selectors import scope_of, visible_to
from review.flags import FLAGS, Flag, FlagRule
from review.models import ListingEntry, PopulationEntry, RegisterLoad

# ---------------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------------


def registers_visible_to(user, queryset: QuerySet) -> QuerySet:
    """The rows of a register (or its loads) the user may see: its own region's staff only. The general rule lets
    national admins see every region's rows; personal data held by one buyer region is for that region alone."""
    if not scope_of(user).is_region_staff:
        return queryset.none()
    return visible_to(user, queryset)


def population_for(user) -> QuerySet[PopulationEntry]:
    return registers_visible_to(user, PopulationEntry.objects.all())


def listing_for(user) -> QuerySet[ListingEntry]:
    return registers_visible_to(user, ListingEntry.objects.all())


def register_loads_for(user) -> QuerySet[RegisterLoad]:
    return registers_visible_to(user, RegisterLoad.objects.select_related("loaded_by"))


def reviewable_invoices(user) -> QuerySet[Invoice]:
    """The invoices the user's region received (as buyer), submitted or later: what its staff review."""
    scope = scope_of(user)
    if not scope.is_region_staff:
        return Invoice.objects.none()
    return Invoice.objects.filter(
        buyer_id=scope.region_code, kind=InvoiceKind.INVOICE, status__in=LOCKING_STATUSES
    ).select_related("seller", "buyer")


# ---------------------------------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------------------------------


def invoice_date(invoice: Invoice) -> dt.date:
    """The invoice's date: its issue date once approved; before that the Stockholm day it was submitted."""
    if invoice.issue_date:
        return invoice.issue_date
    return stockholm_date(invoice.submitted_at or invoice.created_at)


def _covering(queryset: QuerySet) -> QuerySet:
    """The entries valid on the outer line's Stockholm day (valid from ≤ day ≤ valid to, an empty valid to open)."""
    return queryset.filter(valid_from__lte=OuterRef("care_day")).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("care_day"))
    )


def review_lines(invoice: Invoice) -> QuerySet[InvoiceLine]:
    """The invoice's debit lines, each with its flags as boolean annotations (``FlagRule.field``), set-based."""
    buyer = invoice.buyer
    day_of_invoice = invoice_date(invoice)
    false = Value(False, output_field=BooleanField())
    lines = InvoiceLine.objects.filter(invoice=invoice, credit=False).annotate(
        care_day=TruncDate("started_at", tzinfo=STOCKHOLM),
        provider_id=F("contact__provider_id"),
        provider_org_number=F("contact__provider__org_number"),
    )

    population = PopulationEntry.objects.filter(region_id=buyer.code, personal_identity=OuterRef("patient_id"))
    if PopulationEntry.objects.filter(region_id=buyer.code).exists():
        known = Exists(population)
        resident = Exists(_covering(population).filter(lan_code=buyer.code))
        flag_unknown = ~known
        flag_not_resident = known & ~resident
    else:  # no extract loaded: nothing to say about residence
        flag_unknown = flag_not_resident = false

    listings = _covering(ListingEntry.objects.filter(region_id=buyer.code, personal_identity=OuterRef("patient_id")))
    if buyer.listing_rule == ListingRule.SAME_ORGANISATION:
        listings = listings.filter(unit_org_number=OuterRef("provider_org_number"))
    flag_listed = Exists(listings)

    # Billed before: another debit line (of another contact) for the same patient, provider and Stockholm day, on
    # an invoice submitted or later and not credited since; the first billed (lowest id) is the original.
    earlier = (
        InvoiceLine.objects.filter(
            credit=False,
            patient_id=OuterRef("patient_id"),
            contact__provider_id=OuterRef("provider_id"),
            invoice__status__in=LOCKING_STATUSES,
            id__lt=OuterRef("pk"),
        )
        .exclude(contact_id=OuterRef("contact_id"))
        .annotate(other_day=TruncDate("started_at", tzinfo=STOCKHOLM))
        .filter(other_day=OuterRef("care_day"))
        .filter(~Exists(InvoiceLine.objects.filter(credit=True, credited_line=OuterRef("pk"))))
    )

    expected_rate = Subquery(
        RecommendationRate.objects.filter(
            recommendation__status=RecommendationStatus.PUBLISHED,
            recommendation__effective_from__lte=OuterRef("care_day"),
            category=OuterRef("category"),
        )
        .order_by("-recommendation__effective_from", "-recommendation__published_at")
        .values("amount")[:1],
        output_field=DecimalField(max_digits=10, decimal_places=2),
    )
    lines = lines.annotate(expected_rate=expected_rate)
    flags = {
        "flag_not_resident": flag_not_resident,
        "flag_listed": flag_listed,
        "flag_duplicate": Exists(earlier),
        # Six calendar months to the day (billing.deadline): lapsed when it started before the cutoff of the
        # invoice's date.
        "flag_late": Q(started_at__lt=deadline_cutoff(day_of_invoice)),
        "flag_care_after_invoice": Q(started_at__gte=start_of_day(day_of_invoice + dt.timedelta(days=1))),
        # No rate in force, or another: the rate's subquery once (NULL when none, the comparison NULL, so true).
        "flag_wrong_rate": Coalesce(
            ExpressionWrapper(~Q(rate=F("expected_rate")), output_field=BooleanField()), Value(True)
        ),
        "flag_unknown": flag_unknown,
    }
    return lines.annotate(
        **{name: ExpressionWrapper(condition, output_field=BooleanField()) for name, condition in flags.items()}
    )


@dataclass(frozen=True)
class LineFlag:
    flag: Flag
    credit_reason: int
    explanation: str


@dataclass(frozen=True)
class FlagTotal:
    flag: Flag
    credit_reason: int
    lines: int
    amount: Decimal


@dataclass
class InvoiceReview:
    invoice: Invoice
    lines: QuerySet[InvoiceLine]
    invoice_date: dt.date
    # The lines with any flag, counted by ``totals()`` in the same pass (None before): a page count for free.
    flagged_count: int | None = field(default=None, init=False)

    def flagged_lines(self, flag: str | None = None) -> QuerySet[InvoiceLine]:
        """The lines with the given flag, or with any flag."""
        if flag is not None:
            return self.lines.filter(**{FLAGS[flag].field: True})
        condition = Q()
        for rule in FLAGS.values():
            condition |= Q(**{rule.field: True})
        return self.lines.filter(condition)

    def totals(self) -> list[FlagTotal]:
        """Lines and kronor per flag, in one pass over the lines: the flags are computed once per line (a
        materialised CTE), then counted and summed. Aggregates filtered on the annotations would have the
        database evaluate every check again for each total."""
        fields = [rule.field for rule in FLAGS.values()]
        sql, params = self.lines.order_by().values("amount", *fields).query.sql_with_params()
        # The fields are the flags' own annotation names (``review.flags``), never input.
        figures = (
            ", ".join(
                f"count(*) FILTER (WHERE {field}), coalesce(sum(amount) FILTER (WHERE {field}), 0)" for field in fields
            )
            + f", count(*) FILTER (WHERE {' OR '.join(fields)})"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Compiling this query to machine code (PostgreSQL's JIT, chosen by its cost) takes longer than the
                # whole pass over 150 000 lines: the set-based checks are index look-ups, not expression work.
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"WITH flagged AS MATERIALIZED ({sql}) SELECT {figures} FROM flagged", params)  # noqa: S608
            row = cursor.fetchone()
        self.flagged_count = row[-1]
        return [
            FlagTotal(
                flag=rule.flag,
                credit_reason=int(rule.credit_reason),
                lines=row[2 * index],
                amount=Decimal(str(row[2 * index + 1])).quantize(Decimal("0.01")),
            )
            for index, rule in enumerate(FLAGS.values())
        ]

    def flags_of(self, line: InvoiceLine) -> list[LineFlag]:
        """The flags of a line of ``lines`` with their credit reasons and Swedish explanations."""
        return [
            LineFlag(rule.flag, int(rule.credit_reason), flag_explanation(rule, line, self))
            for rule in FLAGS.values()
            if getattr(line, rule.field)
        ]


def invoice_review(invoice: Invoice) -> InvoiceReview:
    """The automatic checks of every debit line of a received invoice (submitted or later)."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in LOCKING_STATUSES:
        raise ValueError(_("Only an invoice submitted or later is reviewed."))
    return InvoiceReview(invoice=invoice, lines=review_lines(invoice), invoice_date=invoice_date(invoice))


def flag_explanation(rule: FlagRule, line: InvoiceLine, review: InvoiceReview) -> str:
    """Why the line has the flag, in the user's language (Swedish), with the line's own facts. Never the full
    identity number."""
    facts = {
        "day": line.care_day.isoformat(),
        "region": review.invoice.buyer.name,
        "invoice_day": review.invoice_date.isoformat(),
        "patient": mask_personal_identity(line.patient_id),
    }
    match rule.flag:
        case Flag.NOT_RESIDENT:
            return (
                _(
                    "%(patient)s was not registered in %(region)s on %(day)s according to the region's population "
                    "extract."
                )
                % facts
            )
        case Flag.LISTED:
            if review.invoice.buyer.listing_rule == ListingRule.SAME_ORGANISATION:
                return (
                    _(
                        "%(patient)s was listed on %(day)s at a unit of the provider's own organisation in %(region)s: "
                        "the contact is not billable as out-of-county care."
                    )
                    % facts
                )
            return (
                _(
                    "%(patient)s was listed on %(day)s at a unit in %(region)s: the contact is not billable as "
                    "out-of-county care."
                )
                % facts
            )
        case Flag.DUPLICATE:
            return _("The same patient, provider and day (%(day)s) was already billed on another line.") % facts
        case Flag.LATE:
            return (
                _("The care took place on %(day)s, more than six months before the invoice date %(invoice_day)s.")
                % facts
            )
        case Flag.CARE_AFTER_INVOICE:
            return _("The care date %(day)s is after the invoice date %(invoice_day)s.") % facts
        case Flag.WRONG_RATE:
            if line.expected_rate is None:
                return _("No rate recommendation was in force on %(day)s for this profession.") % facts
            return _("The rate %(rate)s differs from the recommendation in force on %(day)s, %(expected)s.") % (
                facts | {"rate": format_sek(line.rate), "expected": format_sek(line.expected_rate)}
            )
        case Flag.UNKNOWN:
            return _("%(patient)s is not in the region's population extract.") % facts
    raise ValueError(rule.flag)
