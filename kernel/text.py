"""Text from outside: the characters no input may carry, and the digits numbers are written with.

Two rules, used by every way in (contacts' validation for the API, bulk API and CSV upload; the admin's forms;
the API's serializers and query parameters) and, as defence in depth for rows stored before them, by every way out
(the PDFs, the CSV exports, the e-mails).

**Invisible characters.** A character of the Unicode categories Cc (control), Cf (format: bidirectional
controls U+202A-202E and U+2066-2069, zero-width characters, the byte-order mark, tag characters, the soft
hyphen), Zl (U+2028 line separator) or Zp (U+2029 paragraph separator) is never part of an identifier, a code, a
name or an address. Such characters are invisible, and in a document they act: U+2028 starts a line of its own in
the fixed-width PDF specification, U+202E shows the rest of a line backwards ("00,534"). Per field:

- identifiers, codes, names, addresses (one line): **refused**, naming the character (``U+202E``);
- multi-line free text a person writes (notes, comments, reasons): ``normalise_note`` **normalises** it:
  line breaks (CR LF, CR, U+2028, U+2029) become ``\\n``, tabs stay, every other such character is removed
  (text pasted from a word processor or a mail often carries zero-width spaces and direction marks nobody
  meant). NUL is left for the framework, which refuses it ("Null-tecken är inte tillåtna.");
- output: ``neutralise`` replaces each one by U+FFFD (�), visible, so a stored forged value can neither start a
  line nor turn text around; multi-line output keeps ``\\n`` and tab (the allow-list).

**ASCII digits.** ``int()``, ``Decimal()`` and Django's date parsing read any Unicode decimal digit: "٣٠٠"
(Arabic-Indic), "３００" (fullwidth) and "2026-0٨" would be 300 and August to the code, yet match no period,
filter or sum a reader expects. Numbers, dates, periods, codes and ids are written with 0-9 only
(``first_foreign_digit``; ``kernel.business_time.parse_period`` follows the same rule).
"""

import re

from django.utils.translation import gettext_lazy as _

# The code points of the categories Cc, Cf, Zl and Zp (Unicode 15.0, Python 3.12's unicodedata), as inclusive
# ranges: written out so that the same set is used by Python and by PostgreSQL (``POSTGRESQL_CLASS``), whatever
# Unicode version either knows. tests/kernel/test_text.py checks the list against the running Python's unicodedata.
FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),  # C0 controls (NUL, tab, line feed, carriage return, escape, ...)
    (0x007F, 0x009F),  # DEL and the C1 controls (U+0085 next line)
    (0x00AD, 0x00AD),  # soft hyphen
    (0x0600, 0x0605),  # Arabic number signs
    (0x061C, 0x061C),  # Arabic letter mark
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
    (0x2028, 0x202E),  # line separator (Zl), paragraph separator (Zp), bidirectional embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x206F),  # bidirectional isolates (U+2066-2069) and deprecated format characters
    (0xFEFF, 0xFEFF),  # byte-order mark / zero-width no-break space
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0001, 0xE0001),  # language tag
    (0xE0020, 0xE007F),  # tag characters
)
# The allow-list: in multi-line free text (notes, comments) line feed and tab are text; nowhere else.
MULTILINE_ALLOWED = frozenset("\n\t")
REPLACEMENT = "\ufffd"


def _char_class(ranges, escape) -> str:
    return "[" + "".join(escape(a) if a == b else f"{escape(a)}-{escape(b)}" for a, b in ranges) + "]"


def _python_escape(code: int) -> str:
    return f"\\U{code:08x}"


def _postgresql_escape(code: int) -> str:
    # PostgreSQL's advanced regular expressions: \uwxyz and \Ustuvwxyz (exactly 4 or 8 hexadecimal digits).
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_FORBIDDEN = re.compile(_char_class(FORBIDDEN_RANGES, _python_escape))
# The same set for PostgreSQL's regexp_replace (the CSV specification written by COPY), passed as a parameter.
# PostgreSQL stores no NUL in text (and takes no \u0000 in a pattern), so its class starts at U+0001.
POSTGRESQL_CLASS = _char_class(((1, FORBIDDEN_RANGES[0][1]), *FORBIDDEN_RANGES[1:]), _postgresql_escape)
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")

REFUSED_MESSAGE = _(
    "May not contain control characters or invisible formatting characters (such as line breaks, tabs, "
    "text direction marks or zero-width spaces); found %(character)s."
)
DIGITS_MESSAGE = _("Write numbers with the digits 0-9 only; found %(character)s.")


def code_point(char: str) -> str:
    """``U+202E``: how a message names an invisible character."""
    return f"U+{ord(char):04X}"


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` of the categories Cc, Cf, Zl or Zp, or None."""
    # Every such character is one Python does not print (tests/kernel/test_text.py checks each), and nearly every
    # value a client sends is printable: one pass in C answers for it (bulk intake checks several per contact).
    if text.isprintable():
        return None
    match = _FORBIDDEN.search(text)
    return None if match is None else match.group()


def first_foreign_digit(text: str) -> str | None:
    """The first digit of ``text`` that is not one of the ASCII digits 0-9 (Arabic-Indic, fullwidth, superscript,
    ...), or None. Only non-ASCII text is looked at: ASCII has no other digits."""
    if text.isascii():
        return None
    for char in text:
        if char.isdigit() and not char.isascii():
            return char
    return None


def text_problem(text: str) -> str | None:
    """The message refusing one-line ``text`` (an identifier, code, name, address) for a forbidden character, or
    None when it has none."""
    char = forbidden_character(text)
    return None if char is None else str(REFUSED_MESSAGE) % {"character": code_point(char)}


def digits_problem(text: str) -> str | None:
    """The message refusing a number, date, period, code or id written with other digits than 0-9, or None."""
    char = first_foreign_digit(text)
    return None if char is None else str(DIGITS_MESSAGE) % {"character": code_point(char)}


def input_problem(text: str) -> str | None:
    """Both rules for a value that is a number, date, period, code or id: no forbidden character, digits 0-9."""
    # Printable ASCII, as nearly every value a client sends, breaks neither (both look only beyond it): two passes in
    # C answer for it.
    if text.isascii() and text.isprintable():
        return None
    return text_problem(text) or digits_problem(text)


def is_ascii_digits(text) -> bool:
    """True for a non-empty string of the digits 0-9 only (``str.isdecimal`` also says yes to "٣")."""
    return isinstance(text, str) and text.isascii() and text.isdecimal()


def normalise_note(text: str) -> str:
    """Multi-line free text as stored: line breaks as ``\\n``, tabs kept, every other control or invisible
    formatting character removed (NUL excepted: the framework refuses it)."""
    text = _LINE_BREAKS.sub("\n", text)
    return _FORBIDDEN.sub(lambda m: m.group() if m.group() in "\n\t\x00" else "", text)


def neutralise(value, *, multiline: bool = False) -> str:
    """``value`` as text safe to put in a document: each control or invisible formatting character (``\\n`` and
    tab kept in ``multiline`` text) replaced by U+FFFD, so it can neither start a line nor reverse text."""
    text = str(value)
    if text.isascii() and text.isprintable():  # the common case, checked in C: no control character at all
        return text
    if multiline:
        return _FORBIDDEN.sub(lambda m: m.group() if m.group() in MULTILINE_ALLOWED else REPLACEMENT, text)
    return _FORBIDDEN.sub(REPLACEMENT, text)
