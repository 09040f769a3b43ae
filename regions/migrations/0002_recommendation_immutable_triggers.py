"""On PostgreSQL, the database itself refuses changes to a published recommendation and its parts.

The model refuses them too; the triggers cover raw SQL and any path around the ORM. (SQLite, the embedded
default, relies on the model guard: its flush between tests deletes rows one by one.)
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION regions_recommendation_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'recommendation % is published and cannot be changed', OLD.code
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER regions_recommendation_immutable
    BEFORE UPDATE OR DELETE ON regions_raterecommendation
    FOR EACH ROW EXECUTE FUNCTION regions_recommendation_immutable();

CREATE FUNCTION regions_recommendation_part_immutable() RETURNS trigger AS $$
DECLARE
    parent_id bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN parent_id := OLD.recommendation_id; ELSE parent_id := NEW.recommendation_id; END IF;
    IF EXISTS (SELECT 1 FROM regions_raterecommendation WHERE id = parent_id AND status = 'published')
       OR (TG_OP = 'UPDATE' AND EXISTS (
            SELECT 1 FROM regions_raterecommendation WHERE id = OLD.recommendation_id AND status = 'published')) THEN
        RAISE EXCEPTION 'recommendation % is published and cannot be changed', parent_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER regions_recommendationrate_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON regions_recommendationrate
    FOR EACH ROW EXECUTE FUNCTION regions_recommendation_part_immutable();
CREATE TRIGGER regions_recommendationcriterion_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON regions_recommendationcriterion
    FOR EACH ROW EXECUTE FUNCTION regions_recommendation_part_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS regions_recommendationcriterion_immutable ON regions_recommendationcriterion;
DROP TRIGGER IF EXISTS regions_recommendationrate_immutable ON regions_recommendationrate;
DROP FUNCTION IF EXISTS regions_recommendation_part_immutable();
DROP TRIGGER IF EXISTS regions_recommendation_immutable ON regions_raterecommendation;
DROP FUNCTION IF EXISTS regions_recommendation_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
