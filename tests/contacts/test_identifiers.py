"""Personnummer and samordningsnummer: parsing, century inference, masking and error messages.

Every literal number below was computed with the Luhn algorithm over its 10-digit form (YYMMDDNNNC).
Tests run in the UI language (Swedish); the exact-message tests switch to English, the msgids, so they do not
depend on the wording of the translations, and one test checks that the Swedish translations are used.
"""

import datetime
import re

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from contacts.identifiers import (
    FULLY_MASKED,
    PersonalIdentity,
    PersonalIdentityError,
    luhn_valid,
    mask_personal_identity,
    parse_personal_identity,
)

TODAY = datetime.date(2025, 6, 15)

FORMAT_MESSAGE = "Personal identity number must have 10 or 12 digits, written as YYYYMMDD-NNNC or YYMMDD-NNNC."
CHECK_DIGIT_MESSAGE = "Personal identity number {masked} has a wrong check digit."
NO_SUCH_DATE_MESSAGE = (
    "Personal identity number {masked} does not contain a real date of birth "
    "(YYYYMMDD; a samordningsnummer has the day of month + 60)."
)
FUTURE_MESSAGE = "Personal identity number {masked} has a date of birth in the future ({birth_date})."


def _error_message(value: str, today: datetime.date = TODAY, language: str = "en") -> str:
    with translation.override(language), pytest.raises(PersonalIdentityError) as caught:
        parse_personal_identity(value, today=today)
    return str(caught.value)


def _is_under_100(birth: datetime.date, today: datetime.date) -> bool:
    """Whether the 100th birthday is still to come at ``today`` (the '-' separator; '+' otherwise)."""
    return (birth.year + 100, birth.month, birth.day) > (today.year, today.month, today.day)


def _build(birth: datetime.date, serial: int, coordination: bool) -> str:
    """The 12-digit normalised number, with the correct Luhn check digit."""
    day = birth.day + 60 if coordination else birth.day
    without_check = f"{birth.year:04d}{birth.month:02d}{day:02d}{serial:03d}"
    return without_check + luhn.calc_check_digit(without_check[2:])


# --- valid personnummer ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "850312-2387",
        "8503122387",
        "198503122387",
        "19850312-2387",
        " 850312-2387 ",
        "\t198503122387\n",
    ],
)
def test_valid_personnummer_in_every_accepted_form_is_normalised(value):
    identity = parse_personal_identity(value, today=TODAY)

    assert identity == PersonalIdentity(
        number="198503122387", birth_date=datetime.date(1985, 3, 12), sex="F", coordination=False
    )
    assert identity.masked == "19850312-****"


@pytest.mark.parametrize(
    ("value", "number", "birth_date", "sex"),
    [
        ("850312-2395", "198503122395", datetime.date(1985, 3, 12), "M"),
        ("811218-9876", "198112189876", datetime.date(1981, 12, 18), "M"),
        ("701015-0014", "197010150014", datetime.date(1970, 10, 15), "M"),
        ("010101-0015", "200101010015", datetime.date(2001, 1, 1), "M"),
        ("200101-1242", "202001011242", datetime.date(2020, 1, 1), "F"),
        ("20200101-1242", "202001011242", datetime.date(2020, 1, 1), "F"),
    ],
)
def test_sex_is_taken_from_the_ninth_digit(value, number, birth_date, sex):
    identity = parse_personal_identity(value, today=TODAY)

    assert (identity.number, identity.birth_date, identity.sex, identity.coordination) == (
        number,
        birth_date,
        sex,
        False,
    )


def test_a_personal_identity_is_immutable():
    identity = parse_personal_identity("850312-2387", today=TODAY)

    with pytest.raises(AttributeError):
        identity.number = "198503122395"


