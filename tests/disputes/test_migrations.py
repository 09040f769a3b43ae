"""The disputes' models moved from the contacts app to their own without touching the data (contacts 0009 and
disputes 0001: the state only, the tables keep their names) and their content types were renamed (disputes 0002),
so a database that was at the contacts app's migrations keeps its cases, and its groups and users their
permissions; a fresh database migrates to the same (the test database is one)."""

from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from disputes.models import Dispute
from regions.models import Role

# Where main was before the move: the contacts app's migrations, the disputes' models among them.
BEFORE = [("contacts", "0008_locked_mirrors_status")]
MODELS = ["dispute", "disputeattachment", "disputecomment", "disputeevent"]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets=None):
    """Migrate to ``targets`` (None: every app's last migration); the apps of that state."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def moved_back(contested, named):
    """The database as main left it: migrated back to before the move, with a case, the clerks' group holding its
    permissions and an admin history entry about it. Migrated forward again afterwards, whatever the test did."""
    log = LogEntry.objects.create(
        user=named["manager04"],
        content_type=ContentType.objects.get_for_model(Dispute),
        object_id=str(contested.pk),
        object_repr=str(contested),
        action_flag=CHANGE,
        change_message="[]",
    )
    change = Permission.objects.get(content_type__app_label="disputes", codename="change_dispute")
    content_type = change.content_type_id
    old_apps = _migrate(BEFORE)
    try:
        yield {"dispute": contested, "log": log, "change": change, "content_type": content_type, "apps": old_apps}
    finally:
        _migrate()


def test_before_the_move_the_case_and_its_content_types_are_the_contacts_apps(moved_back):
    old = moved_back["apps"].get_model("contacts", "Dispute").objects.get(pk=moved_back["dispute"].pk)

    assert (old.kind, old.status, old.reason) == ("rejection", "open", "Video avsedd")
    assert sorted(ContentType.objects.filter(model__in=MODELS).values_list("app_label", "model")) == [
        ("contacts", model) for model in MODELS
    ]
    assert (
        Group.objects.get(name=Role.CLERK)
        .permissions.filter(content_type__app_label="contacts", codename="change_dispute")
        .exists()
    )


def test_migrating_an_existing_database_keeps_the_case_its_permissions_and_history(moved_back, named):
    # When the database at main's migrations is migrated to the disputes app's
    _migrate()

    # Then the case is the disputes app's, untouched; the content types are the same rows, renamed
    dispute = Dispute.objects.get(pk=moved_back["dispute"].pk)
    assert (dispute.kind, dispute.status, dispute.reason, dispute.opened_by) == (
        "rejection",
        "open",
        "Video avsedd",
        named["clerk04"],
    )
    assert sorted(ContentType.objects.filter(model__in=MODELS).values_list("app_label", "model")) == [
        ("disputes", model) for model in MODELS
    ]
    assert ContentType.objects.get_for_model(Dispute).pk == moved_back["content_type"]
    # and so the permissions (the same rows: the clerks' group and its users keep them) and the admin's history
    change = Permission.objects.get(content_type__app_label="disputes", codename="change_dispute")
    assert change.pk == moved_back["change"].pk
    assert Group.objects.get(name=Role.CLERK).permissions.filter(pk=change.pk).exists()
    assert get_user_model().objects.get(pk=named["clerk04"].pk).has_perm("disputes.change_dispute")
    assert LogEntry.objects.get(pk=moved_back["log"].pk).content_type_id == moved_back["content_type"]
    assert not ContentType.objects.filter(app_label="contacts", model__in=MODELS).exists()


def test_content_types_created_in_between_are_merged_into_the_old_ones(moved_back):
    # Given the disputes app's content type created anew (post_migrate after a run that stopped in between),
    # with a permission both have (held by another group), one only it has, and a history entry
    fresh = ContentType.objects.create(app_label="disputes", model="dispute")
    duplicate = Permission.objects.create(content_type=fresh, codename="change_dispute", name="Can change dispute")
    only_new = Permission.objects.create(content_type=fresh, codename="export_dispute", name="Can export dispute")
    Group.objects.create(name="reviewers").permissions.add(duplicate)
    entry = LogEntry.objects.create(
        user=get_user_model().objects.first(),
        content_type=fresh,
        object_id=str(moved_back["dispute"].pk),
        object_repr="x",
        action_flag=CHANGE,
        change_message="[]",
    )

    # When migrated
    _migrate()

    # Then one content type is left, the old row, and the new one's permissions, groups and history are its own
    assert list(ContentType.objects.filter(model="dispute").values_list("pk", "app_label")) == [
        (moved_back["content_type"], "disputes")
    ]
    change = Permission.objects.get(content_type__app_label="disputes", codename="change_dispute")
    assert change.pk == moved_back["change"].pk
    assert not Permission.objects.filter(pk=duplicate.pk).exists()
    assert set(change.group_set.values_list("name", flat=True)) >= {Role.CLERK, Role.MANAGER, "reviewers"}
    assert Permission.objects.get(pk=only_new.pk).content_type_id == moved_back["content_type"]
    assert LogEntry.objects.get(pk=entry.pk).content_type_id == moved_back["content_type"]


def test_a_fresh_database_has_the_disputes_app_and_no_migration_left_to_write():
    # The test database was migrated from nothing: the tables are the contacts app's old names, the state the
    # disputes app's, and the models and the migrations agree.
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)

    assert out.getvalue().strip() == "No changes detected"
    assert Dispute._meta.app_label == "disputes" and Dispute._meta.db_table == "contacts_dispute"
    assert ContentType.objects.get_for_model(Dispute).app_label == "disputes"
    assert Permission.objects.filter(content_type__app_label="disputes", codename="change_dispute").exists()
