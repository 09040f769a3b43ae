"""A contact's provider, home region and profession, checked by PostgreSQL once per statement instead of by three
foreign keys per row (contacts migration 0015): every guarantee of the foreign keys holds, concurrent deletes
included."""

import threading
import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from contacts.bulk_writer import CONTACT_COLUMNS, _PostgresWriter
from contacts.intake import contacts_upsert
from contacts.models import Contact
from regions.models import Profession, Role
from tests.factories import contact_item

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's triggers")

COLUMNS = ", ".join(CONTACT_COLUMNS)


@pytest.fixture
def stored(make_user, providers) -> Contact:
    """One contact stored through intake: the row the tests copy with one reference changed."""
    result = contacts_upsert(
        items=[contact_item(provider=providers["04a"].hsa_id, external_id="stored")],
        user=make_user(Role.CLERK, "04"),
        channel="bulk",
    )
    assert result.errors == [], result.errors
    return Contact.objects.get(external_id="stored")


def _copy_sql(column: str) -> str:
    """An INSERT … SELECT of a stored contact's row (id: the last parameter) with its external id and ``column`` as
    parameters (``_params``)."""
    values = ", ".join("%s" if name in {column, "external_id"} else name for name in CONTACT_COLUMNS)
    return f"INSERT INTO contacts_contact ({COLUMNS}) SELECT {values} FROM contacts_contact WHERE id = %s"


def _params(column: str, value, external_id: str, pk: int) -> list:
    chosen = [value if name == column else external_id for name in CONTACT_COLUMNS if name in {column, "external_id"}]
    return [*chosen, pk]


def _insert(column: str, value, external_id: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_copy_sql(column), _params(column, value, external_id, pk))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value", "table"),
    [
        ("provider_id", 987654, "regions_provider"),
        ("home_region_id", "99", "regions_region"),
        ("profession_id", "XX", "regions_profession"),
    ],
)
def test_an_inserted_contact_naming_a_missing_row_is_refused_as_a_foreign_key_would(stored, column, value, table):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _insert(column, value, "orphan", stored.pk)

    assert refused.value.__cause__.sqlstate == "23503"  # foreign_key_violation
    assert f'key ({column})=({value}) is not present in table "{table}"' in str(refused.value)
    assert not Contact.objects.filter(external_id="orphan").exists()


@pytest.mark.django_db
def test_one_bad_row_refuses_its_whole_copy_as_intake_writes_it(stored):
    """Intake's path: a binary COPY of a chunk. One row naming a missing profession among good ones stores none."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM contacts_contact WHERE id = %s", [stored.pk])
        row = cursor.fetchone()
    at = {name: position for position, name in enumerate(CONTACT_COLUMNS)}

    def copy(external_id: str, profession: str) -> tuple:
        values = list(row)
        values[at["external_id"]], values[at["profession_id"]] = external_id, profession
        return tuple(values)

    writer = _PostgresWriter()
    rows = [copy("good-1", "LK"), copy("bad", "XX"), copy("good-2", "PS")]
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        writer.insert_contacts(rows, writer.reserve_ids(len(rows)))

    assert 'key (profession_id)=(XX) is not present in table "regions_profession"' in str(refused.value)
    assert list(Contact.objects.filter(external_id__in=["good-1", "bad", "good-2"])) == []
    writer.insert_contacts(rows[:1], writer.reserve_ids(1))  # the same COPY of good rows passes
    assert Contact.objects.get(external_id="good-1").profession_id == "LK"


@pytest.mark.django_db
def test_an_update_moving_a_contact_to_a_missing_row_is_refused_and_one_leaving_it_is_not(stored):
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE contacts_contact SET home_region_id = '99' WHERE id = %s", [stored.pk])
    assert 'key (home_region_id)=(99) is not present in table "regions_region"' in str(refused.value)

    with connection.cursor() as cursor:
        cursor.execute("UPDATE contacts_contact SET home_region_id = '24', patient_fee = 0 WHERE id = %s", [stored.pk])
    stored.refresh_from_db()
    assert (stored.home_region_id, stored.patient_fee) == ("24", 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("DELETE FROM regions_provider WHERE id = %(provider)s", "regions_provider"),
        ("UPDATE regions_provider SET id = 987654 WHERE id = %(provider)s", "regions_provider"),
        ("DELETE FROM regions_region WHERE code = %(region)s", "regions_region"),
        ("UPDATE regions_region SET code = '99' WHERE code = %(region)s", "regions_region"),
        ("DELETE FROM regions_profession WHERE code = %(profession)s", "regions_profession"),
    ],
)
def test_a_row_a_contact_names_cannot_be_deleted_or_rekeyed_by_any_statement(stored, statement, table):
    keys = {"provider": stored.provider_id, "region": stored.home_region_id, "profession": stored.profession_id}
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, keys)

    assert refused.value.__cause__.sqlstate == "23503"
    assert f'on table "{table}" violates the reference of table "contacts_contact"' in str(refused.value)


@pytest.mark.django_db
def test_a_row_no_contact_names_can_be_deleted(stored):
    Profession.objects.create(code="ZZ", name="Ny yrkesgrupp", category="")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM regions_profession WHERE code = 'ZZ'")
        assert cursor.rowcount == 1


# Concurrent transactions, each on a connection of its own to the test database (committed data).


def _connect() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


def _in_thread(function) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run():
        try:
            outcome.append(function())
        except Exception as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _wait_until_blocked(thread: threading.Thread) -> None:
    """Until a backend waits for a lock (the other transaction's), or the thread has ended."""
    for _attempt in range(200):
        with _connect() as conn:
            if conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0]:
                return
        if not thread.is_alive():
            return
        time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first")


