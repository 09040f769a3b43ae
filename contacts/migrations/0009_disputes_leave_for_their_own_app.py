# The dispute models move to the disputes app (issue 21: an app of its own, above billing). Only Django's idea of
# them moves: their tables keep their names (contacts_dispute, contacts_disputecomment, contacts_disputeattachment,
# contacts_disputeevent; the models' Meta.db_table) and their rows, keys, constraints and indexes stay as they are.
# This app forgets the models (no SQL); disputes 0001_initial, which runs after this, takes them over (no SQL
# either), and disputes 0002 renames their content types, so permissions and admin history follow them.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0008_locked_mirrors_status'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # Those that point at the others first.
                migrations.DeleteModel(name='DisputeEvent'),
                migrations.DeleteModel(name='DisputeAttachment'),
                migrations.DeleteModel(name='DisputeComment'),
                migrations.DeleteModel(name='Dispute'),
            ],
            database_operations=[],
        ),
    ]
