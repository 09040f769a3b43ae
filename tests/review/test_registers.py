"""The buyer's registers: loading (row errors with their lines, upsert vs replace-a-period), scope, retention."""

import codecs
import datetime as dt

import pytest

from regions.models import Role
from review.loading import RegisterLoadError, register_load, register_retention_purge
from review.models import ListingEntry, LoadMode, LoadVia, PopulationEntry, RegisterKind, RegisterLoad
from tests.factories import personnummer

P1 = personnummer("19850312", "238")
P2 = personnummer("19900101", "123")
P3 = personnummer("20010515", "456")
HEADER = "personal_identity;lan_code;municipality_code;valid_from;valid_to\n"


def _load(user, body: str, *, kind=RegisterKind.POPULATION, region="01", encoding="utf-8", **options):
    return register_load(
        region_code=region, kind=kind, data=body.encode(encoding), user=user, via=LoadVia.ADMIN, **options
    )


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01")


def test_valid_rows_are_inserted_and_errors_have_their_lines(clerk01):
    body = (
        HEADER
        + f"{P1};01;0180;2020-01-01;\n"
        + "\n"  # a blank line is skipped, and still counts as a line
        + f"{P2};01;0180;2026-05-01;2026-04-30\n"
        + "19850312-2381;01;0180;2020-01-01;\n"
        + f"{P3};01;2580;2020-01-01;\n"
        + f"{P3};1;0180;2021-13-01;\n"
    )
    load = _load(clerk01, body, file_name="folk.csv")
    assert (load.rows, load.inserted, load.updated, load.deleted, load.refused) == (5, 1, 0, 0, 4)
    assert [error["line"] for error in load.errors] == [4, 5, 6, 7]
    assert set(load.errors[0]["errors"]) == {"valid_to"}
    assert set(load.errors[1]["errors"]) == {"personal_identity"}
    assert "19850312-2381" not in str(load.errors)  # never a full number in the history
    assert set(load.errors[2]["errors"]) == {"municipality_code"}
    assert set(load.errors[3]["errors"]) == {"lan_code", "valid_from"}
    entry = PopulationEntry.objects.get()
    assert (entry.region_id, entry.personal_identity, entry.municipality_code, entry.valid_to) == (
        "01",
        P1.replace("-", ""),
        "0180",
        None,
    )
    assert RegisterLoad.objects.get().file_name == "folk.csv"


def test_the_same_key_twice_in_one_file_is_refused_on_its_second_line(clerk01):
    body = HEADER + f"{P1};01;0180;2020-01-01;\n{P1};01;0114;2020-01-01;\n"
    load = _load(clerk01, body)
    assert (load.inserted, load.refused) == (1, 1)
    assert load.errors[0]["line"] == 3


def test_comma_windows_1252_and_bom_files_are_read(clerk01):
    comma = HEADER.replace(";", ",") + f"{P1},01,0180,2020-01-01,\n"
    assert _load(clerk01, comma, encoding="cp1252").inserted == 1
    bom = codecs.BOM_UTF8 + (HEADER + f"{P2};01;0180;2020-01-01;\n").encode()
    load = register_load(region_code="01", kind="population", data=bom, user=clerk01, via=LoadVia.API)
    assert load.inserted == 1


def test_a_wrong_header_refuses_the_whole_file(clerk01):
    load = _load(clerk01, "personal_identity;lan;valid_from\n" + f"{P1};01;2020-01-01\n")
    assert (load.rows, load.inserted, load.refused) == (0, 0, 0)
    assert load.errors[0]["line"] == 0
    assert PopulationEntry.objects.count() == 0


def test_listing_rows_check_hsa_id_and_org_number(clerk01):
    body = (
        "personal_identity,unit_hsa_id,unit_org_number,valid_from,valid_to\n"
        f"{P1},SE2321000016-A65H,232100-0016,2026-01-01,2026-12-31\n"
        f"{P2},SE2321000017-A65H,2321000016,2026-01-01,\n"
        f"{P3},SE2321000016-A65H,2321000017,2026-01-01,\n"
    )
    load = _load(clerk01, body, kind=RegisterKind.LISTING)
    assert (load.inserted, load.refused) == (1, 2)
    assert [(e["line"], set(e["errors"])) for e in load.errors] == [(3, {"unit_hsa_id"}), (4, {"unit_org_number"})]
    entry = ListingEntry.objects.get()
    assert (entry.unit_hsa_id, entry.unit_org_number) == ("SE2321000016-A65H", "2321000016")


