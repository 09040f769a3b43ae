# The dispute models' content types were the contacts app's (contacts.dispute, ...): renamed to the disputes app's,
# rows kept, so what points at them follows the models: the permissions (same rows, so groups and users keep them:
# contacts.change_dispute becomes disputes.change_dispute) and the admin's history of changes (LogEntry).
#
# Content types are created after migrating (post_migrate), so normally only the old ones exist here: on a fresh
# database neither, on an existing one the old ones. Should the new ones exist too (post_migrate after a run that
# stopped between the migrations), they are merged into the old ones before the rename: a permission the old one
# lacks moves over, one both have keeps the old row and gains the new row's groups and users, the admin's history
# moves over, and the new content type goes.

from django.db import migrations

MODELS = ("dispute", "disputecomment", "disputeattachment", "disputeevent")


def _move(apps, schema_editor, source, target):
    db = schema_editor.connection.alias
    content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(db)
    permissions = apps.get_model("auth", "Permission").objects.db_manager(db)
    log_entries = apps.get_model("admin", "LogEntry").objects.db_manager(db)
    for model in MODELS:
        old = content_types.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = content_types.filter(app_label=target, model=model).first()
        if new is not None:
            for permission in permissions.filter(content_type=new):
                kept = permissions.filter(content_type=old, codename=permission.codename).first()
                if kept is None:
                    permission.content_type = old
                    permission.save(update_fields=["content_type"])
                    continue
                kept.group_set.add(*permission.group_set.all())
                kept.user_set.add(*permission.user_set.all())
                permission.delete()
            log_entries.filter(content_type=new).update(content_type=old)
            new.delete()
        old.app_label = target
        old.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _move(apps, schema_editor, "contacts", "disputes")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, "disputes", "contacts")


class Migration(migrations.Migration):

    dependencies = [
        ("disputes", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
