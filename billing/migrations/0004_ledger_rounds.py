"""The ledger over time: billing rounds, credit lines that name the line they credit, the contact as billed kept on
each line, typed event actions and interfaces, and a specification serial that never restarts.

Existing rows are brought along: every line gets the contact's billed facts, every credit line the debit line it
credits (the contact's line on the credited invoice), a contact whose credit was approved its next round, and each
seller's specification serial starts above every serial its ids used so far (so no new id repeats an old one).
On PostgreSQL a trigger also checks what the unique indexes cannot: a credit line credits exactly its debit line
(same contact and round, the amount with its sign turned), and a debit line of round n > 0 follows an approved
credit of round n − 1.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

VIA_CHOICES = [
    ("api", "API"),
    ("bulk", "Bulk API"),
    ("csv", "CSV upload"),
    ("admin", "Admin"),
    ("run", "Invoice run"),
    ("schedule", "Schedule"),
    ("system", "System (command or scheduled job)"),
]
ACTION_CHOICES = [
    ("created", "Created"),
    ("refreshed", "Refreshed"),
    ("correction_created", "Created by the seller's correction"),
    ("correction_added", "Line added by the seller's correction"),
    ("submit", "Submission"),
    ("approve", "Approval"),
    ("return", "Return to draft"),
    ("mark_sent", "Marking as sent"),
    ("mark_paid", "Marking as paid"),
    ("render_documents", "PDFs rendered again"),
    ("lapsed_removed", "Contacts past the invoicing deadline removed"),
]
SNAPSHOT = {
    "external_id": "external_id",
    "started_at": "started_at",
    "profession": "profession_id",
    "patient_id": "patient_id",
    "patient_sex": "patient_sex",
    "listing_unit": "listing_unit",
    "care_unit": "care_unit",
    "overridden": "overridden",
}
FROZEN = ("approved", "sent", "paid")


def bring_existing_rows_along(apps, schema_editor):
    Contact = apps.get_model("contacts", "Contact")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    Invoice = apps.get_model("billing", "Invoice")
    SpecificationSequence = apps.get_model("billing", "SpecificationSequence")
    contact = Contact.objects.filter(pk=OuterRef("contact_id"))
    InvoiceLine.objects.update(**{line: Subquery(contact.values(column)[:1]) for line, column in SNAPSHOT.items()})
    # A credit line credits the contact's debit line on the invoice its credit note corrects (credit lines are few).
    for line in InvoiceLine.objects.filter(credit=True).select_related("invoice"):
        line.credited_line_id = (
            InvoiceLine.objects.filter(contact_id=line.contact_id, invoice_id=line.invoice.credits_id, credit=False)
            .values_list("pk", flat=True)
            .get()
        )
        line.save(update_fields=["credited_line"])
    credited = InvoiceLine.objects.filter(credit=True, invoice__status__in=FROZEN).values("contact_id")
    Contact.objects.filter(pk__in=credited).update(billing_round=1)
    serials: dict[str, int] = {}
    for seller, specification_id in Invoice.objects.filter(specification_id__isnull=False).values_list(
        "seller_id", "specification_id"
    ):
        serials[seller] = max(serials.get(seller, 0), int(specification_id[-6:]))
    SpecificationSequence.objects.bulk_create(
        [SpecificationSequence(seller_id=seller, last_number=last) for seller, last in sorted(serials.items())]
    )


TRIGGER = """
CREATE FUNCTION billing_line_round_check() RETURNS trigger AS $$
DECLARE
    debit billing_invoiceline%ROWTYPE;