@pytest.fixture
def new_profession(transactional_db, stored) -> str:
    """A profession no contact names yet, committed."""
    Profession.objects.create(code="ZZ", name="Ny yrkesgrupp", category="")
    return "ZZ"


def test_a_delete_waiting_for_a_transaction_that_inserts_a_contact_naming_the_row_fails(stored, new_profession):
    with _connect() as inserting, _connect() as deleting:
        inserting.execute(_copy_sql("profession_id"), _params("profession_id", new_profession, "concurrent", stored.pk))
        thread, outcome = _in_thread(
            lambda: deleting.execute("DELETE FROM regions_profession WHERE code = %s", [new_profession])
        )
        _wait_until_blocked(thread)
        assert thread.is_alive() and outcome == []  # waits: the insert's check locked the row FOR KEY SHARE
        inserting.commit()
        thread.join(timeout=30)
        deleting.rollback()

    assert isinstance(outcome[0], psycopg.errors.ForeignKeyViolation), outcome
    assert Profession.objects.filter(code=new_profession).exists()
    assert Contact.objects.get(external_id="concurrent").profession_id == new_profession


def test_an_insert_waiting_for_a_transaction_that_deletes_the_row_it_names_fails(stored, new_profession):
    with _connect() as deleting, _connect() as inserting:
        deleting.execute("DELETE FROM regions_profession WHERE code = %s", [new_profession])
        thread, outcome = _in_thread(
            lambda: inserting.execute(
                _copy_sql("profession_id"), _params("profession_id", new_profession, "concurrent", stored.pk)
            )
        )
        _wait_until_blocked(thread)
        assert thread.is_alive() and outcome == []  # waits for the delete to end
        deleting.commit()
        thread.join(timeout=30)
        inserting.rollback()

    assert isinstance(outcome[0], psycopg.errors.ForeignKeyViolation), outcome
    assert 'key (profession_id)=(ZZ) is not present in table "regions_profession"' in str(outcome[0])
    assert not Contact.objects.filter(external_id="concurrent").exists()
    assert not Profession.objects.filter(code=new_profession).exists()


def test_deleting_a_referable_row_is_refused_outside_read_committed(stored, new_profession):
    """A transaction snapshot taken before a concurrent insert committed would not see its contacts, so such deletes
    are refused under REPEATABLE READ and SERIALIZABLE, with a message saying why."""
    with _connect() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="refused under REPEATABLE READ"):
            conn.execute("DELETE FROM regions_profession WHERE code = %s", [new_profession])
