"""Rules over the whole PostgreSQL schema, whichever app owns the table.

Every foreign key is checked by PostgreSQL when a row it points at is deleted: once per deleted row, with the query
``SELECT 1 FROM ONLY <table> x WHERE $1 = <column> FOR KEY SHARE OF x`` planned once, generically. Without an index
that query can use, each check reads the whole referencing table, and deleting n rows reads it n times. That is how a
re-run of a large period's drafts (deleting ~240 000 lines at once) never committed: the only index on
``billing_invoiceline.credited_line_id`` was partial (``WHERE credit``), which the check cannot prove from its
condition, so every deleted line cost a sequential scan of all lines (found by ``BENCH_ONLY=load``).
"""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue and plans"),
]

# Foreign keys whose referenced rows are never deleted in bulk, so one scan per deletion costs less than an index
# every insert would pay for. A new foreign key is indexed (Django does so unless told not to) or named here, with why.
UNINDEXED = {
    # Contacts are never deleted (no admin delete, no service): pseudonymised after retention, kept as record.
    ("billing_invoiceline", "contact_id"),
    # Professions and providers are reference rows, removed one at a time by hand and only while nothing refers to
    # them. (The contacts' references to them are no foreign keys: checked per statement, contacts migration 0015.)
    ("billing_contactsummary", "provider_id"),
    ("billing_contactsummary", "profession_id"),
    ("billing_listingunitsummary", "provider_id"),
    ("billing_listingunitsummary", "profession_id"),
}

FOREIGN_KEYS_SQL = """
SELECT c.conrelid::regclass::text, a.attname, format_type(ra.atttypid, ra.atttypmod)
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = current_schema() AND cardinality(c.conkey) = 1
ORDER BY 1, 2
"""


def _foreign_keys() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(FOREIGN_KEYS_SQL)
        return cursor.fetchall()


def _check_plan(table: str, column: str, key_type: str) -> str:
    """The plan PostgreSQL's check makes for a deleted key (generic, as the check's cached plan is), with sequential
    scans priced out so that any index the check can use is taken, however small the table."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"PREPARE fk_check ({key_type}) AS "
            f"SELECT 1 FROM ONLY {quote(table)} x WHERE $1 OPERATOR(pg_catalog.=) {quote(column)} FOR KEY SHARE OF x"
        )
        try:
            cursor.execute("EXPLAIN (COSTS OFF) EXECUTE fk_check (NULL)")
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE fk_check")


def test_every_foreign_key_is_checked_through_an_index():
    keys = _foreign_keys()
    assert len(keys) > 40  # the schema's, not an empty catalogue read
    scanned = {(table, column) for table, column, type_ in keys if "Seq Scan" in _check_plan(table, column, type_)}
    assert scanned == UNINDEXED


def test_a_credited_line_is_found_by_its_index():
    plan = _check_plan("billing_invoiceline", "credited_line_id", "bigint")
    assert "Index Scan using line_credited_once on billing_invoiceline" in plan
