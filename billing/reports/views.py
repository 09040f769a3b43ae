"""The report pages in the admin: the region dashboard, the what-if and the national view, each table
with its chart and a CSV export of exactly what it shows."""

import csv
from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.documents import safe_cell
from billing.reports import charts, figures
from billing.reports.forms import ReportFilterForm, WhatIfForm
from billing.reports.refresh import last_refresh
from billing.reports.tasks import refresh_reports
from kernel import xlsx
from kernel.money import format_sek, to_money
from kernel.text import neutralise
from regions.models import Provider, Region
from regions.selectors import Scope, scope_of


def report_scope(user) -> Scope:
    """Region staff (their region) and national admins read reports; providers and others do not."""
    scope = scope_of(user)
    if not (scope.national or scope.is_region_staff):
        raise PermissionDenied(_("Reports are for region staff."))
    return scope


def display(value, kind: str) -> str:
    """A cell as a Swedish reader expects it: ``1 234``, ``1 234,50 kr``, ``12,5 %``; ``–`` for none."""
    if value is None:
        return "–"
    if kind == "money":
        return format_sek(value)
    if kind == "int":
        return number_format(value, force_grouping=True)
    if kind == "percent":
        return f"{number_format(value, decimal_pos=1, force_grouping=True)}\u00a0%"
    if kind == "decimal":
        return number_format(value, decimal_pos=2, force_grouping=True)
    return str(value)


def region_names() -> dict[str, str]:
    """Region names by län code: the pages name regions, the CSV exports and the API give their codes."""
    return dict(Region.objects.values_list("code", "name"))


def _rendered(table: figures.Table, charts=(), limit: int = 200, *, regions: dict[str, str] | None = None) -> dict:
    """The table with its cells formatted for the page, its charts, and at most ``limit`` rows shown.

    Codes shown beside their names are left out, and län codes are shown as the regions' names (``regions``)."""
    regions = regions or {}
    columns = [c for c in table.columns if c.page != figures.HIDDEN]

    def text(value, column, *, total=False):
        if column.page == figures.REGION and value is not None:
            return regions.get(value, str(value))
        if total and value is None and column.kind == "text":
            return ""  # a total has no provider's HSA-id or profession's category: blank, not "–"
        return display(value, column.kind)

    def cells(row, *, total=False):
        return [
            {"text": text(row.get(c.key), c, total=total), "numeric": c.kind != "text", "key": c.key} for c in columns
        ]

    total = None
    if table.total:
        total = dict(table.total)
        if not total.get(columns[0].key):
            # The total's label may sit in a column the page leaves out (the rejections' code column).
            hidden = [c.key for c in table.columns if c.page == figures.HIDDEN and total.get(c.key)]
            if hidden:
                total[columns[0].key] = total[hidden[0]]
        total = cells(total, total=True)
    rows = [cells(row) for row in table.rows]
    return {
        "key": table.key,
        "title": table.title,
        "charts": list(charts),
        "columns": [{"label": c.label, "numeric": c.kind != "text", "key": c.key} for c in columns],
        "rows": rows,
        "shown_rows": rows[:limit],
        "total": total,
        "notes": table.notes,
    }


