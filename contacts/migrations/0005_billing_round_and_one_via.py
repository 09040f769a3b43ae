from django.db import migrations, models

VIA_CHOICES = [
    ("api", "API"),
    ("bulk", "Bulk API"),
    ("csv", "CSV upload"),
    ("admin", "Admin"),
    ("run", "Invoice run"),
    ("schedule", "Schedule"),
    ("system", "System (command or scheduled job)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0004_event_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="billing_round",
            field=models.PositiveSmallIntegerField(db_default=0, verbose_name="billing round"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="created_via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="created via"),
        ),
        migrations.AlterField(
            model_name="contact",
            name="updated_via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="last changed via"),
        ),
        migrations.AlterField(
            model_name="contactevent",
            name="via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="via"),
        ),
        migrations.AlterField(
            model_name="disputeevent",
            name="via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="via"),
        ),
        migrations.AlterField(
            model_name="contactevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("updated", "Changed"),
                    ("evaluated", "Re-evaluated"),
                    ("rejected", "Rejected by clerk"),
                    ("overridden", "Rejection overridden"),
                    ("deadline", "Invoicing deadline passed"),
                    ("credited", "Credited"),
                ],
                max_length=12,
                verbose_name="event",
            ),
        ),
    ]
