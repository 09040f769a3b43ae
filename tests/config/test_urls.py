from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from billing.models import Invoice, InvoiceRun

pytestmark = pytest.mark.django_db


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_a_refused_step_answers_with_a_swedish_403_page(client, named, invoices):
    approved = invoices["approved"]
    client.force_login(named["clerk25"])  # the buyer's clerk sees the seller's invoice, and may not mark it sent

    response = client.post(reverse("admin:billing_invoice_transition", args=[approved.pk, "mark_sent"]))

    page = response.content.decode()
    assert response.status_code == 403
    assert "<title>Ingen behörighet | Utomläns</title>" in page
    assert "<h1>Ingen behörighet</h1>" in page
    assert '<p class="errornote">Din roll ger inte behörighet att öppna sidan eller ta det här steget.</p>' in page
    assert "<p>Behöver du det i ditt arbete, be din regions administratör om rollen.</p>" in page
    assert f'<a href="{reverse("admin:index")}">Till startsidan</a>' in page
    assert '<html lang="sv">' in page
    assert Invoice.objects.get(pk=approved.pk).status == "approved"  # and nothing changed


def test_an_address_that_leads_nowhere_answers_with_a_swedish_404_page(client, named):
    client.force_login(named["clerk04"])

    response = client.get("/ingen-sådan-sida/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Sidan finns inte | Utomläns</title>" in page
    assert "<h1>Sidan finns inte</h1>" in page
    assert '<p class="errornote">Sidan finns inte, eller så är den inte en sida du får se.</p>' in page
    assert "<p>Kontrollera adressen, eller börja om från startsidan.</p>" in page


def test_a_form_sent_without_its_csrf_token_answers_with_a_swedish_page_and_saves_nothing(named):
    client = Client(enforce_csrf_checks=True)
    client.force_login(named["clerk04"])

    response = client.post(reverse("admin:billing_invoicerun_add"), {"billing_region": "04", "period": "2026-01"})

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Formuläret kunde inte skickas</h1>" in page
    assert '<p class="errornote">Sidan var för gammal för att kunna skickas säkert: inget sparades.</p>' in page
    assert '<html lang="sv">' in page
    assert InvoiceRun.objects.count() == 0


def test_a_server_error_answers_with_a_swedish_500_page():
    response = server_error(RequestFactory().get("/admin/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "<title>Något gick fel | Utomläns</title>" in page
    assert "<h1>Något gick fel</h1>" in page
    assert '<p class="errornote">Sidan kunde inte visas på grund av ett fel i systemet.</p>' in page
    assert (
        "<p>Försök igen om en stund. Händer det igen, berätta för din regions administratör vad du gjorde och när.</p>"
    ) in page


@pytest.mark.parametrize("name", ["403.html", "404.html", "500.html", "503.html"])
def test_the_error_pages_stand_alone_and_read_nothing_from_the_database(name, django_assert_num_queries):
    source = (TEMPLATES / name).read_text()

    with django_assert_num_queries(0):
        page = render_to_string(name, {"exception": "", "message": "", "retry_after": 30})

    assert "{% extends" not in source and "{% include" not in source
    assert page.startswith("<!DOCTYPE html>") and '<html lang="sv">' in page


def test_the_browsers_favicon_request_finds_the_products_icon(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (301, "/static/utomlans/favicon.ico")
    with open(finders.find("utomlans/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file, where the static files are collected from