# --- century inference -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number", "birth_date"),
    [
        # '-' or no separator: under 100 at TODAY.
        ("200101-1234", "202001011234", datetime.date(2020, 1, 1)),
        ("2001011234", "202001011234", datetime.date(2020, 1, 1)),
        # '+': 100 or older, so born 1920, not 2020.
        ("200101+1234", "192001011234", datetime.date(1920, 1, 1)),
        # Born today: the current century.
        ("250615-3457", "202506153457", datetime.date(2025, 6, 15)),
        # Tomorrow in this century would be in the future, so it is the previous century.
        ("250616-3456", "192506163456", datetime.date(1925, 6, 16)),
        ("2506163456", "192506163456", datetime.date(1925, 6, 16)),
        # '+' is written from the year the person turns 100 (DOMAIN.md): born 1925, whose 100th birthday is tomorrow,
        # writes '+' all of 2025. (The old rule stepped back a century twice: born 1825.)
        ("250616+3456", "192506163456", datetime.date(1925, 6, 16)),
        # Exactly 100 today: '+' gives 1925, '-' would give a newborn.
        ("250615+3457", "192506153457", datetime.date(1925, 6, 15)),
        # 12 digits carry their century, with any separator.
        ("19200101-1234", "192001011234", datetime.date(1920, 1, 1)),
        ("19200101+1234", "192001011234", datetime.date(1920, 1, 1)),
        ("192001011234", "192001011234", datetime.date(1920, 1, 1)),
    ],
)
def test_the_century_of_a_10_digit_number_is_inferred_from_the_separator(value, number, birth_date):
    identity = parse_personal_identity(value, today=TODAY)

    assert (identity.number, identity.birth_date, identity.sex) == (number, birth_date, "M")


def test_the_century_follows_the_today_passed_in():
    assert parse_personal_identity("250616-3456", today=datetime.date(2025, 6, 16)).number == "202506163456"
    assert parse_personal_identity("250616-3456", today=datetime.date(2025, 6, 15)).number == "192506163456"
    assert parse_personal_identity("850312-2387", today=datetime.date(1999, 1, 1)).number == "198503122387"
    assert parse_personal_identity("850312-2387", today=datetime.date(2085, 3, 12)).number == "208503122387"
    assert parse_personal_identity("850312-2387", today=datetime.date(2085, 3, 11)).number == "198503122387"


# --- samordningsnummer -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number", "sex"),
    [
        ("850372-2384", "198503722384", "F"),
        ("8503722384", "198503722384", "F"),
        ("19850372-2384", "198503722384", "F"),
        ("198503722392", "198503722392", "M"),
    ],
)
def test_a_samordningsnummer_keeps_its_day_plus_60_but_has_the_real_birth_date(value, number, sex):
    identity = parse_personal_identity(value, today=TODAY)

    assert identity == PersonalIdentity(
        number=number, birth_date=datetime.date(1985, 3, 12), sex=sex, coordination=True
    )
    assert identity.masked == "19850372-****"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("850392-2380", "19850392-****"),  # day 92: 32 is no day
        ("850360-2388", "19850360-****"),  # day 60: neither a day nor a samordningsnummer day
        ("850300-2381", "19850300-****"),  # day 00
    ],
)
def test_a_day_outside_1_31_and_61_91_is_no_such_date(value, masked):
    assert luhn.is_valid(re.sub(r"\D", "", value))  # the check digit is right; the date is what is wrong

    assert _error_message(value) == NO_SUCH_DATE_MESSAGE.format(masked=masked)


# --- 29 February -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number", "birth_date", "coordination"),
    [
        ("000229-1235", "200002291235", datetime.date(2000, 2, 29), False),  # 2000 is a leap year (÷ 400)
        ("20000229-1235", "200002291235", datetime.date(2000, 2, 29), False),
        ("040229-4565", "200402294565", datetime.date(2004, 2, 29), False),
        ("040289-4562", "200402894562", datetime.date(2004, 2, 29), True),
    ],
)
def test_29_february_in_a_leap_year_is_accepted(value, number, birth_date, coordination):
    identity = parse_personal_identity(value, today=TODAY)

    assert (identity.number, identity.birth_date, identity.coordination) == (number, birth_date, coordination)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("19000229-1235", "19000229-****"),  # 1900 is not a leap year (÷ 100)
        ("000229+1235", "19000229-****"),
        ("230229-1238", "20230229-****"),
        ("990229-1237", "19990229-****"),
        ("850229-2389", "19850229-****"),
    ],
)
def test_29_february_in_a_non_leap_year_is_no_such_date(value, masked):
    assert _error_message(value) == NO_SUCH_DATE_MESSAGE.format(masked=masked)


