"""Missing reference data and the screens that keep it: what the region's invoices lack to be approved (on its
clerks' and managers' start page), and the reference data and administration screens a region's administrator may
open (on theirs)."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext

from billing.models import Invoice, InvoiceStatus
from regions.models import ApiClient, Profession, Provider, RateRecommendation, Region, RegionPopulation
from start.tasks import Detail, Task

OPEN_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.SUBMITTED)


def payment_details_task(region: Region) -> Task | None:
    """What the region's invoices lack to be approved (``billing.selectors.payment_details_missing``): its own
    organisation number or bankgiro, or the organisation number of a buyer it has open invoices to. Each detail
    links to the region's page, where its administrator (a national one for organisation numbers) adds it. From
    the start page's region query; a second query only when a buyer lacks its number."""
    missing = []
    if not region.org_number:
        missing.append((gettext("%(region)s has no organisation number") % {"region": region.name}, region.code))
    if not region.bankgiro:
        missing.append((gettext("%(region)s has no bankgiro number") % {"region": region.name}, region.code))
    if region.has_buyers_without_org_number:
        open_invoices = Invoice.objects.filter(seller=region, status__in=OPEN_STATUSES)
        buyers = Region.objects.filter(org_number="", code__in=open_invoices.values("buyer_id")).order_by("code")
        missing += [
            (gettext("%(region)s has no organisation number") % {"region": buyer.name}, buyer.code) for buyer in buyers
        ]
    if not missing:
        return None
    return Task(
        key="payment_details",
        text=gettext(
            "Complete what invoices need before they can be approved: organisation numbers (national "
            "administrators) and the seller's bankgiro (the region's administrator)"
        ),
        count=len(missing),
        url=reverse("admin:regions_region_change", args=[region.code]),
        details=tuple(
            Detail(text=text, url=reverse("admin:regions_region_change", args=[code])) for text, code in missing
        ),
    )


def reference_links(request, site) -> list[tuple[str, str]]:
    """The reference data and administration screens the user may open, by name."""
    links = []
    for model in (Region, RegionPopulation, Profession, RateRecommendation, Provider, ApiClient, get_user_model()):
        model_admin = site._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            continue
        opts = model._meta
        links.append(
            (capfirst(opts.verbose_name_plural), reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        )
    return links
