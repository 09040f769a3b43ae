import orjson
import pytest
from django.conf import settings as django_settings

from contacts.models import Contact
from regions.models import Role
from tests.factories import BULK, CONTACTS, contact_item, items, post_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def system04(api_as, providers):
    """The record system of provider 04a."""
    return api_as(Role.PROVIDER, provider=providers["04a"])


@pytest.mark.parametrize("url", [BULK, CONTACTS])
def test_a_body_over_the_size_limit_is_a_413_with_a_clear_message_and_stores_nothing(system04, url):
    limit = django_settings.API_MAX_BODY_BYTES
    payload = orjson.dumps(items(3) if url == BULK else contact_item())
    body = payload + b" " * (limit + 1 - len(payload))  # valid JSON, one byte too long

    response = post_raw(system04, url, body)

    assert len(body) == 32 * 1024 * 1024 + 1
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Innehållet är större än 32 MB; skicka högst 10 000 kontakter per anrop.",
    }
    assert Contact.objects.count() == 0


def test_a_body_of_exactly_the_size_limit_is_read(system04):
    payload = orjson.dumps(items(3))
    body = payload + b" " * (django_settings.API_MAX_BODY_BYTES - len(payload))

    response = post_raw(system04, BULK, body)

    assert response.status_code == 200
    assert response.json()["created"] == 3
    assert Contact.objects.count() == 3


NOT_JSON = {
    "100 000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "10 000 nested objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "form encoded": b"external_id=c-1&patient_id=198503122387",
    "XML": b"<contacts><contact external_id='c-1'/></contacts>",
    "truncated": b'[{"external_id": "c-1", "mode": "vid',
    "invalid UTF-8": b'[{"external_id": "c-\xff\xfe-1"}]',
    "Latin-1 text": '[{"external_id": "Växjö"}]'.encode("latin-1"),
    "a lone surrogate": b'[{"external_id": "\\ud800"}]',
    "NaN": b'[{"external_id": "c-1", "patient_fee": NaN}]',
    "Infinity": b'[{"external_id": "c-1", "patient_fee": Infinity}]',
    "a number too large for a double": b'[{"external_id": "c-1", "patient_fee": 1e999}]',
    "two documents": b"[] []",
    "a NUL byte outside strings": b"[\x00]",
}


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
@pytest.mark.parametrize("url", [BULK, CONTACTS])
def test_a_body_that_is_not_json_is_a_400_naming_the_problem(system04, url, body):
    response = post_raw(system04, url, body)

    assert response.status_code == 400
    (message,) = response.json().values()
    assert message.startswith("Innehållet är inte giltig JSON: ")
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""],
)
def test_json_sent_with_another_media_type_is_a_415(system04, content_type):
    response = post_raw(system04, BULK, orjson.dumps(items(2)), content_type=content_type)

    assert response.status_code == 415
    assert response.json()["detail"].startswith("Medietypen")
    assert Contact.objects.count() == 0