@pytest.mark.parametrize(("value", "masked"), [("851312-2385", "19851312-****"), ("850012-2380", "19850012-****")])
def test_a_month_outside_1_12_is_no_such_date(value, masked):
    assert luhn.is_valid(re.sub(r"\D", "", value))

    assert _error_message(value) == NO_SUCH_DATE_MESSAGE.format(masked=masked)


def test_year_0000_is_no_such_date():
    assert _error_message("00000101-0016") == NO_SUCH_DATE_MESSAGE.format(masked="00000101-****")


# --- future birth dates ------------------------------------------------------------------------------------------


def test_a_12_digit_number_born_after_today_is_refused():
    assert _error_message("20250616-3456") == FUTURE_MESSAGE.format(masked="20250616-****", birth_date="2025-06-16")


def test_a_12_digit_samordningsnummer_born_after_today_shows_the_real_date():
    # 2025-06-16 as a samordningsnummer: day 76.
    assert _error_message("20250676-3453") == FUTURE_MESSAGE.format(masked="20250676-****", birth_date="2025-06-16")


def test_a_12_digit_number_born_today_is_accepted():
    assert parse_personal_identity("20250615-3457", today=TODAY).birth_date == TODAY


# --- wrong check digit -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("850312-2388", "19850312-****"),
        ("8503122380", "19850312-****"),
        ("19850312-2381", "19850312-****"),
        ("198503722385", "19850372-****"),
        ("850312-3287", "19850312-****"),  # two digits swapped
    ],
)
def test_a_wrong_check_digit_is_refused(value, masked):
    assert _error_message(value) == CHECK_DIGIT_MESSAGE.format(masked=masked)


# --- wrong format ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "85O312-2387",  # letter O
        "850312-238X",
        "ABCDEF-GHIJ",
        "850312-238",  # 9 digits
        "85031223871",  # 11 digits
        "1985031223871",  # 13 digits
        "19850312-23871",
        "850312--2387",
        "850312 2387",
        "850312/2387",
        "850312_2387",
        "8503-122387",  # separator in the wrong place
        "8503122-387",
        "850312-2387-",
        "-850312-2387",
        "+8503122387",
        "1985-03-12-2387",
        "850312-2387\nx",
        "٨٥٠٣١٢-٢٣٨٧",  # Arabic-Indic digits are not ASCII digits
        "８５０３１２－２３８７",  # full-width digits
    ],
)
def test_anything_but_10_or_12_digits_with_an_optional_separator_is_a_format_error(value):
    assert _error_message(value) == FORMAT_MESSAGE


def test_none_is_a_format_error():
    assert _error_message(None) == FORMAT_MESSAGE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("85O312-2387", "Personnumret ska ha 10 eller 12 siffror, skrivet som ÅÅÅÅMMDD-NNNK eller ÅÅMMDD-NNNK."),
        ("850312-2388", "Personnumret 19850312-**** har fel kontrollsiffra."),
        (
            "850392-2380",
            "Personnumret 19850392-**** innehåller inget verkligt födelsedatum (ÅÅÅÅMMDD; ett samordningsnummer "
            "har dagen + 60).",
        ),
        ("20250616-3456", "Personnumret 20250616-**** har ett födelsedatum i framtiden (2025-06-16)."),
    ],
)
def test_messages_are_in_swedish_in_the_ui_language(value, message):
    with pytest.raises(PersonalIdentityError) as caught:
        parse_personal_identity(value, today=TODAY)

    assert str(caught.value) == message


# --- masking -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("198503122387", "19850312-****"),
        ("198503722384", "19850372-****"),  # a samordningsnummer shows its day + 60
        ("", FULLY_MASKED),
        ("1985", FULLY_MASKED),
        ("8503122387", FULLY_MASKED),
        ("19850312-2387", FULLY_MASKED),
        ("1985031223871", FULLY_MASKED),
        ("19850312238X", FULLY_MASKED),
        ("١٩٨٥٠٣١٢٢٣٨٧", FULLY_MASKED),
        (None, FULLY_MASKED),
        (198503122387, FULLY_MASKED),
    ],
)
def test_masking_shows_at_most_the_first_8_digits(number, masked):
    assert mask_personal_identity(number) == masked


def test_fully_masked_looks_like_a_masked_number():
    assert FULLY_MASKED == "********-****"