BEGIN
    IF NEW.credit THEN
        SELECT * INTO debit FROM billing_invoiceline WHERE id = NEW.credited_line_id;
        IF NOT FOUND OR debit.credit OR debit.contact_id <> NEW.contact_id OR debit.billing_round <> NEW.billing_round
           OR NEW.rate <> debit.rate OR NEW.fee_deducted <> -debit.fee_deducted OR NEW.amount <> -debit.amount THEN
            RAISE EXCEPTION 'credit line of contact % must credit exactly its billed line % of round %',
                NEW.contact_id, NEW.credited_line_id, NEW.billing_round
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NOT EXISTS (
        SELECT 1 FROM billing_invoiceline c JOIN billing_invoice i ON i.id = c.invoice_id
        WHERE c.contact_id = NEW.contact_id AND c.credit AND c.billing_round = NEW.billing_round - 1
          AND i.status IN ('approved', 'sent', 'paid')
    ) THEN
        RAISE EXCEPTION 'contact % cannot be billed in round % before its round % is credited',
            NEW.contact_id, NEW.billing_round, NEW.billing_round - 1
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

-- Only credit lines and re-billings are checked: a contact's first billing (round 0, every line an invoice run
-- inserts for the first time) costs nothing more than the condition.
CREATE TRIGGER billing_line_round_check
    BEFORE INSERT OR UPDATE ON billing_invoiceline
    FOR EACH ROW WHEN (NEW.credit OR NEW.billing_round > 0)
    EXECUTE FUNCTION billing_line_round_check();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS billing_line_round_check ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_line_round_check();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_event_changes"),
        ("contacts", "0005_billing_round_and_one_via"),
        ("regions", "0004_reference_data_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="SpecificationSequence",
            fields=[
                (
                    "seller",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="regions.region",
                    ),
                ),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="billing_round",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="0 for the contact's first billing; each approved credit of the contact opens the next.",
                verbose_name="billing round",
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="credited_line",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_lines",
                to="billing.invoiceline",
                verbose_name="credits line",
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="rebill",
            field=models.BooleanField(
                default=False,
                help_text="Once the credit is approved, the contact is invoiced again.",
                verbose_name="invoice again",
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="correction",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="The corrected values applied to the contact when the credit is approved.",
                verbose_name="correction",
            ),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="external_id",
            field=models.CharField(default="", max_length=64, verbose_name="external id"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="started_at",
            field=models.DateTimeField(null=True, verbose_name="started at"),
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="profession",
            field=models.CharField(default="", max_length=2, verbose_name="profession"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="patient_id",
            field=models.CharField(default="", max_length=12, verbose_name="personal identity number"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="patient_sex",
            field=models.CharField(default="", max_length=1, verbose_name="sex"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="listing_unit",
            field=models.CharField(blank=True, default="", max_length=31, verbose_name="listing unit (HSA-id)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="care_unit",
            field=models.CharField(blank=True, default="", max_length=31, verbose_name="care unit (HSA-id)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="invoiceline",
            name="overridden",
            field=models.BooleanField(default=False, verbose_name="rejection overridden"),
        ),
        migrations.RunPython(bring_existing_rows_along, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="invoiceline",
            name="started_at",
            field=models.DateTimeField(verbose_name="started at"),
        ),
        migrations.RemoveConstraint(model_name="invoiceline", name="line_contact_billed_once"),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.UniqueConstraint(
                condition=models.Q(("credit", False)),
                fields=("contact", "billing_round"),
                name="line_contact_billed_once_per_round",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.UniqueConstraint(
                condition=models.Q(("credit", True)), fields=("credited_line",), name="line_credited_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoiceline",
            constraint=models.CheckConstraint(
                condition=models.Q(("credit", False), ("credited_line__isnull", True), ("rebill", False))
                | models.Q(("credit", True), ("credited_line__isnull", False)),
                name="line_credit_names_its_debit",
            ),
        ),
        migrations.AlterField(
            model_name="invoiceevent",
            name="action",
            field=models.CharField(choices=ACTION_CHOICES, max_length=20, verbose_name="action"),
        ),
        migrations.AlterField(
            model_name="invoiceevent",
            name="via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="via"),
        ),
        migrations.AlterField(
            model_name="invoicerun",
            name="started_via",
            field=models.CharField(choices=VIA_CHOICES, max_length=10, verbose_name="started via"),
        ),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
