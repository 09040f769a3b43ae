"""On PostgreSQL, a contact's provider, home region and profession are checked once per statement, set-based, instead
of by three foreign keys' checks per row.

A foreign key's check runs a query per inserted row and key: 30 000 per 10 000-contact bulk request, a third of the
request's database time and the difference between the bulk API at a third of a raw COPY's speed and at 45 % of it
(``make bench``, issue 19). The guarantees stay the database's:

- inserted contacts: after each statement (a COPY of a chunk, an INSERT), every provider, region and profession the
  new rows name is locked as a foreign key's check locks it (FOR KEY SHARE, so a concurrent DELETE of one waits for
  this transaction), then each row must name existing rows, or the statement fails with SQLSTATE 23503
  (foreign_key_violation, Django's IntegrityError) as a foreign key's would;
- updated contacts: per row, only when one of the three changes (as a foreign key's check skips unchanged keys);
- the referenced rows: deleting, or changing the key of, a provider, region or profession a contact names fails
  likewise. That check runs after the row is locked and sees every transaction that committed before, so a
  contact inserted concurrently is seen, or its statement fails on the missing row. It needs READ COMMITTED (a
  transaction snapshot taken earlier could miss such a contact), Django's default: under another isolation level
  these deletes are refused with a message saying so.

SQLite, the embedded default, relies on the intake's validation and the models' PROTECT, as for the contacts'
other references (billing region, recommendation, users).
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION contacts_contact_references_check() RETURNS trigger AS $$
DECLARE
    providers bigint[];
    regions text[];
    professions text[];
    missing text;
BEGIN
    -- The distinct values first (a chunk of 2 000 contacts names a handful): then one probe per value, not per row.
    SELECT array_agg(DISTINCT provider_id), array_agg(DISTINCT home_region_id), array_agg(DISTINCT profession_id)
        INTO providers, regions, professions FROM new_contacts;
    IF providers IS NULL THEN
        RETURN NULL;  -- no row
    END IF;
    IF (SELECT count(*) FROM (SELECT 1 FROM regions_provider WHERE id = ANY(providers) ORDER BY id FOR KEY SHARE) p)
       < cardinality(providers) THEN
        SELECT format('(provider_id)=(%s) is not present in table "regions_provider"', v) INTO missing
            FROM unnest(providers) v WHERE NOT EXISTS (SELECT 1 FROM regions_provider WHERE id = v) LIMIT 1;
    ELSIF (SELECT count(*) FROM (SELECT 1 FROM regions_region WHERE code = ANY(regions) ORDER BY code FOR KEY SHARE) r)
       < cardinality(regions) THEN
        SELECT format('(home_region_id)=(%s) is not present in table "regions_region"', v) INTO missing
            FROM unnest(regions) v WHERE NOT EXISTS (SELECT 1 FROM regions_region WHERE code = v) LIMIT 1;
    ELSIF (SELECT count(*) FROM (SELECT 1 FROM regions_profession WHERE code = ANY(professions) ORDER BY code
                                 FOR KEY SHARE) p)
       < cardinality(professions) THEN
        SELECT format('(profession_id)=(%s) is not present in table "regions_profession"', v) INTO missing
            FROM unnest(professions) v WHERE NOT EXISTS (SELECT 1 FROM regions_profession WHERE code = v) LIMIT 1;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "contacts_contact" violates its reference: key %', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = 'contacts_contact';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contacts_contact_references_inserted
    AFTER INSERT ON contacts_contact REFERENCING NEW TABLE AS new_contacts
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_contact_references_check();

CREATE FUNCTION contacts_contact_references_check_row() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM regions_provider WHERE id = NEW.provider_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'update on table "contacts_contact" violates its reference: key (provider_id)=(%) is not present in table "regions_provider"', NEW.provider_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'contacts_contact';
    END IF;
    PERFORM 1 FROM regions_region WHERE code = NEW.home_region_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'update on table "contacts_contact" violates its reference: key (home_region_id)=(%) is not present in table "regions_region"', NEW.home_region_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'contacts_contact';
    END IF;
    PERFORM 1 FROM regions_profession WHERE code = NEW.profession_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'update on table "contacts_contact" violates its reference: key (profession_id)=(%) is not present in table "regions_profession"', NEW.profession_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'contacts_contact';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contacts_contact_references_updated
    AFTER UPDATE OF provider_id, home_region_id, profession_id ON contacts_contact
    FOR EACH ROW WHEN (OLD.provider_id IS DISTINCT FROM NEW.provider_id
                       OR OLD.home_region_id IS DISTINCT FROM NEW.home_region_id
                       OR OLD.profession_id IS DISTINCT FROM NEW.profession_id)
    EXECUTE FUNCTION contacts_contact_references_check_row();

CREATE FUNCTION contacts_contact_referenced_row_kept() RETURNS trigger AS $$
DECLARE
    referred boolean;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION '% on table "%" is refused under %: contacts may refer to its rows, which only READ COMMITTED sees as they are',
            TG_OP, TG_TABLE_NAME, upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    IF TG_TABLE_NAME = 'regions_provider' THEN
        referred := EXISTS (SELECT 1 FROM contacts_contact WHERE provider_id = OLD.id);
    ELSIF TG_TABLE_NAME = 'regions_region' THEN
        referred := EXISTS (SELECT 1 FROM contacts_contact WHERE home_region_id = OLD.code);
    ELSE
        referred := EXISTS (SELECT 1 FROM contacts_contact WHERE profession_id = OLD.code);
    END IF;
    IF referred THEN
        RAISE EXCEPTION '% on table "%" violates the reference of table "contacts_contact": a contact still refers to it',
            TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER contacts_contact_referenced_provider_deleted
    AFTER DELETE ON regions_provider
    FOR EACH ROW EXECUTE FUNCTION contacts_contact_referenced_row_kept();
CREATE TRIGGER contacts_contact_referenced_provider_rekeyed
    AFTER UPDATE OF id ON regions_provider
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION contacts_contact_referenced_row_kept();
CREATE TRIGGER contacts_contact_referenced_region_deleted
    AFTER DELETE ON regions_region
    FOR EACH ROW EXECUTE FUNCTION contacts_contact_referenced_row_kept();
CREATE TRIGGER contacts_contact_referenced_region_rekeyed
    AFTER UPDATE OF code ON regions_region
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION contacts_contact_referenced_row_kept();
CREATE TRIGGER contacts_contact_referenced_profession_deleted
    AFTER DELETE ON regions_profession
    FOR EACH ROW EXECUTE FUNCTION contacts_contact_referenced_row_kept();
CREATE TRIGGER contacts_contact_referenced_profession_rekeyed
    AFTER UPDATE OF code ON regions_profession
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION contacts_contact_referenced_row_kept();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS contacts_contact_referenced_profession_rekeyed ON regions_profession;
DROP TRIGGER IF EXISTS contacts_contact_referenced_profession_deleted ON regions_profession;
DROP TRIGGER IF EXISTS contacts_contact_referenced_region_rekeyed ON regions_region;
DROP TRIGGER IF EXISTS contacts_contact_referenced_region_deleted ON regions_region;
DROP TRIGGER IF EXISTS contacts_contact_referenced_provider_rekeyed ON regions_provider;
DROP TRIGGER IF EXISTS contacts_contact_referenced_provider_deleted ON regions_provider;
DROP FUNCTION IF EXISTS contacts_contact_referenced_row_kept();
DROP TRIGGER IF EXISTS contacts_contact_references_updated ON contacts_contact;
DROP FUNCTION IF EXISTS contacts_contact_references_check_row();
DROP TRIGGER IF EXISTS contacts_contact_references_inserted ON contacts_contact;
DROP FUNCTION IF EXISTS contacts_contact_references_check();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0014_patient_started_index'),
        ('regions', '0007_region_listing_rule'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contact',
            name='home_region',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.region', verbose_name='home region'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='profession',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='regions.profession', verbose_name='profession'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='provider',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='regions.provider', verbose_name='care provider'),
        ),
        # Backwards: the triggers go before the foreign keys come back (the AlterFields, reversed after it).
        migrations.RunPython(forward, backward),
    ]