@given(st.one_of(st.none(), st.text(max_size=20), st.from_regex(r"\A[0-9]{8,14}\Z")))
def test_masking_never_shows_more_than_the_first_8_characters(number):
    masked = mask_personal_identity(number)

    if isinstance(number, str) and re.fullmatch(r"[0-9]{12}", number):
        assert masked == number[:8] + "-****"
    else:
        assert masked == FULLY_MASKED


# --- properties --------------------------------------------------------------------------------------------------

_births = st.dates(min_value=datetime.date(1826, 1, 1), max_value=TODAY)
_serials = st.integers(min_value=0, max_value=999)


def _written_forms(number: str, birth: datetime.date, today: datetime.date) -> list[str]:
    """Every way of writing ``number`` that must parse back to it at ``today``."""
    short_separator = "-" if _is_under_100(birth, today) else "+"
    forms = [
        number,
        f"{number[:8]}-{number[8:]}",
        f"{number[:8]}+{number[8:]}",
        f"{number[2:8]}{short_separator}{number[8:]}",
    ]
    if short_separator == "-":
        forms.append(number[2:])
    return forms


@given(birth=_births, serial=_serials, coordination=st.booleans())
def test_round_trip_a_valid_number_parses_back_to_its_date_and_sex(birth, serial, coordination):
    number = _build(birth, serial, coordination)

    for written in _written_forms(number, birth, TODAY):
        identity = parse_personal_identity(written, today=TODAY)

        assert identity == PersonalIdentity(
            number=number, birth_date=birth, sex="M" if serial % 2 else "F", coordination=coordination
        ), written
        assert identity.masked == number[:8] + "-****"


@given(
    today=st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2150, 12, 31)),
    days_before=st.integers(min_value=0, max_value=199 * 365),
    serial=_serials,
    coordination=st.booleans(),
)
def test_round_trip_the_century_is_right_for_any_today_within_200_years(today, days_before, serial, coordination):
    birth = today - datetime.timedelta(days=days_before)
    number = _build(birth, serial, coordination)

    for written in _written_forms(number, birth, today):
        identity = parse_personal_identity(written, today=today)

        assert (identity.number, identity.birth_date) == (number, birth), written


@given(birth=_births, serial=_serials, coordination=st.booleans(), wrong=st.integers(min_value=1, max_value=9))
def test_a_corrupted_check_digit_is_refused_without_showing_the_last_four_digits(birth, serial, coordination, wrong):
    valid = _build(birth, serial, coordination)
    number = valid[:11] + str((int(valid[11]) + wrong) % 10)

    for written in _written_forms(number, birth, TODAY):
        message = _error_message(written)

        assert message == CHECK_DIGIT_MESSAGE.format(masked=number[:8] + "-****"), written
        # In English and in Swedish, the only digits in the message are the first 8: the last four never appear.
        for text in (message, _error_message(written, language="sv")):
            assert re.findall(r"\d+", text) == [number[:8]]
            assert number not in text
            assert number[2:] not in text


@given(
    birth=st.dates(min_value=TODAY + datetime.timedelta(days=1), max_value=datetime.date(2999, 12, 31)),
    serial=_serials,
    coordination=st.booleans(),
)
def test_a_future_birth_date_is_refused_without_showing_the_last_four_digits(birth, serial, coordination):
    number = _build(birth, serial, coordination)

    message = _error_message(number)

    assert message == FUTURE_MESSAGE.format(masked=number[:8] + "-****", birth_date=birth.isoformat())
    assert number[8:] not in message.replace(number[:8], "").replace(birth.isoformat(), "")


@given(st.text(max_size=16) | st.from_regex(r"\A\s?[0-9]{6,8}[-+]?[0-9]{4}\s?\Z"))
def test_any_text_either_parses_or_raises_a_personal_identity_error(value):
    try:
        identity = parse_personal_identity(value, today=TODAY)
    except PersonalIdentityError as error:
        assert str(error)
    else:
        assert re.fullmatch(r"[0-9]{12}", identity.number)
        assert identity.birth_date <= TODAY
        assert identity.sex in {"F", "M"}
        assert luhn.is_valid(identity.number[2:])


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_the_written_out_luhn_check_agrees_with_stdnum(digits):
    assert luhn_valid(digits) is luhn.is_valid(digits)
