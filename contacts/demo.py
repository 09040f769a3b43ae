"""Demo contacts (``seed_demo``): a few thousand synthetic contacts per demo provider over six months."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import timezone

from contacts.intake import contacts_upsert
from contacts.models import Contact
from contacts.synthetic import contact_items
from kernel.business_time import STOCKHOLM, stockholm_today
from kernel.history import Via
from regions.models import Provider

# What each demo provider mostly does (regions.demo.DEMO_PROVIDERS).
DEMO_PROFESSIONS = {
    "SE5561234005-DL01": ["LK"] * 9 + ["SJ"],
    "SE5562345016-PK01": ["PS"] * 6 + ["HK"] * 3 + ["PT"],
    "SE5563456028-FO01": ["FT"] * 9 + ["US"],
    "SE5564567039-VA01": ["LK"] * 7 + ["SJ", "BM", "OV"],
    "SE5565678041-NS01": ["SJ"] * 8 + ["DT", "US"],
}
DEMO_CONTACTS_PER_PROVIDER = 800
# Last calendar year too, fewer, so the reports have a year to compare with.
DEMO_LAST_YEAR_CONTACTS_PER_PROVIDER = 500
DEMO_PREFIX = "demo"


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)


def demo_load(*, password: str) -> DemoReport:
    """A few thousand contacts over the last six months and last calendar year for each demo provider that
    has none yet."""
    report = DemoReport()
    loader = get_user_model().objects.get(username="admin")
    start = timezone.now() - dt.timedelta(days=183)
    last_year = stockholm_today().year - 1
    last_year_start = dt.datetime(last_year, 1, 1, 8, tzinfo=STOCKHOLM)
    for seed, (hsa_id, professions) in enumerate(DEMO_PROFESSIONS.items(), start=1):
        provider = Provider.objects.filter(hsa_id=hsa_id).first()
        if provider is None or Contact.objects.filter(provider=provider, external_id__startswith=DEMO_PREFIX).exists():
            continue
        items = contact_items(
            DEMO_CONTACTS_PER_PROVIDER,
            seed=seed,
            start=start,
            days=182,
            prefix=f"{DEMO_PREFIX}-{hsa_id[-4:]}",
            provider=hsa_id,
            professions=professions,
        )
        items += contact_items(
            DEMO_LAST_YEAR_CONTACTS_PER_PROVIDER,
            seed=100 + seed,
            start=last_year_start,
            days=364,
            prefix=f"{DEMO_PREFIX}-{last_year}-{hsa_id[-4:]}",
            provider=hsa_id,
            professions=professions,
        )
        result = contacts_upsert(items=items, user=loader, channel=Via.SYSTEM)
        report.created.append(f"{result.created} contacts of {hsa_id}")
    return report
