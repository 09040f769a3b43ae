"""Login throttling (django-axes): five failed logins for one user name from one address lock that pair out for
the cool-off; the right password is then refused with a clear Swedish message, other users and addresses are not
affected, and after the cool-off (or an admin's unlock) the login works again."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from regions.lockout import client_ip
from regions.models import Role

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
PASSWORD = "pw-for-tests-1"  # tests/conftest.py make_user
LOCKED = (
    "För många misslyckade inloggningar med det här användarnamnet från din adress. Inloggningen är spärrad i "
    "15 minuter; försök igen senare eller be en administratör att låsa upp kontot."
)


@pytest.fixture(autouse=True)
def axes_on(settings):
    """tests/settings.py switches django-axes off for the rest of the suite; here it is on, as in production."""
    settings.AXES_ENABLED = True


@pytest.fixture
def clerk(make_user):
    return make_user(Role.CLERK, "04", username="clerk04")


def log_in(client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address)


def fail(client, username: str, times: int, address: str = "192.0.2.10"):
    return [log_in(client, username, "wrong-password", address).status_code for _ in range(times)]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_out_and_the_right_one_is_then_refused(client, clerk):
    statuses = fail(client, "clerk04", 5)
    response = log_in(client, "clerk04", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure already answers with the lockout page
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not logged_in(client)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("clerk04", "192.0.2.10", 5)
    assert "wrong-password" not in attempt.post_data  # the password is never stored


def test_four_wrong_passwords_do_not_lock_and_a_success_starts_the_count_again(client, clerk):
    fail(client, "clerk04", 4)
    first = log_in(client, "clerk04", PASSWORD)
    client.logout()
    fail(client, "clerk04", 4)
    second = log_in(client, "clerk04", PASSWORD)

    assert (first.status_code, first["Location"]) == (302, "/admin/")
    assert (second.status_code, second["Location"]) == (302, "/admin/")
    assert logged_in(client)


def test_after_the_cool_off_the_login_works_again(client, clerk):
    fail(client, "clerk04", 5)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))

    response = log_in(client, "clerk04", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert logged_in(client)
    assert AccessAttempt.objects.count() == 0


def test_within_the_cool_off_the_lock_holds(client, clerk):
    fail(client, "clerk04", 5)
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14))

    assert log_in(client, "clerk04", PASSWORD).status_code == 429
    assert not logged_in(client)


def test_an_admin_unlocks_by_deleting_the_attempt(client, clerk, make_user):
    fail(client, "clerk04", 5)
    admin = make_user(Role.ADMIN)
    attempt = AccessAttempt.objects.get()
    client.force_login(admin)

    listed = client.get(reverse("admin:axes_accessattempt_changelist"))
    deleted = client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    client.logout()
    response = log_in(client, "clerk04", PASSWORD)

    assert listed.status_code == 200 and "clerk04" in listed.content.decode()
    assert deleted.status_code == 302
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_lock_is_per_user_name_and_address(client, clerk, make_user):
    """Colleagues behind the same office address log in, and the clerk logs in from elsewhere."""
    make_user(Role.MANAGER, "04", username="manager04")
    fail(client, "clerk04", 5, address="192.0.2.10")

    colleague = log_in(client, "manager04", PASSWORD, address="192.0.2.10")
    client.logout()
    elsewhere = log_in(client, "clerk04", PASSWORD, address="198.51.100.20")

    assert (colleague.status_code, colleague["Location"]) == (302, "/admin/")
    assert (elsewhere.status_code, elsewhere["Location"]) == (302, "/admin/")


def test_guessing_many_user_names_from_one_address_locks_only_those_names(client, clerk):
    for n in range(5):
        fail(client, f"guess-{n}", 5)

    response = log_in(client, "clerk04", PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert AccessAttempt.objects.filter(failures_since_start=5).count() == 5


def test_the_limit_and_cool_off_are_settings(client, clerk, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)

    statuses = fail(client, "clerk04", 2)
    response = log_in(client, "clerk04", PASSWORD)

    assert statuses == [200, 429]
    assert "Inloggningen är spärrad i 30 minuter" in response.content.decode()


# --- the client address a login lockout is keyed on --------------------------------------------------------


class _Request:
    def __init__(self, **meta):
        self.META = meta


@pytest.mark.parametrize(
    ("proxies", "meta", "address"),
    [
        (0, {"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "192.0.2.7"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.7"}, "192.0.2.7"),
        # A client's own X-Forwarded-For comes first; the proxy appends the address it saw, which counts.
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 192.0.2.7"}, "192.0.2.7"),
        (2, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 192.0.2.7, 10.0.0.1"}, "192.0.2.7"),
        (1, {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
    ],
)
def test_client_address_behind_trusted_proxies(settings, proxies, meta, address):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(_Request(**meta)) == address
