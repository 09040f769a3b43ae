"""The registers' fast loading keeps every guarantee: rows stored batch by batch (on PostgreSQL while the next batch
is read) and undone when the file may not be stored, the remembered values and the identity fast path giving
exactly what the full validation gives, identical rows not rewritten yet counted as updated."""

import datetime as dt

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from contacts.identifiers import PersonalIdentityError, parse_personal_identity
from regions.models import Role
from review import register_files
from review.loading import register_load
from review.models import LoadMode, LoadVia, PopulationEntry, RegisterKind, RegisterLoad
from review.register_files import _Memo, register_file_parse
from tests.factories import personnummer

HEADER = "personal_identity;lan_code;municipality_code;valid_from;valid_to\n"
TODAY = dt.date(2026, 12, 6)
PEOPLE = [personnummer(f"19{year}0101", f"{serial:03d}") for year in range(50, 60) for serial in (101, 202)]


def digits(number: str) -> str:
    return number.replace("-", "")


@pytest.fixture
def clerk01(make_user):
    return make_user(Role.CLERK, "01")


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 3 rows, so that a file of a few rows is stored in several."""
    monkeypatch.setattr(register_files, "SINK_BATCH", 3)


def _load(user, body: str, **options):
    return register_load(region_code="01", kind="population", data=body.encode(), user=user, via=LoadVia.API, **options)


def _rows(people, municipality="0180", valid_from="2020-01-01", valid_to="") -> str:
    return "".join(f"{person};01;{municipality};{valid_from};{valid_to}\n" for person in people)


def test_a_file_of_several_batches_is_stored_whole_and_counted(clerk01, small_batches):
    load = _load(clerk01, HEADER + _rows(PEOPLE[:10]))
    assert (load.rows, load.inserted, load.updated, load.refused, load.errors) == (10, 10, 0, 0, [])

    again = _load(clerk01, HEADER + _rows(PEOPLE[:4], valid_to="2026-12-31") + _rows(PEOPLE[4:12]))

    # Every known key counts as updated, whether its values changed (4) or are the same (6) and are not rewritten.
    assert (again.rows, again.inserted, again.updated, again.refused) == (12, 2, 10, 0)
    assert PopulationEntry.objects.count() == 12
    assert sorted(PopulationEntry.objects.exclude(valid_to=None).values_list("personal_identity", flat=True)) == sorted(
        digits(person) for person in PEOPLE[:4]
    )


def test_identical_rows_are_not_written_again(clerk01):
    if connection.vendor != "postgresql":
        pytest.skip("xmin, the row version, is PostgreSQL's")
    _load(clerk01, HEADER + _rows(PEOPLE[:3]))
    versions = dict(PopulationEntry.objects.values_list("personal_identity", "id"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM review_populationentry ORDER BY id")
        before = cursor.fetchall()
    load = _load(clerk01, HEADER + _rows(PEOPLE[:2]) + _rows(PEOPLE[2:3], municipality="0114"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text FROM review_populationentry ORDER BY id")
        after = cursor.fetchall()
    assert (load.inserted, load.updated) == (0, 3)
    assert after[:2] == before[:2]  # the same row versions: not rewritten
    assert after[2][1] != before[2][1]
    assert dict(PopulationEntry.objects.values_list("personal_identity", "id")) == versions


def test_replacing_a_period_with_a_refused_row_in_a_later_batch_undoes_the_earlier_ones(clerk01, small_batches):
    _load(clerk01, HEADER + _rows(PEOPLE[:2], valid_from="2026-01-01"))
    body = HEADER + _rows(PEOPLE[2:9], valid_from="2026-02-01") + f"{PEOPLE[9]};01;9999;2026-02-01;\n"

    load = _load(clerk01, body, mode=LoadMode.REPLACE_PERIOD, period_from=dt.date(2026, 1, 1), period_to=TODAY)

    assert (load.rows, load.deleted, load.inserted, load.updated, load.refused) == (8, 0, 0, 0, 8)
    assert [error["line"] for error in load.errors] == [9]
    assert sorted(PopulationEntry.objects.values_list("personal_identity", flat=True)) == sorted(
        digits(person) for person in PEOPLE[:2]
    )
    assert RegisterLoad.objects.count() == 2  # the refusal is in the history


def test_replacing_a_period_in_several_batches(clerk01, small_batches):
    _load(clerk01, HEADER + _rows(PEOPLE[:5], valid_from="2026-01-01"))

    load = _load(
        clerk01,
        HEADER + _rows(PEOPLE[3:10], valid_from="2026-01-01"),
        mode=LoadMode.REPLACE_PERIOD,
        period_from=dt.date(2026, 1, 1),
        period_to=TODAY,
    )

    assert (load.rows, load.deleted, load.inserted, load.updated, load.refused) == (7, 5, 7, 0, 0)
    assert sorted(PopulationEntry.objects.values_list("personal_identity", flat=True)) == sorted(
        digits(person) for person in PEOPLE[3:10]
    )


def test_an_upsert_keeps_the_valid_rows_of_every_batch_and_reports_the_others(clerk01, small_batches):
    body = HEADER + _rows(PEOPLE[:4]) + f"{PEOPLE[4]};01;0180;2020-01-01;2019-12-31\n" + _rows(PEOPLE[5:8])

    load = _load(clerk01, body)

    assert (load.rows, load.inserted, load.refused) == (8, 7, 1)
    assert [(error["line"], list(error["errors"])) for error in load.errors] == [(6, ["valid_to"])]


def test_remembered_values_never_hide_a_refused_one():
    """A value refused is refused on every row; a valid value on a row refused for another reason is still valid
    on the next row."""
    body = (
        HEADER
        + f"{PEOPLE[0]};01;0180;2020-01-01;2019-01-01\n"  # 2: valid to before valid from
        + f"{PEOPLE[1]};01;0180;2018-01-01;2019-01-01\n"  # 3: the same valid to, fine now
        + f"{PEOPLE[2]};01;9999;2020-01-01;\n"  # 4: kommun not in the län
        + f"{PEOPLE[3]};01;9999;2020-01-01;\n"  # 5: again
        + f"{PEOPLE[4]};03;0380;2020-01-01;\n"  # 6: fine
        + f"{PEOPLE[5]};01;0380;2020-01-01;\n"  # 7: 0380 is fine in 03, not in 01
        + f"{PEOPLE[6]};01;0180;2020-02-30;\n"  # 8: no such day
        + f"{PEOPLE[7]};01;0180;2020-02-30;\n"  # 9: again
        + f"{digits(PEOPLE[8])[:-1]}0;01;0180;2020-01-01;\n"  # 10: a wrong check digit
    )

    parsed = register_file_parse(body.encode(), RegisterKind.POPULATION)

    assert [(error["line"], sorted(error["errors"])) for error in parsed.errors] == [
        (2, ["valid_to"]),
        (4, ["municipality_code"]),
        (5, ["municipality_code"]),
        (7, ["municipality_code"]),
        (8, ["valid_from"]),
        (9, ["valid_from"]),
        (10, ["personal_identity"]),
    ]
    assert [(row.line, row.first, row.second, row.valid_from, row.valid_to) for row in parsed.rows] == [
        (3, "01", "0180", dt.date(2018, 1, 1), dt.date(2019, 1, 1)),
        (6, "03", "0380", dt.date(2020, 1, 1), None),
    ]


def _full(value: str) -> str | None:
    try:
        return parse_personal_identity(value, today=TODAY).number
    except PersonalIdentityError:
        return None


P = personnummer("19850312", "238")
COORDINATION = personnummer("19850372", "238")


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        (P, digits(P)),
        (digits(P), digits(P)),
        (COORDINATION, digits(COORDINATION)),  # a samordningsnummer (day + 60)
        ("19850312-2381", None),  # a wrong check digit
        (personnummer("19850392", "238"), None),  # day 32 as a samordningsnummer: no such date
        (personnummer("19850230", "238"), None),  # 30 February
        (personnummer("20261207", "238"), None),  # born tomorrow
        (personnummer("20261206", "238"), digits(personnummer("20261206", "238"))),  # born today
        (personnummer("00000101", "238"), None),  # year 0
        (digits(P)[2:], None),  # 10 digits: read by the full validation
        (P.replace("-", "+"), None),  # a '+': read by the full validation
        (digits(P) + "0", None),
    ],
)
def test_the_identity_fast_path_agrees_with_the_full_validation(value, fast):
    """The fast path takes the canonical valid numbers; anything else (None) goes to the full validation, which
    accepts or refuses it with its message."""
    assert _Memo(RegisterKind.POPULATION, TODAY).identity(value) == fast
    if fast is not None:
        assert fast == _full(value)


@settings(max_examples=300, deadline=None)
@given(
    year=st.integers(1800, 2030),
    month=st.integers(0, 13),
    day=st.integers(0, 92),
    serial=st.integers(0, 9999),
    hyphen=st.booleans(),
)
def test_the_identity_fast_path_agrees_with_the_full_validation_on_any_number(year, month, day, serial, hyphen):
    value = f"{year:04d}{month:02d}{day:02d}{'-' if hyphen else ''}{serial:04d}"
    assert _Memo(RegisterKind.POPULATION, TODAY).identity(value) == _full(value)


def test_the_garbage_collector_is_paused_while_a_file_is_read_and_then_as_it_was():
    import gc

    seen = []
    register_file_parse(
        (HEADER + _rows(PEOPLE[:2])).encode(),
        RegisterKind.POPULATION,
        sink=lambda rows: seen.append((len(rows), gc.isenabled())),
    )
    assert (seen, gc.isenabled()) == ([(2, False)], True)
    gc.disable()
    try:
        register_file_parse(b"not a register", RegisterKind.POPULATION)
        assert not gc.isenabled()
    finally:
        gc.enable()
