import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from regions.models import ApiClient, Role
from regions.services import api_client_revoke

pytestmark = pytest.mark.django_db


def _create(capsys, *args):
    call_command("create_api_client", *args)
    return capsys.readouterr().out.strip().splitlines()


def test_command_prints_the_key_alone_on_the_last_line_and_the_key_works(capsys, providers):
    lines = _create(capsys, "journal-x", "--role", "provider", "--provider", providers["04a"].hsa_id)
    key = lines[-1]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(f"/api/v1/providers/{providers['04a'].hsa_id}/")

    assert len(key) == 40 and key.isalnum()
    assert response.status_code == 200
    client = ApiClient.objects.get(name="journal-x")
    assert client.key_hash != key and key not in client.key_hash  # only the hash is stored
    assert list(client.user.groups.values_list("name", flat=True)) == ["provider"]
    assert client.user.membership.provider == providers["04a"]


def test_a_second_client_with_the_same_name_fails_cleanly(capsys, reference):
    _create(capsys, "finance-04", "--role", "clerk", "--region", "04")

    with pytest.raises(CommandError, match=r"Det finns redan en API-klient som heter 'finance-04'\.") as excinfo:
        call_command("create_api_client", "finance-04", "--role", "manager", "--region", "04")

    assert excinfo.value.returncode == 1
    assert ApiClient.objects.filter(name="finance-04").count() == 1
    assert capsys.readouterr().out == ""  # no second key printed


def test_command_exit_status_is_1_from_the_shell(capsys, reference):
    _create(capsys, "dup", "--role", "clerk", "--region", "04")
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", "create_api_client", "dup", "--role", "clerk", "--region", "04"])
    with pytest.raises(SystemExit) as excinfo:
        utility.execute()

    assert excinfo.value.code == 1
    assert "Det finns redan en API-klient som heter 'dup'." in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["c1", "--role", "provider", "--region", "04"], "Rollen vårdgivarsystem kräver en vårdgivare"),
        (
            ["c2", "--role", "clerk", "--provider", "SE5560000001-X"],
            "Bara rollen vårdgivarsystem tillhör en vårdgivare",
        ),
        (["c3", "--role", "clerk", "--region", "99"], "Okänd region '99'"),
        (["c4", "--role", "provider", "--provider", "SE5560000001-X"], "Okänd vårdgivare SE5560000001-X"),
    ],
)
def test_command_refuses_an_inconsistent_organisation(reference, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_client", *args)

    assert ApiClient.objects.count() == 0


def test_command_needs_a_region_or_a_provider(reference):
    with pytest.raises(CommandError, match="one of the arguments --region --provider is required"):
        call_command("create_api_client", "c5", "--role", "clerk")


def test_a_revoked_key_is_refused(capsys, reference):
    key = _create(capsys, "revoked", "--role", "clerk", "--region", "04")[-1]
    api_client_revoke(client=ApiClient.objects.get(name="revoked"))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.get("/api/v1/regions/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Ogiltig eller återkallad nyckel."}


def test_a_wrong_key_and_no_key_are_refused(reference):
    api = APIClient()
    assert api.get("/api/v1/regions/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert api.get("/api/v1/regions/").status_code == 401


def test_clients_are_not_created_through_the_admin(client, make_user, reference):
    client.force_login(make_user(Role.ADMIN))

    assert client.get("/admin/regions/apiclient/add/").status_code == 403
    assert client.get("/admin/regions/apiclient/").status_code == 200
