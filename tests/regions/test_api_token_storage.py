"""API keys are stored only as hashes and can be revoked: the database never holds a key as it was handed out,
and a revoked key is a 401 at once."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from regions.models import ApiClient, Role
from regions.services import api_client_create

pytestmark = pytest.mark.django_db


def tables_containing(text: str) -> list[str]:
    """Every table of the database with a row whose text form contains ``text`` (all columns, all rows)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            name = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                row_text = "r::text"
            else:  # SQLite: every column as text, joined
                columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
                row_text = " || '|' || ".join(
                    f"COALESCE(CAST({connection.ops.quote_name(c)} AS TEXT), '')" for c in columns
                )
            cursor.execute(f"SELECT count(*) FROM {name} AS r WHERE {row_text} LIKE %s", [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def with_key(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_the_database_never_holds_the_plain_key(capsys, providers, settings):
    settings.AXES_ENABLED = True  # the login log, too, sees every request
    call_command("create_api_client", "journal-y", "--role", "provider", "--provider", providers["04a"].hsa_id)
    key = capsys.readouterr().out.strip().splitlines()[-1]
    api = with_key(key)
    answers = [
        api.get("/api/v1/contacts/").status_code,
        api.post("/api/v1/contacts/bulk/", [], format="json").status_code,
        with_key(key + "x").get("/api/v1/contacts/").status_code,
    ]

    client = ApiClient.objects.get(name="journal-y")
    assert answers == [200, 200, 401]
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert client.key_prefix == key[:8]
    assert tables_containing(key[8:]) == []  # nothing past the recognisable prefix, anywhere
    assert tables_containing(key[:8]) == ["regions_apiclient"]


def test_a_key_revoked_in_the_admin_is_refused_at_once(client, make_user, reference):
    api_client, key = api_client_create(name="finance-04", role=Role.CLERK, region_code="04")
    api = with_key(key)
    before = api.get("/api/v1/regions/")
    client.force_login(make_user(Role.ADMIN))

    revoked = client.post(
        reverse("admin:regions_apiclient_changelist"), {"action": "revoke", "_selected_action": [api_client.pk]}
    )
    after = api.get("/api/v1/regions/")

    assert before.status_code == 200
    assert revoked.status_code == 302
    assert after.status_code == 401
    assert after.json() == {"detail": "Ogiltig eller återkallad nyckel."}
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None  # revoked, not deleted: its history stays


def test_a_revoked_key_cannot_write_either(api_as, providers, reference):
    _api_client, key = api_client_create(name="journal-z", role=Role.PROVIDER, provider_hsa_id=providers["04a"].hsa_id)
    ApiClient.objects.filter(name="journal-z").update(revoked_at="2026-01-01T00:00:00Z")

    response = with_key(key).post("/api/v1/contacts/bulk/", [], format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Ogiltig eller återkallad nyckel."}
