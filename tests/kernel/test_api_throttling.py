"""API throttling per client: each API client (token user) has its own request budget per period, counted in
Django's cache; the request over the budget is a 429 with Retry-After and the API's error shape."""

import os
import uuid
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from kernel.api import throttling
from regions.models import Role

pytestmark = pytest.mark.django_db

MINUTE_START = 1_800_000_000  # a multiple of 60: the start of a one-minute window


@pytest.fixture(autouse=True)
def counters():
    """Fresh counters, and a clock that stands still 15 s into a minute unless a test moves it."""
    cache.clear()
    clock = {"now": MINUTE_START + 15.0}
    original = throttling.time.time
    throttling.time.time = lambda: clock["now"]
    yield clock
    throttling.time.time = original


def statuses(api, count: int, path: str = "/api/v1/regions/") -> list[int]:
    return [api.get(path).status_code for _ in range(count)]


def test_the_request_over_the_budget_is_429_and_another_client_is_unaffected(api_as, settings):
    settings.API_THROTTLE_RATE = "3/min"
    first, second = api_as(Role.CLERK, "04"), api_as(Role.CLERK, "04")

    allowed = statuses(first, 3)
    refused = first.get("/api/v1/regions/")
    other = statuses(second, 3)

    assert allowed == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"  # the window ends 45 s later
    assert refused.json() == {"detail": "För många anrop från den här API-klienten. Försök igen om 45 sekunder."}
    assert other == [200, 200, 200]


def test_the_budget_covers_every_endpoint_and_method(api_as, providers, settings):
    settings.API_THROTTLE_RATE = "2/min"
    system = api_as(Role.PROVIDER, provider=providers["04a"])

    answers = [
        system.get("/api/v1/contacts/").status_code,
        system.post("/api/v1/contacts/bulk/", [], format="json").status_code,
        system.get(f"/api/v1/providers/{providers['04a'].hsa_id}/").status_code,
    ]

    assert answers == [200, 200, 429]


def test_the_next_window_opens_a_new_budget(api_as, settings, counters):
    settings.API_THROTTLE_RATE = "2/min"
    api = api_as(Role.CLERK, "04")

    before = statuses(api, 3)
    counters["now"] = MINUTE_START + 60.0
    after = statuses(api, 3)

    assert before == [200, 200, 429]
    assert after == [200, 200, 429]


def test_retry_after_is_never_zero(api_as, settings, counters):
    settings.API_THROTTLE_RATE = "1/min"
    counters["now"] = MINUTE_START + 59.9
    api = api_as(Role.CLERK, "04")

    api.get("/api/v1/regions/")
    refused = api.get("/api/v1/regions/")

    assert refused["Retry-After"] == "1"
    assert refused.json() == {"detail": "För många anrop från den här API-klienten. Försök igen om 1 sekund."}


def test_a_signed_in_web_user_has_a_budget_of_its_own(client, make_user, settings):
    settings.API_THROTTLE_RATE = "2/min"
    client.force_login(make_user(Role.CLERK, "04"))

    assert statuses(client, 3) == [200, 200, 429]


def test_anonymous_requests_are_refused_before_any_counting(client, reference, settings):
    settings.API_THROTTLE_RATE = "1/min"

    assert statuses(client, 3) == [401, 401, 401]
    assert statuses(client, 3, "/api/v1/schema/") == [200, 200, 200]


def test_an_empty_rate_means_no_limit(api_as, settings):
    settings.API_THROTTLE_RATE = ""
    api = api_as(Role.CLERK, "04")

    assert set(statuses(api, 30)) == {200}


def test_the_counters_live_in_the_cache(api_as, settings):
    settings.API_THROTTLE_RATE = "5/min"
    api = api_as(Role.CLERK, "04")
    statuses(api, 2)

    keys = [key for key in cache._cache if ":throttle:client:" in key]  # locmem's own store

    assert len(keys) == 1
    assert keys[0].endswith(f":60:{MINUTE_START // 60}")
    assert cache.get(keys[0].split(":", 2)[2]) == 2


BROKER = os.environ.get("CELERY_BROKER_URL", "")


@pytest.mark.skipif(not BROKER.startswith("redis://"), reason="needs the local Redis (CELERY_BROKER_URL)")
def test_counting_through_redis_as_production_does(api_as, settings):
    """With CACHE_URL set every gunicorn process counts in the same Redis keys (INCR is atomic)."""
    prefix = f"utomlans-test-{uuid.uuid4().hex}"  # never clear Redis: the broker lives there too
    redis = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKER, "KEY_PREFIX": prefix}
    }
    settings.API_THROTTLE_RATE = "3/min"
    with override_settings(CACHES=redis):
        api = api_as(Role.CLERK, "04")
        answers = statuses(api, 4)
        user_id = api.get("/api/v1/regions/").wsgi_request.user.pk
        counted = caches["default"].get(f"throttle:client:{user_id}:60:{MINUTE_START // 60}")
        caches["default"].delete(f"throttle:client:{user_id}:60:{MINUTE_START // 60}")

    assert answers == [200, 200, 200, 429]
    assert counted == 5


def test_anonymous_requests_to_the_public_pages_have_a_budget_per_address(client, reference, settings, api_as):
    settings.API_ANONYMOUS_THROTTLE_RATE = "3/min"
    cache.clear()
    with mock.patch.object(throttling.time, "time", return_value=1_800_000_015.0):
        answers = [client.get(page) for page in ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/")]
        refused = client.get("/api/v1/schema/?format=json")
        elsewhere = client.get("/api/v1/schema/?format=json", REMOTE_ADDR="192.0.2.7")
        with_a_key = api_as(Role.CLERK, "04").get("/api/v1/schema/?format=json")

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert (refused.status_code, refused["Retry-After"]) == (429, "45")
    assert refused.json() == {"detail": "För många anrop från den här API-klienten. Försök igen om 45 sekunder."}
    assert (elsewhere.status_code, with_a_key.status_code) == (200, 200)


def test_the_anonymous_budget_is_a_setting_empty_for_none(client, reference, settings):
    settings.API_ANONYMOUS_THROTTLE_RATE = ""

    assert {client.get("/api/v1/redoc/").status_code for _ in range(5)} == {200}
