import socket
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.urls import reverse

from billing.models import InvoiceRun
from regions.models import Role
from tests.factories import on_postgresql

UNAVAILABLE = "Databasen är inte tillgänglig just nu. Försök igen om en stund."


def _database_gone(error=OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")):
    return mock.patch.object(connection, "ensure_connection", side_effect=error)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused"),
        InterfaceError("the connection is closed"),
    ],
)
def test_an_api_request_without_a_database_answers_503_with_a_clear_message(month, api_as, caplog, error):
    api = api_as(Role.CLERK, "04")

    with _database_gone(error):
        listed = api.get("/api/v1/contacts/", {"patient_id": "19850312-0015"})
        started = api.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": month["period"]}, format="json")

    for response in (listed, started):
        assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (
            503,
            "application/json",
            "30",
        )
        assert response.json() == {"detail": UNAVAILABLE}
    assert InvoiceRun.objects.count() == 0
    logged = [r.getMessage() for r in caplog.records if r.name == "config.middleware"]
    assert logged == [
        f"Database unavailable: GET /api/v1/contacts/ answered 503 ({type(error).__name__}: {error})",
        f"Database unavailable: POST /api/v1/invoice-runs/ answered 503 ({type(error).__name__}: {error})",
    ]
    assert "19850312" not in caplog.text  # the query string (personal data) is never logged
    # The database back, the same requests work.
    assert api.get("/api/v1/contacts/").status_code == 200


def test_an_admin_page_without_a_database_answers_a_503_page_in_swedish(month, client):
    client.force_login(month["clerk"])

    with _database_gone():
        response = client.get(reverse("admin:billing_invoice_changelist"))

    html = response.content.decode()
    assert (response.status_code, response["Content-Type"], response["Retry-After"]) == (
        503,
        "text/html; charset=utf-8",
        "30",
    )
    assert "<h1>Tillfälligt otillgänglig</h1>" in html
    assert f'<p class="errornote">{UNAVAILABLE}</p>' in html
    assert "Ladda om sidan om 30 sekunder för att försöka igen." in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert client.get(reverse("admin:billing_invoice_changelist")).status_code == 200


def test_a_database_failure_inside_a_middleware_answers_503_too(month, api_as):
    """The identity-read log is written by a middleware after the view: Django makes its failure a 500 before
    any outer middleware sees it; the 503 middleware turns that 500 into the 503."""
    api = api_as(Role.CLERK, "04")
    api.raise_request_exception = False  # Django has handled the exception (as a 500) before we answer 503
    lost = OperationalError("server closed the connection unexpectedly")

    with mock.patch("contacts.audit.middleware.identity_reads_flush", side_effect=lost):
        response = api.get("/api/v1/contacts/")

    assert (response.status_code, response.json(), response["Retry-After"]) == (503, {"detail": UNAVAILABLE}, "30")


def test_errors_that_are_not_about_the_database_are_left_alone(month, api_as):
    api = api_as(Role.CLERK, "04")

    with mock.patch("billing.api.invoice_run_start", side_effect=ZeroDivisionError), pytest.raises(ZeroDivisionError):
        api.post("/api/v1/invoice-runs/", {"billing_region": "04", "period": month["period"]}, format="json")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: nothing listens there


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_real_lost_connection_gives_503_and_the_next_request_after_it_is_back_works(month, api_as, client):
    api = api_as(Role.CLERK, "04")
    client.force_login(month["clerk"])
    connection.close()

    with mock.patch.dict(connection.settings_dict, {"HOST": "127.0.0.1", "PORT": str(_closed_port())}):
        api_answer = api.get("/api/v1/invoices/")
        admin_answer = client.get(reverse("admin:index"))
        connection.close()

    assert (api_answer.status_code, api_answer.json()) == (503, {"detail": UNAVAILABLE})
    assert admin_answer.status_code == 503 and UNAVAILABLE in admin_answer.content.decode()
    assert api.get("/api/v1/invoices/").status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/providers/%00/",
        "/api/v1/regions/%00/",
        "/api/v1/professions/%00/",
        "/api/v1/recommendations/%00/",
        "/api/v1/contacts/?external_id=%00&period=2026-01%00",
        "/api/v1/invoices/?seller=0%004",
    ],
)
def test_a_nul_character_in_an_api_address_is_a_400(clerk04_api, url):
    response = clerk04_api.get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": "Adressen innehåller ett NUL-tecken."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/regions/region/%00/change/",
        "/admin/regions/profession/%00/change/",
        "/admin/regions/provider/?q=%00",
        "/admin/contacts/contact/?q=c-%001",
        "/admin/billing/invoice/?q=%00",
    ],
)
def test_a_nul_character_in_an_admin_address_is_a_400(client, make_user, url):
    client.force_login(make_user(Role.ADMIN))

    response = client.get(url)

    assert response.status_code == 400


@pytest.mark.django_db
def test_under_debug_the_api_still_redirects_a_missing_slash_and_other_pages_keep_their_html(client, settings):
    settings.DEBUG = True

    assert (client.get("/api/v1/regions").status_code, client.get("/api/v1/regions")["Location"]) == (
        301,
        "/api/v1/regions/",
    )
    admin_page = client.get("/no-such-page/")
    assert (admin_page.status_code, admin_page["Content-Type"]) == (404, "text/html; charset=utf-8")


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_request_django_refuses_itself_is_json_under_the_api(client, reference, settings, debug):
    settings.DEBUG = debug
    settings.ALLOWED_HOSTS = ["utomlans.example.se"]

    answer = client.get("/api/v1/regions/", HTTP_HOST="attacker.example")

    assert (answer.status_code, answer["Content-Type"]) == (400, "application/json")
    assert answer.json() == {"detail": "Anropet kunde inte läsas."}
