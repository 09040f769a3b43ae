import pytest

from regions.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["null", "abc", "0", "-3", "1.5"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(api_as, reference, schema_parameters, value):
    answer = api_as(Role.CLERK, "04").get(f"/api/v1/regions/?page_size={value}")

    assert (answer.status_code, answer.json()) == (400, {"page_size": ["Ett heltal från 1 (högst 1000 ges)."]})
    assert schema_parameters("/api/v1/regions/")["page_size"]["schema"] == {"type": "integer", "minimum": 1}


def test_a_page_size_left_empty_or_above_the_maximum_is_read(api_as, reference):
    api = api_as(Role.CLERK, "04")

    assert len(api.get("/api/v1/regions/?page_size=").json()["results"]) == 21
    assert len(api.get("/api/v1/regions/?page_size=5000").json()["results"]) == 21
    two = api.get("/api/v1/regions/?page_size=2").json()
    assert (len(two["results"]), two["next"] is not None) == (2, True)


def test_a_cursor_with_nul_is_refused_and_the_schema_says_so(api_as, reference, schema_parameters):
    import re

    answer = api_as(Role.CLERK, "04").get("/api/v1/regions/?cursor=%00")
    cursor = schema_parameters("/api/v1/regions/")["cursor"]["schema"]

    assert (answer.status_code, answer.json()) == (400, {"detail": "Adressen innehåller ett NUL-tecken."})
    assert cursor == {"type": "string", "pattern": "^[^\\x00]*$"}
    assert re.search(cursor["pattern"], "\x00") is None and re.search(cursor["pattern"], "cD0xMjM=") is not None