def table_csv(table: figures.Table, filename: str) -> HttpResponse:
    """The table as CSV (UTF-8 with BOM, semicolons, plain numbers with a decimal point, as the invoice
    specification), text cells guarded against spreadsheet formulas."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([str(c.label) for c in table.columns])
    for row in [*table.rows, *([table.total] if table.total else [])]:
        writer.writerow([_csv_value(row.get(c.key), c.kind) for c in table.columns])
    return response


# The report columns' kinds as XLSX cells (kernel.xlsx): counts as integers, money and decimals with two decimals.
_XLSX_KINDS = {"money": xlsx.MONEY, "decimal": xlsx.DECIMAL, "int": xlsx.INT, "percent": xlsx.PERCENT}


def table_xlsx(table: figures.Table, filename: str) -> HttpResponse:
    """The table as XLSX: the CSV export's columns and rows (codes, not names, as there), the total row in bold;
    numbers as numeric cells with Swedish formats, text cells never formulas."""
    columns = [xlsx.XlsxColumn(str(c.label), _XLSX_KINDS.get(c.kind, xlsx.TEXT)) for c in table.columns]
    rows = ([_xlsx_value(row.get(c.key), c.kind) for c in table.columns] for row in table.rows)
    total = [[_xlsx_value(table.total.get(c.key), c.kind) for c in table.columns]] if table.total else []
    response, _count = xlsx.xlsx_response(
        filename=filename, title=str(table.title), columns=columns, rows=rows, bold_rows=total
    )
    return response


def _xlsx_value(value, kind: str):
    if kind in ("money", "decimal") and value is not None:
        return to_money(value)
    return value


def table_export(request, table: figures.Table, filename: str) -> HttpResponse:
    """The CSV export, or the XLSX one with ``format=xlsx``."""
    if request.GET.get("format") == "xlsx":
        return table_xlsx(table, filename.removesuffix(".csv") + ".xlsx")
    return table_csv(table, filename)


def _csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("money", "decimal"):
        return str(to_money(value))
    if isinstance(value, (int, Decimal)) and kind != "text":
        return str(value)
    # Guarded against formulas, and a provider's or profession's name from before intake refused invisible
    # characters shown with U+FFFD (kernel/text.py).
    return neutralise(safe_cell(str(value)))


def _filename(key: str, filters: figures.ReportFilters) -> str:
    region = filters.region or "SE"
    side = f"-{filters.perspective}" if filters.region else ""
    return f"utomlans-{key}-{region}{side}-{filters.first_month:%Y-%m}-{filters.last_month:%Y-%m}.csv"


def _context(request, form, title: str, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "form": form,
        "refreshed": last_refresh(),
        "query": request.GET.urlencode(),
        "export_query": _without(_without(request.GET, "export"), "format").urlencode(),
        "is_national": scope_of(request.user).national,
        **extra,
    }


def _without(query, name: str):
    copy = query.copy()
    copy.pop(name, None)
    return copy


def _money_chart_value(value) -> str:
    return format_sek(Decimal(value))


def _count_value(value) -> str:
    return display(value, "int")


def _percent_value(value) -> str:
    return display(value, "percent")


# The providers chart shows at most this many (the table and the CSV export have them all).
CHART_PROVIDERS = 15


def selection_text(filters: figures.ReportFilters) -> str:
    """What the filters choose, in words: ``2026-11, Region Norrbotten as buyer, care provider X, profession LK``."""
    first, last = figures.month_label(filters.first_month), figures.month_label(filters.last_month)
    parts = [first if first == last else f"{first} – {last}"]
    if filters.region:
        region = Region.objects.filter(code=filters.region).values_list("name", flat=True).first() or filters.region
        if filters.perspective == figures.Perspective.SELLER:
            parts.append(_("%(region)s as seller") % {"region": region})
        else:
            parts.append(_("%(region)s as buyer") % {"region": region})
    else:
        parts.append(_("the whole country"))
    if filters.provider:
        provider = Provider.objects.filter(pk=filters.provider).first()
        parts.append(_("care provider %(name)s") % {"name": provider.name if provider else filters.provider})
    if filters.profession:
        parts.append(_("profession %(code)s") % {"code": filters.profession})
    return ", ".join(str(part) for part in parts)


def _dashboard_charts(tables: dict[str, figures.Table]) -> dict[str, list]:
    """The charts of each dashboard table, by table key."""
    monthly = tables["monthly"].rows
    months = [row["month"] for row in monthly]
    ages = tables["age-groups"].rows
    return {
        "monthly": [
            charts.bar_chart(
                "monthly-contacts",
                months,
                [charts.Series(_("Contacts"), [r["contacts"] for r in monthly])],
                title=_("Contacts per month"),
                formatter=_count_value,
            ),
            charts.bar_chart(
                "monthly-cost",
                months,
                [charts.Series(_("Cost"), [r["cost"] for r in monthly])],
                title=_("Cost per month (SEK)"),
                formatter=_money_chart_value,
            ),
        ],
        "categories": [
            charts.hbar_chart(
                "categories",
                [(str(r["category"]), r["share"]) for r in tables["categories"].rows],
                title=_("Share of contacts by profession category (%)"),
                formatter=_percent_value,
            )
        ],
        "professions": [
            charts.hbar_chart(
                "professions",
                [(f"{r['profession']} {r['name']}", r["share"]) for r in tables["professions"].rows],
                title=_("Share of contacts by profession (%)"),
                formatter=_percent_value,
            )
        ],
        "age-groups": [
            charts.bar_chart(
                "age-groups",
                [str(r["age_group"]) for r in ages],
                [
                    charts.Series(_("Women"), [r["women"] for r in ages]),
                    charts.Series(_("Men"), [r["men"] for r in ages]),
                ],
                title=_("Contacts by age group and sex"),
                formatter=_count_value,
            )
        ],
        "per-inhabitant": [
            charts.hbar_chart(
                "per-inhabitant",
                [(f"{r['year']} {r['region_name']}", r["per_1000"]) for r in tables["per-inhabitant"].rows],
                title=_("Contacts per 1 000 inhabitants"),
                formatter=lambda v: display(v, "decimal"),
            )
        ],
        "providers": [
            charts.hbar_chart(
                "providers",
                [(r["name"], r["cost"]) for r in tables["providers"].rows[:CHART_PROVIDERS]],
                # The chart shows the first providers of the table only: its title says so when others are left out.
                title=_("Cost by care provider (SEK)")
                if len(tables["providers"].rows) <= CHART_PROVIDERS
                else _("Cost by care provider, the %(count)s with the most contacts (SEK)")
                % {"count": CHART_PROVIDERS},
                formatter=_money_chart_value,
            )
        ],
        "rejections": [
            charts.hbar_chart(
                "rejections",
                [(str(r["label"]), r["rate"]) for r in tables["rejections"].rows],
                title=_("Rejection rate by reason (percent of reported contacts)"),
                formatter=_percent_value,
            )
        ],
    }


def dashboard(request):
    scope = report_scope(request.user)
    form = ReportFilterForm(request.GET, user=request.user, scope=scope)
    if not form.is_valid():
        return render(request, "reports/dashboard.html", _context(request, form, _("Dashboard")), status=400)
    filters = form.filters()
    export = request.GET.get("export")
    if export:
        if export not in figures.DASHBOARD:
            raise Http404(_("No such table."))
        return table_export(request, figures.DASHBOARD[export](request.user, filters), _filename(export, filters))
    tables = {key: report(request.user, filters) for key, report in figures.DASHBOARD.items()}
    total = tables["monthly"].total
    chart_map = _dashboard_charts(tables)
    names = region_names()
    return render(
        request,
        "reports/dashboard.html",
        _context(
            request,
            form,
            _("Dashboard"),
            filters=filters,
            # Every table covers what the key figures cover unless its heading or notes say otherwise.
            selection=_(
                "The key figures and the tables cover %(selection)s, unless a table's heading or notes say otherwise."
            )
            % {"selection": selection_text(filters)},
            key_figures=[
                (_("Contacts"), display(total["contacts"], "int")),
                (_("Cost"), display(total["cost"], "money")),
                (_("Rejected contacts"), display(total["rejected"], "int")),
                (_("Rejection rate"), display(total["rejection_rate"], "percent")),
            ],
            tables=[
                _rendered(table, chart_map.get(key, ()), limit=50 if key == "listing-units" else 200, regions=names)
                for key, table in tables.items()
            ],
        ),
    )


def what_if(request):
    scope = report_scope(request.user)
    form = ReportFilterForm(request.GET, user=request.user, scope=scope)
    version_form = WhatIfForm(request.GET)
    if not (form.is_valid() and version_form.is_valid()) or version_form.cleaned_data["recommendation"] is None:
        context = _context(request, form, _("What if"), version_form=version_form)
        return render(request, "reports/what_if.html", context, status=400)
    filters = form.filters()
    recommendation = version_form.cleaned_data["recommendation"]
    table = figures.what_if(request.user, filters, recommendation)
    if request.GET.get("export") == table.key:
        return table_export(request, table, _filename(f"what-if-{recommendation.code}", filters))
    chart = charts.bar_chart(
        "what-if",
        [str(r["category"]) for r in table.rows],
        [
            charts.Series(_("Actual cost"), [r["cost"] for r in table.rows]),
            charts.Series(_("Cost under %(code)s") % {"code": recommendation.code}, [r["what_if"] for r in table.rows]),
        ],
        title=_("Cost per rate category (SEK)"),
        formatter=_money_chart_value,
    )
    context = _context(
        request,
        form,
        _("What if"),
        version_form=version_form,
        tables=[_rendered(table, [chart])],
        filters=filters,
        selection=_("The table covers %(selection)s.") % {"selection": selection_text(filters)},
    )
    return render(request, "reports/what_if.html", context)


def national(request):
    scope = scope_of(request.user)
    if not scope.national:
        raise PermissionDenied(_("The national view is for national administrators."))
    form = ReportFilterForm(request.GET, user=request.user, scope=scope)
    if not form.is_valid():
        context = _context(request, form, _("National view"), period_only=True)
        return render(request, "reports/national.html", context, status=400)
    filters = form.filters()
    tables = {key: report(request.user, filters) for key, report in figures.NATIONAL.items()}
    export = request.GET.get("export")
    if export:
        if export not in tables:
            raise Http404(_("No such table."))
        return table_export(request, tables[export], _filename(export, filters))
    regions = tables["national-regions"].rows
    names = region_names()
    chart = charts.hbar_chart(
        "national-net",
        [(r["name"], r["net"]) for r in regions],
        title=_("Net per region, receipts less payments (SEK)"),
        formatter=_money_chart_value,
    )
    context = _context(
        request,
        form,
        _("National view"),
        period_only=True,
        tables=[
            _rendered(tables["national-regions"], [chart], regions=names),
            _rendered(tables["national-pairs"], regions=names),
        ],
        filters=filters,
    )
    return render(request, "reports/national.html", context)


@require_POST
def refresh(request):
    report_scope(request.user)
    refresh_reports.delay(full=False)
    messages.success(request, _("The figures are being updated; reload the page in a moment."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("reports:dashboard")
    return redirect(target)
