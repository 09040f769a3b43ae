"""Issue 16 item 7: every changelist of the admin site accepts only its declared filters' parameters (and the admin's
own); anything else is a 400, never a 500 and never a filtered list. A declared filter's value the database cannot
take is the admin's answer to wrong parameters (a redirect with ``?e=1``), never a 500 (``config/admin_lists.py``)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from contacts.intake import contacts_upsert
from regions.models import Role
from tests.factories import contact_item

pytestmark = pytest.mark.django_db

# Every changelist the site registers: the product's, Django's users and groups, django-axes' logs.
CHANGELISTS = sorted(
    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
)

# Parameters no changelist declares: lookups Django's admin would otherwise apply to the model's own fields.
UNDECLARED = [
    "patient_id__regex=(",
    "patient_fee__lt=1e999999",
    "patient_id__startswith=19",
    "id__regex=(",
    "id__gt=1e999999",
    "pk__in=1,2",
    "id__gte=0&q=x",
    "password__startswith=pbkdf2",
    "status=draft",
    "no_such_field=1",
    "e=1&patient_id__regex=(",
    "o=1&p=2&id__lt=5",
]

# Values a declared filter (or the admin's own parameters) may be sent by hand.
HOSTILE_VALUES = [
    "(",
    "1e999999",
    "99999999999999999999",
    "-1",
    "9999-12-31",
    "0001-01-01",
    "2026-13-45",
    "x" * 3000,
    "' OR 1=1 --",
]
ADMIN_PARAMETERS = ["o", "p", "all", "_facets", "_popup"]


@pytest.fixture
def superuser(make_user):
    """A national admin who may open every changelist (Django's groups included)."""
    user = make_user(Role.ADMIN)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def some_contacts(make_user, providers):
    clerk = make_user(Role.CLERK, "04")
    result = contacts_upsert(
        items=[
            contact_item(provider=providers["04a"].hsa_id, external_id="a-1"),
            contact_item(provider=providers["04a"].hsa_id, external_id="a-2", started_at="2026-09-01T10:00:00+02:00"),
        ],
        user=clerk,
        channel="api",
    )
    assert result.errors == []


def test_the_sweep_covers_every_registered_changelist():
    assert len(CHANGELISTS) == len(admin.site._registry) >= 16
    assert "/admin/contacts/contact/" in CHANGELISTS
    assert "/admin/auth/user/" in CHANGELISTS


@pytest.mark.parametrize("query", UNDECLARED)
@pytest.mark.parametrize("url", CHANGELISTS)
def test_an_undeclared_parameter_is_a_400_on_every_changelist(client, superuser, some_contacts, url, query):
    client.force_login(superuser)

    response = client.get(f"{url}?{query}")

    assert response.status_code == 400
    assert response.context is None or "cl" not in response.context  # no list, filtered or not


# Django's date filters read a date typed by hand as a naive datetime and warn (the test settings turn warnings into
# errors); in production the warning is logged and the list filtered.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
@pytest.mark.parametrize("url", CHANGELISTS)
def test_hostile_values_of_the_declared_filters_never_give_a_500(client, superuser, some_contacts, url):
    client.force_login(superuser)
    page = client.get(url)
    assert page.status_code == 200
    changelist = page.context["cl"]
    declared = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    hierarchy = changelist.date_hierarchy
    if hierarchy:  # a month or a day goes with a year
        declared += [f"{hierarchy}__{part}" for part in ("year", "month", "day")]

    answers = {}
    for name in [*declared, *ADMIN_PARAMETERS]:
        for value in HOSTILE_VALUES:
            year = {f"{hierarchy}__year": "2026"} if hierarchy and name != f"{hierarchy}__year" else {}
            response = client.get(url, {**year, name: value})
            answers[(name, value[:20])] = response.status_code
            assert response.status_code in (200, 302), (name, value[:20], response.status_code)
            if response.status_code == 302:
                assert response["Location"] == f"{url}?e=1", (name, value[:20])

    assert len(answers) == len(set(declared + ADMIN_PARAMETERS)) * len(HOSTILE_VALUES)


@pytest.mark.parametrize(
    "query",
    [
        "attempt_time__year=9999&attempt_time__month=12&attempt_time__day=31",
        "attempt_time__year=2026&attempt_time__month=2&attempt_time__day=30",
    ],
)
def test_a_date_hierarchy_beyond_the_calendar_is_a_wrong_parameter(client, superuser, query):
    client.force_login(superuser)

    response = client.get(f"/admin/axes/accessattempt/?{query}")

    assert (response.status_code, response["Location"]) == (302, "/admin/axes/accessattempt/?e=1")


def test_the_first_day_of_the_calendar_is_an_empty_list_or_a_wrong_parameter(client, superuser):
    """1 January of year 1 in Stockholm is still year 0 in UTC: PostgreSQL takes it (an empty list), SQLite's adapter
    cannot convert it (the admin's ?e=1); never a 500."""
    client.force_login(superuser)

    response = client.get("/admin/axes/accessattempt/?attempt_time__year=1&attempt_time__month=1&attempt_time__day=1")

    if response.status_code == 200:
        assert list(response.context["cl"].result_list) == []
    else:
        assert (response.status_code, response["Location"]) == (302, "/admin/axes/accessattempt/?e=1")


def test_the_declared_filters_still_filter(client, superuser, some_contacts):
    client.force_login(superuser)

    by_period = client.get("/admin/contacts/contact/", {"period": "2026-09"})
    by_status = client.get("/admin/contacts/contact/", {"status__exact": "eligible", "period": "2026-10"})
    hierarchy = client.get("/admin/axes/accessattempt/", {"attempt_time__year": "2026"})

    assert [c.external_id for c in by_period.context["cl"].result_list] == ["a-2"]
    assert [c.external_id for c in by_status.context["cl"].result_list] == ["a-1"]
    assert hierarchy.status_code == 200


def test_a_region_users_invoice_list_refuses_the_region_filter_it_is_not_offered(client, make_user):
    """The run list offers the billing region's filter to national admins only (``get_list_filter``): for a region's
    clerk the parameter is not declared, and is refused rather than applied."""
    national = make_user(Role.ADMIN)
    national.is_superuser = True
    national.save(update_fields=["is_superuser"])
    clerk = make_user(Role.CLERK, "04")
    answers = []
    for user in (national, clerk):
        client.force_login(user)
        answers.append(client.get("/admin/billing/invoicerun/", {"billing_region__code__exact": "06"}).status_code)

    assert answers == [200, 400]
