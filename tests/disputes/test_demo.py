import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_demo_disputes_fill_the_queue_with_open_overdue_and_decided_cases():
    from disputes.models import Dispute

    call_command("seed_demo", "--password", "demo-pass-123")
    call_command("seed_demo", "--password", "demo-pass-123")

    assert sorted(Dispute.objects.values_list("kind", "status")) == [
        ("objection", "accepted"),
        ("objection", "open"),
        ("rejection", "accepted"),
        ("rejection", "open"),
        ("rejection", "open"),
    ]
    from kernel.business_time import stockholm_today

    assert Dispute.objects.filter(status="open", deadline__lt=stockholm_today()).count() == 1
    assert Dispute.objects.get(kind="objection", status="accepted").credit_note.kind == "credit_note"