def test_upsert_updates_by_identity_and_valid_from(clerk01):
    _load(clerk01, HEADER + f"{P1};01;0180;2020-01-01;\n{P2};01;0180;2020-01-01;\n")
    load = _load(clerk01, HEADER + f"{P1};01;0114;2020-01-01;2026-03-31\n{P1};03;0380;2026-04-01;\n")
    assert (load.inserted, load.updated, load.deleted) == (1, 1, 0)
    assert PopulationEntry.objects.count() == 3
    assert PopulationEntry.objects.get(personal_identity=P1.replace("-", ""), valid_from="2020-01-01").valid_to == (
        dt.date(2026, 3, 31)
    )


def test_replace_a_period_deletes_what_overlaps_it_then_inserts(clerk01):
    _load(
        clerk01,
        HEADER
        + f"{P1};01;0180;2020-01-01;2025-12-31\n"  # ends the day before the period: kept
        + f"{P1};01;0180;2026-01-01;\n"  # open: overlaps, deleted
        + f"{P2};01;0180;2025-06-01;2026-01-01\n"  # ends on the period's first day: overlaps, deleted
        + f"{P3};01;0180;2026-07-01;\n",  # begins the day after the period: kept
    )
    load = _load(
        clerk01,
        HEADER + f"{P1};01;0114;2026-01-01;\n{P3};01;0114;2026-07-01;\n",
        mode=LoadMode.REPLACE_PERIOD,
        period_from=dt.date(2026, 1, 1),
        period_to=dt.date(2026, 6, 30),
    )
    assert (load.deleted, load.inserted, load.updated, load.refused) == (2, 1, 1, 0)
    assert PopulationEntry.objects.count() == 3
    assert not PopulationEntry.objects.filter(personal_identity=P2.replace("-", "")).exists()


def test_replace_a_period_with_a_refused_row_stores_nothing(clerk01):
    _load(clerk01, HEADER + f"{P1};01;0180;2026-01-01;\n")
    load = _load(
        clerk01,
        HEADER + f"{P2};01;0180;2026-01-01;\n{P3};01;9999;2026-01-01;\n",
        mode=LoadMode.REPLACE_PERIOD,
        period_from=dt.date(2026, 1, 1),
        period_to=dt.date(2026, 12, 31),
    )
    assert (load.deleted, load.inserted, load.refused) == (0, 0, 2)
    assert [e["line"] for e in load.errors] == [3]
    assert list(PopulationEntry.objects.values_list("personal_identity", flat=True)) == [P1.replace("-", "")]


def test_replace_needs_a_period(clerk01):
    with pytest.raises(RegisterLoadError):
        _load(clerk01, HEADER, mode=LoadMode.REPLACE_PERIOD, period_from=dt.date(2026, 2, 1), period_to=None)
    with pytest.raises(RegisterLoadError):
        _load(
            clerk01,
            HEADER,
            mode=LoadMode.REPLACE_PERIOD,
            period_from=dt.date(2026, 2, 1),
            period_to=dt.date(2026, 1, 31),
        )


def test_retention_deletes_entries_ended_before_the_cutoff(clerk01):
    today = dt.date(2026, 12, 1)
    cutoff = today - dt.timedelta(days=30)  # 2026-11-01
    _load(
        clerk01,
        HEADER
        + f"{P1};01;0180;2020-01-01;{cutoff - dt.timedelta(days=1)}\n"  # ended the day before the cutoff: deleted
        + f"{P2};01;0180;2020-01-01;{cutoff}\n"  # ended on the cutoff: kept
        + f"{P3};01;0180;2020-01-01;\n",  # still valid: kept
    )
    _load(
        clerk01,
        "personal_identity;unit_hsa_id;unit_org_number;valid_from;valid_to\n"
        f"{P1};SE2321000016-A65H;2321000016;2020-01-01;2026-01-01\n",
        kind=RegisterKind.LISTING,
    )
    assert register_retention_purge(today=today, days=30) == {"population": 1, "listing": 1}
    assert sorted(PopulationEntry.objects.values_list("personal_identity", flat=True)) == sorted(
        [P2.replace("-", ""), P3.replace("-", "")]
    )


def test_the_nightly_task_purges_after_the_retention_setting(clerk01, settings):
    from django.conf import settings as django_settings

    from review.tasks import purge_expired_register_entries

    assert django_settings.CELERY_BEAT_SCHEDULE["register-retention"]["task"] == "review.purge_expired_register_entries"
    settings.REGISTER_RETENTION_DAYS = 1
    _load(clerk01, HEADER + f"{P1};01;0180;2020-01-01;2021-01-01\n{P2};01;0180;2020-01-01;\n")
    assert purge_expired_register_entries.delay().get() == {"population": 1, "listing": 0}
    assert list(PopulationEntry.objects.values_list("personal_identity", flat=True)) == [P2.replace("-", "")]
