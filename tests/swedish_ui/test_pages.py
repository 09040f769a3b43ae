"""Swedish UI (issue 8): the admin's pages show dates as ISO 8601 in Stockholm time (``2026-01-30 10:00``) and
amounts as ``1 234,50 kr``, in Swedish and in English alike; the admin's date filters and date hierarchy still
work with the ISO formats (config/formats)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from axes.models import AccessLog
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import formats, timezone, translation

from contacts.models import Contact
from regions.models import Role

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


def _kr(text: str) -> str:
    """``1 140,00 kr`` as the page writes it, with non-breaking spaces."""
    return text.replace(" ", NBSP)


def _readonly(html: str) -> dict[str, str]:
    """The read-only fields of an admin change page: label → shown value."""
    return {
        label.rstrip(":"): value.strip()
        for label, value in re.findall(r'<label>([^<]*)</label>\s*<div class="readonly">(.*?)</div>', html, re.S)
    }


def _minute(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_the_contact_page_shows_stockholm_time_and_kronor(client, approved, staff):
    client.force_login(staff["clerk04"])
    contact = Contact.objects.get(external_id="lk-30")

    fields = _readonly(client.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode())

    assert (fields["Starttid"], fields["Patientavgift"], fields["Ersättning"], fields["Belopp"]) == (
        "2026-01-30 10:00",
        _kr("100,00 kr"),
        _kr("435,00 kr"),
        _kr("335,00 kr"),
    )
    assert fields["Bedömd"] == _minute(contact.evaluated_at)


def test_a_contact_at_midnight_utc_shows_the_stockholm_date(client, approved, staff):
    client.force_login(staff["clerk04"])
    contact = Contact.objects.get(external_id="feb")  # 2026-01-31 23:30 UTC

    fields = _readonly(client.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode())

    assert fields["Starttid"] == "2026-02-01 00:30"


def test_the_invoice_page_and_list_show_iso_dates_and_kronor(client, approved, staff):
    client.force_login(staff["clerk04"])

    fields = _readonly(client.get(f"/admin/billing/invoice/{approved.pk}/change/").content.decode())
    listing = client.get("/admin/billing/invoice/").content.decode()

    assert (fields["Fakturadatum"], fields["Förfallodatum"], fields["Summa"], fields["Godkänd"]) == (
        approved.issue_date.isoformat(),
        approved.due_date.isoformat(),
        _kr("1 140,00 kr"),
        _minute(approved.approved_at),
    )
    assert '<td class="field-total_display">' + _kr("1 140,00 kr") + "</td>" in listing
    assert f'<td class="field-due_date nowrap">{approved.due_date.isoformat()}</td>' in listing


def test_english_pages_keep_iso_dates_and_kronor(client, approved, staff):
    client.force_login(staff["clerk04"])
    client.cookies["django_language"] = "en"
    contact = Contact.objects.get(external_id="lk-30")

    contact_fields = _readonly(client.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode())
    invoice_fields = _readonly(client.get(f"/admin/billing/invoice/{approved.pk}/change/").content.decode())

    assert (contact_fields["Started at"], contact_fields["Patient fee"], contact_fields["Amount"]) == (
        "2026-01-30 10:00",
        _kr("100,00 kr"),
        _kr("335,00 kr"),
    )
    assert (invoice_fields["Issue date"], invoice_fields["Total"]) == (
        approved.issue_date.isoformat(),
        _kr("1 140,00 kr"),
    )


def test_the_admins_date_filter_still_filters(client, make_user):
    admin = make_user(Role.ADMIN)
    client.force_login(admin)
    today = timezone.localdate()

    page = client.get("/admin/contacts/identityread/").content.decode()
    [today_link] = re.findall(r'<a href="(\?at__gte=[^"]+)"[^>]*>Idag</a>', page)
    filtered = client.get("/admin/contacts/identityread/" + today_link.replace("&amp;", "&"))

    assert f"at__gte={today.isoformat()}" in today_link
    assert filtered.status_code == 200
    assert "Idag" in filtered.content.decode()


def test_the_date_hierarchy_drills_down_by_iso_months(client, make_user):
    client.force_login(make_user(Role.ADMIN))
    entry = AccessLog.objects.create(
        user_agent="test", ip_address="192.0.2.7", username="clerk04", http_accept="*/*", path_info="/admin/login/"
    )
    at = timezone.localtime(entry.attempt_time)

    first = client.get("/admin/axes/accesslog/").content.decode()  # one day only: Django goes down to the days
    months = client.get(f"/admin/axes/accesslog/?attempt_time__year={at.year}").content.decode()
    day = client.get(
        f"/admin/axes/accesslog/?attempt_time__year={at.year}&attempt_time__month={at.month}&attempt_time__day={at.day}"
    )

    query = f"attempt_time__day={at.day}&amp;attempt_time__month={at.month}&amp;attempt_time__year={at.year}"
    assert f'<a href="?{query}">{at:%Y-%m-%d}</a>' in first
    assert f'<a href="?attempt_time__month={at.month}&amp;attempt_time__year={at.year}">{at:%Y-%m}</a>' in months
    assert day.status_code == 200
    assert '<td class="field-username">clerk04</td>' in day.content.decode()


# --- the formats themselves -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_dates_and_times_are_iso_in_every_language(language):
    moment = dt.datetime(2026, 12, 1, 6, 17, tzinfo=dt.UTC)  # 07:17 in Stockholm (winter time)

    with translation.override(language):
        shown = (
            formats.localize(timezone.localtime(moment)),
            formats.localize(moment.date()),
            formats.localize(timezone.localtime(moment).time()),
            formats.date_format(moment.date(), "SHORT_DATE_FORMAT"),
            formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT"),
            formats.date_format(moment.date(), "YEAR_MONTH_FORMAT"),
            Template("{{ day|date }} {{ moment|date:'DATETIME_FORMAT' }}").render(
                Context({"day": moment.date(), "moment": moment})
            ),
        )

    assert shown == (
        "2026-12-01 07:17",
        "2026-12-01",
        "07:17",
        "2026-12-01",
        "2026-12-01 07:17",
        "2026-12",
        "2026-12-01 2026-12-01 07:17",
    )


@pytest.mark.parametrize("language", ["sv", "en"])
def test_forms_read_iso_dates_only(language):
    with translation.override(language):
        assert forms.DateField().clean("2026-12-01") == dt.date(2026, 12, 1)
        assert forms.DateTimeField().clean("2026-12-01 07:17") == timezone.make_aware(dt.datetime(2026, 12, 1, 7, 17))
        with pytest.raises(ValidationError):
            forms.DateField().clean("12/01/2026")  # month first or day first: ambiguous, refused


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.5"), "1 234,50 kr"),
        (Decimal("435.00"), "435,00 kr"),
        (0, "0,00 kr"),
        (Decimal("-1234567.891"), "-1 234 567,89 kr"),
        ("435.00", "435,00 kr"),
        (None, "–"),
    ],
)
def test_the_sek_template_filter(amount, shown):
    rendered = Template("{% load money %}{{ amount|sek }}").render(Context({"amount": amount}))

    assert rendered == _kr(shown)
