import pytest

from regions.models import Role
from tests.billing.conftest import january, staff  # noqa: F401 (shared fixtures)

pytestmark = pytest.mark.django_db


def test_an_empty_filter_is_documented_and_read_as_left_out(api_as, schema_parameters, january):  # noqa: F811
    api = api_as(Role.CLERK, "04")
    every = api.get("/api/v1/contacts/").json()["results"]

    assert api.get("/api/v1/contacts/?started_before=&started_after=&status=").json()["results"] == every
    assert len(every) == 7  # the January world's contacts billed by 04
    contacts = schema_parameters("/api/v1/contacts/")
    assert contacts["started_before"]["schema"] == {"type": "string", "format": "date-time"}
    assert contacts["started_before"]["allowEmptyValue"] is True
    report = api.get("/api/v1/reports/monthly/?perspective=")
    assert (report.status_code, report.json()["filters"]["perspective"]) == (200, "buyer")
    assert schema_parameters("/api/v1/reports/monthly/")["perspective"]["allowEmptyValue"] is True


def test_a_yes_no_filter_refuses_other_values(api_as, providers):
    api = api_as(Role.ADMIN)

    refused = api.get("/api/v1/providers/?active=-58800")

    assert (refused.status_code, refused.json()) == (400, {"active": ["Ange true eller false."]})
    assert len(api.get("/api/v1/providers/?active=true").json()["results"]) == len(providers)
    assert api.get("/api/v1/providers/?active=false").json()["results"] == []


def test_a_moment_filter_takes_any_offset_iso_8601_allows_and_refuses_a_moment_outside_the_calendar(
    api_as,
    january,  # noqa: F811
):
    """PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 and Python allow: the filter compares the moment in
    UTC (found by the API fuzzing: a 500)."""
    api = api_as(Role.CLERK, "04")
    every = api.get("/api/v1/contacts/").json()["results"]

    assert api.get("/api/v1/contacts/?started_after=1912-05-03T00:44:24%2B16:41").json()["results"] == every
    assert api.get("/api/v1/contacts/?started_before=1912-05-03T00:44:24-23:59").json()["results"] == []
    # 23:00 at +16:41 is 06:19 in UTC.
    assert (
        api.get("/api/v1/contacts/?started_after=2025-12-31T23:00:00%2B16:41").json()["results"]
        == api.get("/api/v1/contacts/?started_after=2025-12-31T06:19:00Z").json()["results"]
    )
    refused = api.get("/api/v1/contacts/?started_after=0001-01-01T00:00:00%2B01:00")
    assert (refused.status_code, refused.json()) == (
        400,
        {"started_after": ["Datumet ligger utanför det tillåtna intervallet."]},
    )
