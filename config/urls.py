from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path, reverse
from django.views.generic import RedirectView
from rest_framework.routers import DefaultRouter

from billing.api import (
    InvoiceRunViewSet,
    InvoiceSpecificationCsvView,
    InvoiceSpecificationSwedishCsvView,
    InvoiceSpecificationXlsxView,
    InvoiceViewSet,
)
from config.health import health, liveness, readiness
from config.observability.metrics import metrics
from contacts.api import ContactViewSet
from disputes.api import DisputeViewSet
from kernel.api.docs import RedocView, SchemaView, SwaggerView
from regions.api import ProfessionViewSet, ProviderViewSet, RecommendationViewSet, RegionViewSet
from review.api import (
    InvoiceObjectionsView,
    InvoiceReviewView,
    ListingViewSet,
    PopulationViewSet,
    RegisterLoadViewSet,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", RegionViewSet, basename="region")
router.register("providers", ProviderViewSet, basename="provider")
router.register("professions", ProfessionViewSet, basename="profession")
router.register("recommendations", RecommendationViewSet, basename="recommendation")
router.register("contacts", ContactViewSet, basename="contact")
router.register("invoice-runs", InvoiceRunViewSet, basename="invoice-run")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("registers/population", PopulationViewSet, basename="register-population")
router.register("registers/listing", ListingViewSet, basename="register-listing")
router.register("registers/loads", RegisterLoadViewSet, basename="register-load")

api_v1 = [
    # API.md names this one without a trailing slash.
    path(
        "invoices/<int:pk>/specification.csv",
        InvoiceSpecificationCsvView.as_view(),
        name="invoice-specification-csv",
    ),
    # The same specification for people (Swedish Excel); an addition to API.md.
    path(
        "invoices/<int:pk>/specification-sv.csv",
        InvoiceSpecificationSwedishCsvView.as_view(),
        name="invoice-specification-csv-sv",
    ),
    # The same for people as an XLSX workbook (issue 20); an addition to API.md.
    path(
        "invoices/<int:pk>/specification.xlsx",
        InvoiceSpecificationXlsxView.as_view(),
        name="invoice-specification-xlsx",
    ),
    # The buyer's review of a received invoice and its bulk objection (issue 18); additions to API.md.
    path("invoices/<int:pk>/review/", InvoiceReviewView.as_view(), name="invoice-review"),
    path("invoices/<int:pk>/objections/", InvoiceObjectionsView.as_view(), name="invoice-objections"),
    path("reports/", include("billing.reports.api")),
    path("", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
    path("redoc/", RedocView.as_view(url_name="api-v1:schema"), name="redoc"),
]


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: the product's icon, from the static files."""
    return HttpResponsePermanentRedirect(static("utomlans/favicon.ico"))


def dispute_old_address(request, rest):
    """The dispute screens' addresses while the disputes were a package of contacts (/admin/contacts/dispute/...),
    in e-mails already sent and in bookmarks: moved for good to the disputes app's (/admin/disputes/dispute/...),
    the rest of the path and the query string kept."""
    query = request.META.get("QUERY_STRING", "")
    target = reverse("admin:disputes_dispute_changelist") + rest
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    re_path(r"^admin/contacts/dispute/(?P<rest>.*)$", dispute_old_address, name="dispute-old-address"),
    path("admin/reports/", include("billing.reports.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api-v1"))),
    path("healthz", health, name="health"),
    path("health/live", liveness, name="health-live"),
    path("health/ready", readiness, name="health-ready"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
]

# A path under /api/ that matches no route answers JSON, like every other API error.
handler404 = "kernel.api.exceptions.not_found"
