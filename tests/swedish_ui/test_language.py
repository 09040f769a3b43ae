"""Swedish UI (issue 8): Swedish for everyone whatever the browser says, English by the user's own choice (the
selector in the admin header), and the API's rule (the client's Accept-Language, Swedish by default)."""

import pytest

from regions.models import Role

pytestmark = pytest.mark.django_db


def _login_page(client, **headers):
    return client.get("/admin/login/", **headers).content.decode()


# --- the language of the web UI ---------------------------------------------------------------------------


def test_a_browser_asking_for_english_still_gets_swedish(client, reference):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "sv"
    assert '<html lang="sv"' in html
    assert '<label for="id_username" class="required">Användarnamn:</label>' in html
    assert "Username:" not in html
    # The page depends on the language cookie, never on the browser's language.
    assert "Accept-Language" not in response["Vary"]
    assert "Cookie" in response["Vary"]


def test_the_login_page_offers_the_language_selector_without_script(client, reference):
    html = _login_page(client)

    assert '<form class="language-selector" method="post" action="/i18n/setlang/">' in html
    assert '<label class="visually-hidden" for="language-selector-branding">Språk</label>' in html
    assert '<option value="sv" lang="sv" selected>Svenska</option>' in html
    assert '<option value="en" lang="en">English</option>' in html
    assert '<button type="submit">Byt språk</button>' in html
    assert '<input type="hidden" name="next" value="/admin/login/">' in html


def test_choosing_english_in_the_selector_gives_english_on_the_next_page(client, make_user):
    client.force_login(make_user(Role.CLERK, "04"))
    swedish = client.get("/admin/contacts/contact/").content.decode()
    assert '<select name="language" id="language-selector-user-tools">' in swedish
    assert "<h1>Välj kontakt att ändra</h1>" in swedish

    chosen = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/contacts/contact/"})

    assert (chosen.status_code, chosen["Location"]) == (302, "/admin/contacts/contact/")
    cookie = chosen.cookies["django_language"]
    assert (cookie.value, cookie["max-age"], cookie["httponly"]) == ("en", 365 * 24 * 3600, True)
    english = client.get("/admin/contacts/contact/")
    assert english["Content-Language"] == "en"
    html = english.content.decode()
    assert "<h1>Select contact to change</h1>" in html
    assert '<option value="en" lang="en" selected>English</option>' in html
    assert '<button type="submit">Change language</button>' in html

    back = client.post("/i18n/setlang/", {"language": "sv", "next": "/admin/"})

    assert back.cookies["django_language"].value == "sv"
    assert "<h1>Välj kontakt att ändra</h1>" in client.get("/admin/contacts/contact/").content.decode()


@pytest.mark.parametrize(
    ("cookie", "language", "heading"),
    [
        ("en", "en", "Log in"),
        ("en-gb", "en", "Log in"),  # a variant of a language we offer
        ("sv", "sv", "Logga in"),
        ("de", "sv", "Logga in"),  # a language we do not offer: the default
        ("", "sv", "Logga in"),
    ],
)
def test_the_language_cookie_decides_and_anything_else_is_swedish(client, reference, cookie, language, heading):
    client.cookies["django_language"] = cookie

    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == language
    assert f'<input type="submit" value="{heading}">' in response.content.decode()


def test_the_selector_is_in_the_header_of_every_admin_page_keeping_the_reports_link(client, make_user):
    client.force_login(make_user(Role.MANAGER, "04"))

    html = client.get("/admin/billing/invoice/?status__exact=draft").content.decode()

    assert '<a href="/admin/reports/" data-nav="reports">Rapporter</a> /' in html
    assert '<input type="hidden" name="next" value="/admin/billing/invoice/?status__exact=draft">' in html
    assert '<link rel="stylesheet" href="/static/utomlans/language.css"' in html


def test_the_503_page_is_in_the_chosen_language(client, reference, monkeypatch):
    from django.db import OperationalError

    def unavailable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("django.contrib.auth.views.LoginView.get", unavailable)
    client.cookies["django_language"] = "en"

    response = client.get("/admin/login/")

    assert response.status_code == 503
    html = response.content.decode()
    assert "<h1>Temporarily unavailable</h1>" in html
    assert "The database is not available right now. Please try again in a moment." in html


# --- the API's language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "cookie", "detail", "language"),
    [
        (None, None, "Autentiseringsuppgifter ej tillhandahållna.", "sv"),
        ("en", None, "Authentication credentials were not provided.", "en"),
        ("en-US,en;q=0.9", None, "Authentication credentials were not provided.", "en"),
        ("fr, en;q=0.3", None, "Authentication credentials were not provided.", "en"),
        ("sv-SE,en;q=0.5", None, "Autentiseringsuppgifter ej tillhandahållna.", "sv"),
        ("de", None, "Autentiseringsuppgifter ej tillhandahållna.", "sv"),
        ("en", "sv", "Autentiseringsuppgifter ej tillhandahållna.", "sv"),  # a web user's choice comes first
        (None, "en", "Authentication credentials were not provided.", "en"),
    ],
)
def test_the_api_answers_in_the_clients_accept_language_and_swedish_by_default(
    client, reference, accept_language, cookie, detail, language
):
    if cookie:
        client.cookies["django_language"] = cookie
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}

    response = client.get("/api/v1/contacts/", **headers)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_api_data_is_the_same_in_both_languages(api_as, reference):
    api = api_as(Role.CLERK, "04")

    swedish = api.get("/api/v1/recommendations/", HTTP_ACCEPT_LANGUAGE="sv").json()
    english = api.get("/api/v1/recommendations/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert swedish == english
    latest = next(r for r in swedish["results"] if r["code"] == "SKR-2026-04")
    assert (latest["effective_from"], latest["rates"]["physician"]) == ("2026-04-22", "435.00")
