"""The contact list's search and date range (issue 15) and identity numbers kept out of addresses (issue 16 item 8):
the search box posts its term, an identity number is kept on the server under a key, the list finds exactly that
patient's contacts, and the identity-read log records what the list showed as before."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from config.identity_scrubbing import looks_like_identity_number
from contacts.audit.models import IdentityRead, ReadVia
from contacts.intake import contacts_upsert
from contacts.models import Contact
from kernel.business_time import STOCKHOLM
from regions.models import Role
from tests.factories import contact_item, personnummer

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:contacts_contact_changelist")
SEARCH = reverse("admin:contacts_contact_search")
ANNA = personnummer("19850312", "238")  # 19850312-2387
BERIT = personnummer("19900101", "239")
# A samordningsnummer: the day plus 60.
SAMORDNING = personnummer("19850372", "238")


@pytest.fixture
def clerk04(make_user):
    user = make_user(Role.CLERK, "04")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="contacts", codename__in=["view_contact", "change_contact"])
    )
    return user


@pytest.fixture
def contacts(clerk04, providers):
    hsa, other = providers["04a"].hsa_id, providers["04b"].hsa_id
    items = [
        contact_item(provider=hsa, external_id="lk-20", patient_id=ANNA, started_at="2026-03-01T00:30:00+01:00"),
        contact_item(provider=hsa, external_id="lk-21", patient_id=BERIT, started_at="2026-03-15T23:30:00+01:00"),
        contact_item(provider=hsa, external_id="lk-3", patient_id=BERIT, started_at="2026-03-16T00:10:00+01:00"),
        contact_item(
            provider=other, external_id="19850312", patient_id=SAMORDNING, started_at="2026-02-28T23:59:00+01:00"
        ),
    ]
    result = contacts_upsert(items=items, user=clerk04, channel="api")
    assert result.errors == []
    return {contact.external_id: contact for contact in Contact.objects.all()}


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(contact.external_id for contact in response.context["cl"].result_list)


def hrefs(response) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', response.content.decode())


# --- the search box posts; an identity number never reaches the address -------------------------------------------


def test_a_posted_identity_number_lands_on_a_key_and_finds_exactly_that_patient(client, clerk04, contacts):
    client.force_login(clerk04)

    response = client.post(SEARCH, {"q": BERIT, "status__exact": "eligible"}, follow=True)

    ((location, status),) = response.redirect_chain
    assert status == 303
    assert re.fullmatch(r"/admin/contacts/contact/\?status__exact=eligible&qk=[A-Za-z0-9_-]{12}", location)
    assert listed(response) == ["lk-21", "lk-3"]
    # No link of the page (filters, sorting, pages, the search form's own hidden fields) carries the number.
    assert not [url for url in hrefs(response) if looks_like_identity_number(url)]
    search_form = response.content.decode().split('id="changelist-search"', 1)[1].split("</form>", 1)[0]
    assert 'name="qk"' not in search_form  # a new search replaces the kept one
    assert f'value="{BERIT}"' in search_form  # the box shows what was searched
    assert any("qk=" in url and "out_of_county=yes" in url for url in hrefs(response))  # the filters keep the search


@pytest.mark.parametrize("term", [BERIT, BERIT[2:], BERIT.replace("-", ""), SAMORDNING, "19850312-2388"])
def test_no_identity_number_reaches_the_address_whatever_its_form_even_a_wrong_one(client, clerk04, contacts, term):
    client.force_login(clerk04)

    response = client.post(SEARCH, {"q": term})

    assert response.status_code == 303
    assert "qk=" in response["Location"]
    assert not looks_like_identity_number(response["Location"])


def test_a_samordningsnummer_is_found_exactly(client, clerk04, contacts):
    client.force_login(clerk04)

    assert listed(client.post(SEARCH, {"q": SAMORDNING}, follow=True)) == ["19850312"]


def test_an_address_with_an_identity_number_is_redirected_to_its_key(client, clerk04, contacts):
    client.force_login(clerk04)

    response = client.get(CHANGELIST, {"q": ANNA, "period": "2026-03"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{CHANGELIST}?period=2026-03&qk=")
    assert listed(client.get(response["Location"])) == ["lk-20"]


def test_other_terms_stay_in_the_address(client, clerk04, contacts):
    client.force_login(clerk04)

    response = client.post(SEARCH, {"q": " lk-3 ", "p": "3"}, follow=True)

    assert response.redirect_chain == [(f"{CHANGELIST}?q=lk-3", 303)]
    assert listed(response) == ["lk-3"]


def test_an_empty_search_clears_the_search_and_keeps_the_filters(client, clerk04, contacts):
    client.force_login(clerk04)

    response = client.post(SEARCH, {"q": "", "period": "2026-03"})

    assert response["Location"] == f"{CHANGELIST}?period=2026-03"


def test_a_key_is_the_users_own_and_an_unknown_key_shows_nothing(client, clerk04, make_user, contacts):
    client.force_login(clerk04)
    kept = client.post(SEARCH, {"q": ANNA})["Location"]
    other = make_user(Role.CLERK, "04")
    other.user_permissions.add(*clerk04.user_permissions.all())
    client.force_login(other)

    response = client.get(kept)

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Sökningen finns inte längre kvar: sök igen."]


def test_the_search_page_needs_the_list_permission(client, make_user, contacts):
    client.force_login(make_user(Role.PROVIDER, provider=Contact.objects.first().provider))

    response = client.post(SEARCH, {"q": ANNA})

    assert response.status_code in (302, 403)
    assert not looks_like_identity_number(response.get("Location", ""))


def test_the_identity_read_log_records_what_the_searched_list_showed(client, clerk04, contacts):
    client.force_login(clerk04)

    response = client.post(SEARCH, {"q": ANNA}, follow=True)

    assert ANNA.replace("-", "") in response.content.decode()  # the billing region's clerk sees the full number
    assert list(IdentityRead.objects.values_list("user_id", "via", "contact_id", "path")) == [
        (clerk04.pk, ReadVia.ADMIN_LIST, contacts["lk-20"].pk, CHANGELIST)
    ]


# --- the search's other terms ----------------------------------------------------------------------------------


def test_a_prefix_of_external_ids_with_a_star_and_never_of_identity_numbers(client, clerk04, contacts):
    client.force_login(clerk04)

    def found(term):
        return listed(client.post(SEARCH, {"q": term}, follow=True))

    assert found("lk-2*") == ["lk-20", "lk-21"]
    assert found("lk-*") == ["lk-20", "lk-21", "lk-3"]
    assert found("1985*") == ["19850312"]  # the external id "19850312", not the patients born in 1985
    assert found("198503122*") == []  # no external id starts so; the identity number 19850312-2387 is not searched
    assert found("l*") == []  # at least two characters
    assert found("lk-2") == []  # without the star: exact
    assert client.get(CHANGELIST, {"patient_id__startswith": "19"}).status_code == 400


def test_a_providers_hsa_id_finds_its_contacts(client, clerk04, contacts, providers):
    client.force_login(clerk04)

    response = client.post(SEARCH, {"q": providers["04b"].hsa_id.lower()}, follow=True)

    assert listed(response) == ["19850312"]


# --- the date range: Stockholm days, both included --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"started_from": "2026-03-01"}, ["lk-20", "lk-21", "lk-3"]),  # 00:30 on 1 March in Stockholm is 28 Feb UTC
        ({"started_to": "2026-02-28"}, ["19850312"]),
        ({"started_from": "2026-03-01", "started_to": "2026-03-15"}, ["lk-20", "lk-21"]),  # 23:30 on the 15th included
        ({"started_from": "2026-03-16", "started_to": "2026-03-16"}, ["lk-3"]),
        ({"started_from": "2026-03-16", "started_to": "2026-03-01"}, []),
        ({"started_from": "", "started_to": ""}, ["19850312", "lk-20", "lk-21", "lk-3"]),
    ],
)
def test_the_date_range_takes_stockholm_days_both_included(client, clerk04, contacts, query, expected):
    client.force_login(clerk04)

    assert listed(client.get(CHANGELIST, query)) == expected


@pytest.mark.parametrize(
    "query",
    [{"started_from": "2026-02-30"}, {"started_to": "0001-01-01"}, {"started_to": "9999-12-31"}, {"started_from": "x"}],
)
def test_a_date_that_is_not_one_is_a_wrong_parameter(client, clerk04, contacts, query):
    client.force_login(clerk04)

    response = client.get(CHANGELIST, query)

    assert (response.status_code, response["Location"]) == (302, f"{CHANGELIST}?e=1")


def test_the_range_form_keeps_the_other_filters_and_the_kept_search(client, clerk04, contacts):
    client.force_login(clerk04)
    searched = client.post(SEARCH, {"q": BERIT, "status__exact": "eligible"})["Location"]
    key = searched.rsplit("qk=", 1)[1]

    html = client.get(searched).content.decode()
    form = html.split('class="started-range-filter"', 1)[1].split("</form>", 1)[0]

    assert '<input type="hidden" name="status__exact" value="eligible">' in form
    assert f'<input type="hidden" name="qk" value="{key}">' in form
    assert listed(client.get(CHANGELIST, {"status__exact": "eligible", "qk": key, "started_to": "2026-03-15"})) == [
        "lk-21"
    ]


def test_the_start_pages_lapse_links_list_the_days_they_count(client, clerk04, providers):
    """The start page links to contacts near their invoicing deadline with the range's Stockholm dates
    (``start/page.py``), declared parameters of the list rather than raw ``started_at__gte`` lookups."""
    hsa = providers["04a"].hsa_id
    with time_machine.travel(dt.datetime(2026, 9, 1, 9, 0, tzinfo=STOCKHOLM), tick=False):
        contacts_upsert(
            items=[
                contact_item(provider=hsa, external_id="feb", started_at="2026-02-28T23:30:00+01:00"),  # lapsed
                contact_item(provider=hsa, external_id="mar-1", started_at="2026-03-01T00:30:00+01:00"),
                contact_item(provider=hsa, external_id="mar-31", started_at="2026-03-31T23:30:00+02:00"),
                contact_item(provider=hsa, external_id="apr", started_at="2026-04-01T00:30:00+02:00"),  # not yet
            ],
            user=clerk04,
            channel="api",
        )
        client.force_login(clerk04)
        page = client.get("/admin/")
        links = sorted({url.replace("&amp;", "&") for url in hrefs(page) if "started_from" in url})

        assert links == [
            f"{CHANGELIST}?billing_region__code__exact=04&status__exact=eligible"
            "&started_from=2026-03-01&started_to=2026-03-31"
        ]
        assert listed(client.get(links[0])) == ["mar-1", "mar-31"]


def test_an_action_on_all_of_a_searched_list_acts_on_the_searched_contacts_only(client, clerk04, contacts):
    """ "Select all" of a list shown under a kept search's key re-evaluates what the search found, not every contact
    (the key is resolved for the action's POST too)."""
    client.force_login(clerk04)
    searched = client.post(SEARCH, {"q": BERIT})["Location"]

    response = client.post(
        searched,
        {
            "action": "reevaluate",
            "_selected_action": [str(contacts["lk-21"].pk)],
            "index": "0",
            "select_across": "1",
        },
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)][-1:] == ["2 kontakt(er) ombedömda; 0 ändrades."]
