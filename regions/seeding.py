"""Loading the reference data: idempotent, and never touching a published recommendation."""

from dataclasses import dataclass, field

from django.db import transaction

from regions import reference_data
from regions.models import Profession, RateRecommendation, Region
from regions.roles import sync_role_groups
from regions.services import recommendation_create, recommendation_publish


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _recommendation_matches(existing: RateRecommendation, data: reference_data.RecommendationData) -> bool:
    rates = {rate.category: rate.amount for rate in existing.rates.all()}
    criteria = [c.criterion for c in existing.criteria.order_by("position")]
    return (
        existing.effective_from == data.effective_from
        and existing.includes_patient_fee == data.includes_patient_fee
        and rates == data.rates
        and criteria == [str(c) for c in data.criteria]
    )


@transaction.atomic
def reference_data_load() -> SeedReport:
    report = SeedReport()
    sync_role_groups()
    for code, name, healthcare_region, org_number in reference_data.REGIONS:
        _region, created = Region.objects.update_or_create(
            code=code, defaults={"name": name, "healthcare_region": healthcare_region, "org_number": org_number}
        )
        if created:
            report.created.append(f"region {code}")
    for code, name, category in reference_data.PROFESSIONS:
        _profession, created = Profession.objects.update_or_create(
            code=code, defaults={"name": name, "category": category}
        )
        if created:
            report.created.append(f"profession {code}")
    for data in reference_data.RECOMMENDATIONS:
        existing = RateRecommendation.objects.filter(code=data.code).first()
        if existing is not None:
            if not _recommendation_matches(existing, data):
                report.warnings.append(
                    f"recommendation {data.code} exists and differs from the reference data; left as it is "
                    "(a correction is a new version)"
                )
            elif not existing.is_published:
                recommendation_publish(recommendation=existing)
                report.updated.append(f"recommendation {data.code} published")
            continue
        recommendation = recommendation_create(
            code=data.code,
            title=data.title,
            decided_on=data.decided_on,
            effective_from=data.effective_from,
            includes_patient_fee=data.includes_patient_fee,
            source_reference=data.source_reference,
            rates=data.rates,
            criteria=[str(c) for c in data.criteria],
            supersedes=RateRecommendation.objects.filter(code=data.supersedes).first() if data.supersedes else None,
        )
        recommendation_publish(recommendation=recommendation)
        report.created.append(f"recommendation {data.code}")
    return report
