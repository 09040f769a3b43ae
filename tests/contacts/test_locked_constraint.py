"""``Contact.locked`` mirrors the contact's billing (contacts/models.py ``contact_locked_mirrors_status``): the database
refuses a row where they disagree, whatever writes it (SQLite and PostgreSQL)."""

import pytest
from django.db import IntegrityError, transaction

from contacts.intake import contacts_upsert
from contacts.models import Contact
from regions.models import Role
from tests.factories import contact_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(make_user, providers) -> Contact:
    result = contacts_upsert(
        items=[contact_item(provider=providers["04a"].hsa_id)], user=make_user(Role.CLERK, "04"), channel="api"
    )
    assert result.errors == []
    return Contact.objects.get()


@pytest.mark.parametrize(
    ("status", "locked"),
    [
        ("eligible", True),  # on no submitted invoice, yet unchangeable
        ("rejected", True),  # a lapse releases the contact it rejects
        ("invoiced", False),  # on a submitted or approved invoice, yet changeable
    ],
)
def test_the_database_refuses_a_lock_that_disagrees_with_the_status(stored, status, locked):
    values = {"status": status, "locked": locked}
    if status == "rejected":
        values.update(reasons="rejected_by_clerk", amount=0)

    with pytest.raises(IntegrityError, match="contact_locked_mirrors_status"), transaction.atomic():
        Contact.objects.filter(pk=stored.pk).update(**values)

    stored.refresh_from_db()
    assert (stored.status, stored.locked) == ("eligible", False)


@pytest.mark.parametrize(
    ("status", "locked"),
    [
        ("eligible", False),
        ("rejected", False),
        ("invoiced", True),
        ("credited", True),  # credited for a reason that ends its billing
        ("credited", False),  # credited and released for a correction
    ],
)
def test_every_state_the_billing_reaches_is_stored(stored, status, locked):
    values = {"status": status, "locked": locked}
    if status == "rejected":
        values.update(reasons="rejected_by_clerk", amount=0)

    Contact.objects.filter(pk=stored.pk).update(**values)

    stored.refresh_from_db()
    assert (stored.status, stored.locked) == (status, locked)
