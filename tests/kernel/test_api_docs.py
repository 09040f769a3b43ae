from unittest import mock

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_the_schema_is_generated_once_per_language_and_served_from_memory(client, reference, fresh_schema):
    with mock.patch.object(
        SchemaGenerator, "get_schema", autospec=True, side_effect=SchemaGenerator.get_schema
    ) as made:
        yaml = [client.get("/api/v1/schema/") for _ in range(3)]
        json = [client.get("/api/v1/schema/?format=json") for _ in range(3)]
        english = client.get("/api/v1/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en")

    assert made.call_count == 2  # Swedish once (both formats), English once
    assert [r.status_code for r in (*yaml, *json, english)] == [200] * 7
    assert {r.content for r in yaml} == {yaml[0].content} and {r.content for r in json} == {json[0].content}
    assert yaml[0]["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert json[0]["Content-Type"] == "application/vnd.oai.openapi+json"
    assert json[0].json()["paths"].keys() == english.json()["paths"].keys()
    assert "/api/v1/contacts/" in json[0].json()["paths"]
