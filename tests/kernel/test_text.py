"""The rule for hostile text (kernel/text.py): which characters are refused, and how documents show them."""

import sys
import unicodedata

import pytest

from kernel.text import (
    FORBIDDEN_RANGES,
    digits_problem,
    forbidden_character,
    is_ascii_digits,
    neutralise,
    normalise_note,
    text_problem,
)


def test_the_written_out_ranges_are_exactly_the_categories_cc_cf_zl_zp_of_this_python():
    expected = [cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) in {"Cc", "Cf", "Zl", "Zp"}]

    listed = [cp for start, end in FORBIDDEN_RANGES for cp in range(start, end + 1)]

    assert listed == expected
    assert [forbidden_character(f"a{chr(cp)}b") for cp in listed] == [chr(cp) for cp in listed]


@pytest.mark.parametrize("text", ["Region Jönköpings län", "Box 1024, 551 11", "a\u00a0b", "1\u202f234", "−5 – ok…"])
def test_letters_spaces_and_punctuation_of_swedish_text_pass(text):
    assert (forbidden_character(text), text_problem(text), neutralise(text)) == (None, None, text)


def test_the_message_names_the_invisible_character():
    assert text_problem("c-1\u202e00,534") == (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        "textriktningstecken eller nollbreddsmellanslag); hittade U+202E."
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [("2026-0٨", "U+0668"), ("３００", "U+FF13"), ("1²", "U+00B2"), ("٣٠٠", "U+0663"), ("২", "U+09E8")],
)
def test_digits_other_than_0_to_9_are_named(text, found):
    assert digits_problem(text) == f"Skriv tal med siffrorna 0-9; hittade {found}."
    assert not is_ascii_digits(text)


def test_ascii_digits_only():
    assert [is_ascii_digits(v) for v in ["0123456789", "", "12a", "٣", "１", None, 3]] == [
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]


def test_neutralise_shows_each_invisible_character_as_a_replacement_character():
    forged = "999999\u2028FORGED LINE\u202e00,435\u200b\ufeff\U000e0041\n\t"

    assert neutralise(forged) == "999999\ufffdFORGED LINE\ufffd00,435\ufffd\ufffd\ufffd\ufffd\ufffd"
    assert neutralise(forged, multiline=True) == "999999\ufffdFORGED LINE\ufffd00,435\ufffd\ufffd\ufffd\n\t"


def test_a_note_keeps_its_lines_and_loses_its_invisible_characters():
    assert normalise_note("Rad 1\r\nRad 2\rRad 3\u2028Rad 4\u2029\tslut\u200b\u202e\u00ad") == (
        "Rad 1\nRad 2\nRad 3\nRad 4\n\tslut"
    )
    assert normalise_note("a\x00b") == "a\x00b"  # NUL: left for the framework to refuse
