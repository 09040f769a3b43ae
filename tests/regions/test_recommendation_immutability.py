import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from kernel.errors import ImmutableObject, StateConflict
from regions.models import RateRecommendation, RecommendationCriterion, RecommendationRate, Role
from regions.services import recommendation_create, recommendation_publish, recommendation_set_rates

pytestmark = pytest.mark.django_db

APRIL = "SKR-2026-04"


def _april():
    return RateRecommendation.objects.get(code=APRIL)


def _rates_of(code):
    return dict(RecommendationRate.objects.filter(recommendation__code=code).values_list("category", "amount"))


ORIGINAL_RATES = {
    "physician": Decimal("435.00"),
    "psychologist": Decimal("405.00"),
    "other_licensed": Decimal("235.00"),
}


def test_service_refuses_to_change_rates_of_a_published_version(reference):
    with pytest.raises(ImmutableObject, match="SKR-2026-04 är publicerad och kan inte ändras"):
        recommendation_set_rates(recommendation=_april(), rates={"physician": "999.00"})

    assert _rates_of(APRIL) == ORIGINAL_RATES


def test_publishing_twice_is_a_conflict(reference):
    with pytest.raises(StateConflict, match="Rekommendationen SKR-2026-04 är redan publicerad"):
        recommendation_publish(recommendation=_april())


def test_model_refuses_save_delete_and_queryset_update(reference):
    april = _april()
    april.effective_from = dt.date(2026, 5, 1)
    with pytest.raises(ImmutableObject):
        april.save()
    with pytest.raises(ImmutableObject):
        _april().delete()
    with pytest.raises(ImmutableObject):
        RateRecommendation.objects.filter(code=APRIL).update(title="changed")

    assert _april().effective_from == dt.date(2026, 4, 22)
    assert (
        _april().title == "Rekommendation om gemensamma utomlänsersättningar för digitala vårdtjänster i primärvården"
    )


def test_model_refuses_changes_to_rates_and_criteria_of_a_published_version(reference):
    rate = RecommendationRate.objects.get(recommendation__code=APRIL, category="physician")
    rate.amount = Decimal("1.00")
    with pytest.raises(ImmutableObject):
        rate.save()
    with pytest.raises(ImmutableObject):
        RecommendationRate.objects.filter(recommendation__code=APRIL).update(amount=Decimal("1.00"))
    with pytest.raises(ImmutableObject):
        RecommendationCriterion.objects.filter(recommendation__code=APRIL).delete()
    with pytest.raises(ImmutableObject):
        RecommendationRate(recommendation=_april(), category="physician", amount=Decimal("1.00")).save()

    assert _rates_of(APRIL) == ORIGINAL_RATES
    assert RecommendationCriterion.objects.filter(recommendation__code=APRIL).count() == 13


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database trigger exists on PostgreSQL only")
def test_database_refuses_raw_sql_changes_on_postgresql(reference):
    with pytest.raises(IntegrityError, match="is published"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE regions_recommendationrate SET amount = 1 WHERE category = 'physician'")
    with pytest.raises(IntegrityError, match="is published"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE regions_raterecommendation SET title = 'x' WHERE code = %s", [APRIL])

    assert _rates_of(APRIL) == ORIGINAL_RATES


def test_a_draft_can_be_changed_then_published(reference):
    draft = recommendation_create(
        code="SKR-2027-01",
        title="Draft",
        decided_on=dt.date(2026, 11, 1),
        effective_from=dt.date(2027, 1, 1),
        includes_patient_fee=True,
        source_reference="test",
        rates={"physician": "450.00", "psychologist": "410.00", "other_licensed": "240.00"},
        criteria=["out_of_county", "digital_contact"],
    )
    recommendation_set_rates(
        recommendation=draft, rates={"physician": "451.00", "psychologist": "410.00", "other_licensed": "240.00"}
    )
    published = recommendation_publish(recommendation=draft)

    assert published.status == "published"
    assert _rates_of("SKR-2027-01")["physician"] == Decimal("451.00")


def test_admin_cannot_change_a_published_version(client, make_user, reference):
    admin_user = make_user(Role.ADMIN)
    client.force_login(admin_user)
    april = _april()
    url = f"/admin/regions/raterecommendation/{april.pk}/change/"

    page = client.get(url)
    response = client.post(
        url,
        {
            "code": APRIL,
            "title": "changed",
            "decided_on": "2026-04-22",
            "effective_from": "2026-05-01",
            "source_reference": "x",
        },
    )
    delete = client.post(f"/admin/regions/raterecommendation/{april.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert b'name="title"' not in page.content  # shown as text, no input
    assert response.status_code == 403
    assert delete.status_code == 403
    assert _april().effective_from == dt.date(2026, 4, 22)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_api_is_read_only_for_recommendations(api_as, reference, method):
    api = api_as(Role.ADMIN)

    response = getattr(api, method)(f"/api/v1/recommendations/{APRIL}/", {"title": "x"}, format="json")

    assert response.status_code == 405
    assert _april().title.startswith("Rekommendation")


def test_api_cannot_create_a_recommendation(api_as, reference):
    response = api_as(Role.ADMIN).post("/api/v1/recommendations/", {"code": "X"}, format="json")

    assert response.status_code == 405
    assert RateRecommendation.objects.count() == 3
