# A patient's contacts by start: the lists' search by personal identity number as before, and intake's probe for
# another contact of the same patient within an item's start minute (possible duplicates) in one index look-up
# instead of a walk through the provider's contacts of that minute (issue 19). Replaces the index of patient_id
# alone, which this one serves as well.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0013_identity_reads_of_registers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["patient_id", "started_at"], name="contact_patient_started_idx"),
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_patient_idx",
        ),
    ]
