"""The specification (fakturaunderlag) as PDF, drawn straight onto its pages with reportlab's canvas.

Laying out a few thousand lines of fixed-width text with WeasyPrint took 90 % of a month close (a 7 500-line
specification: 17-20 s); drawing them is one ``drawString`` per printed row. The invoice itself stays with
WeasyPrint (``billing.documents.render_invoice_pdf``).

The document, landscape A4, in the product's language whoever renders it:

- on the first page the title (specification id and invoice number), the parties with their organisation numbers,
  the period and what the amounts are;
- on every page the column headings (``PDF_COLUMNS``) over a rule, the lines in fixed-width columns (DejaVu Sans
  Mono, bundled in ``billing/fonts`` with its licence) and at the bottom "Fakturaunderlag … – sida N av M";
- after the last line the number of lines and the sums of their rate, fee paid and net (the net is the invoice's
  total, to the öre).

A value longer than its column wraps onto continuation rows in that column, never cut (a legal attachment must not
lose data); a line's rows stay on one page. Every cell is neutralised (``kernel.text.neutralise``): a stored line
separator or direction override shows as U+FFFD, so no value can start a row of its own or turn text around.

Rows stream from the database in chunks (``specification_rows``); the page count each footer names is drawn last,
into one small form per page that the page already refers to, so nothing but the document itself is held.
"""

from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext_lazy
from reportlab import rl_config
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from billing.models import Invoice
from billing.specification_rows import specification_rows
from kernel.metrics import DOCUMENTS_RENDERED
from kernel.money import format_sek
from kernel.text import neutralise
from regions.identifiers import format_org_number
from regions.models import RateCategory

FONT_DIRECTORY = Path(__file__).resolve().parent / "fonts"
TEXT_FONT = "DejaVuSans"  # title, parties, totals and footer
MONO_FONT = "DejaVuSansMono"  # the columns

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 10 * mm
TITLE_SIZE = 12
TEXT_SIZE = 7
LEADING = TEXT_SIZE * 1.3
FOOTER_Y = MARGIN / 2
BODY_BOTTOM = MARGIN + LEADING  # no row below this: the footer stands under it
BODY_TOP = PAGE_HEIGHT - MARGIN - TEXT_SIZE
ROWS_PER_PAGE = int((BODY_TOP - BODY_BOTTOM) / LEADING) + 1 - 2  # under the headings and their rule


# Codes the CSV keeps as they are, written for a reader in the PDF (short enough for their columns).
_PDF_CATEGORIES = {
    RateCategory.PHYSICIAN: pgettext_lazy("rate category, at most 14 characters", "Physician"),
    RateCategory.PSYCHOLOGIST: pgettext_lazy("rate category, at most 14 characters", "Psychol. etc."),
    RateCategory.OTHER_LICENSED: pgettext_lazy("rate category, at most 14 characters", "Other licensed"),
}
_PDF_SEXES = {
    "F": pgettext_lazy("sex, one letter", "F"),
    "M": pgettext_lazy("sex, one letter", "M"),
}


# How a data cell is shown, from the row's value (``cell``) and that value neutralised (``text``).
def _as_text(cell, text: str) -> str:
    return text


def _local_minutes(cell, text: str) -> str:
    """An ISO time (local, as the CSV writes it) as its date and minutes."""
    return f"{text[:10]} {text[11:16]}" if len(text) > 16 and text[10] == "T" else text


def _kronor(cell, text: str) -> str:
    """ "435.00" from the rows the CSV shares, read as 435,00 (kronor)."""
    return format_sek(Decimal(text), unit=False)


def _category(cell, text: str) -> str:
    return str(_PDF_CATEGORIES.get(cell, text))


def _sex(cell, text: str) -> str:
    return str(_PDF_SEXES.get(cell, text))


def _yes(cell, text: str) -> str:
    return gettext("yes") if cell == "yes" else text


class PdfColumn(NamedTuple):
    """A fixed-width column of the PDF specification: the row's field it shows (``SPECIFICATION_COLUMNS``), its
    heading, its width in characters (longer text wraps onto continuation rows), whether it is right-aligned
    (numbers), and how a data cell is shown (headings are shown as they are)."""

    name: str
    heading: Promise
    width: int
    right: bool = False
    show: Callable[[object, str], str] = _as_text


PDF_COLUMNS = (
    PdfColumn("line_id", gettext_lazy("Line"), 8, right=True),
    PdfColumn("contact_id", gettext_lazy("Contact"), 9, right=True),
    PdfColumn("external_id", gettext_lazy("External id"), 22),
    PdfColumn("started_at", gettext_lazy("Time"), 16, show=_local_minutes),
    PdfColumn("profession", gettext_lazy("Prof."), 4),
    PdfColumn("category", gettext_lazy("Category"), 14, show=_category),
    PdfColumn("recommendation", gettext_lazy("Version"), 11),
    PdfColumn("rate", pgettext_lazy("specification column, 8 characters", "Rate"), 8, right=True, show=_kronor),
    PdfColumn("patient_fee", gettext_lazy("Fee"), 8, right=True, show=_kronor),
    PdfColumn("amount", gettext_lazy("Net"), 8, right=True, show=_kronor),
    PdfColumn("care_unit", gettext_lazy("Care unit"), 31),
    PdfColumn("patient_id", gettext_lazy("Personal id"), 13),
    PdfColumn("home_region", gettext_lazy("Län"), 3),
    PdfColumn("sex", gettext_lazy("Sex"), 3, show=_sex),
    # an accepted dispute overrode the contact's rejection
    PdfColumn("rejection_overridden", gettext_lazy("Overr."), 4, show=_yes),
)
_AMOUNT_INDEXES = tuple(
    index for index, column in enumerate(PDF_COLUMNS) if column.name in ("rate", "patient_fee", "amount")
)
_BREAKS = (" ", "\xa0")  # a piece of a wrapped value ends before a space (thousands are grouped by U+00A0)


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in pieces of at most ``width`` characters: cut before the last space that leaves a piece at least
    half the width (the space the cut falls on is the row break), else at the width. Joining the pieces with the
    spaces the cuts fell on gives ``text`` back: nothing is lost."""
    pieces = []
    while len(text) > width:
        cut = max(text.rfind(space, 0, width + 1) for space in _BREAKS)
        if cut >= width // 2 and cut > 0:
            pieces.append(text[:cut])
            text = text[cut + 1 :]
        else:
            pieces.append(text[:width])
            text = text[width:]
    pieces.append(text)
    return pieces


def _pdf_rows(cells, *, heading: bool = False) -> list[str]:
    """A line as its printed rows: the first with every cell, then continuation rows with the rest of each value
    longer than its column, in that column. Trailing spaces are left off."""
    texts = [
        _printable(neutralise(cell) if heading else column.show(cell, neutralise(cell)), MONO_FONT)
        for cell, column in zip(cells, PDF_COLUMNS, strict=True)
    ]
    if all(len(text) <= column.width for text, column in zip(texts, PDF_COLUMNS, strict=True)):  # most lines
        return [_row(texts)]
    columns = [_wrap(text, column.width) for text, column in zip(texts, PDF_COLUMNS, strict=True)]
    height = max(len(pieces) for pieces in columns)
    return [_row([pieces[row] if row < len(pieces) else "" for pieces in columns]) for row in range(height)]


def _row(pieces: list[str]) -> str:
    """One printed row: each piece padded to its column's width, one space between columns."""
    return " ".join(
        piece.rjust(column.width) if column.right else piece.ljust(column.width)
        for piece, column in zip(pieces, PDF_COLUMNS, strict=True)
    ).rstrip()


def _pdf_line(cells, *, heading: bool = False) -> str:
    """A line whose every value fits its column (headings) as its one printed row."""
    (row,) = _pdf_rows(cells, heading=heading)
    return row


def _split(text: str, size: float) -> list[str]:
    """Text in the text font as the rows it takes across the page: cut at spaces (never at the no-break spaces
    inside an amount), a word wider than the page cut where it reaches the margin."""

    def fits(piece: str) -> bool:
        return pdfmetrics.stringWidth(piece, TEXT_FONT, size) <= PAGE_WIDTH - 2 * MARGIN

    rows: list[str] = []
    row = None
    for word in text.split(" "):
        candidate = word if row is None else f"{row} {word}"
        if fits(candidate):
            row = candidate
            continue
        if row is not None:
            rows.append(row)
        while not fits(word):
            low, high = 1, len(word)  # the longest prefix that fits, at least one character
            while low < high:
                middle = (low + high + 1) // 2
                low, high = (middle, high) if fits(word[:middle]) else (low, middle - 1)
            rows.append(word[:low])
            word = word[low:]
        row = word
    rows.append(row or "")
    return rows


@cache
def _glyphs(font: str) -> dict:
    _fonts()
    return pdfmetrics.getFont(font).face.charToGlyph


def _printable(text: str, font: str) -> str:
    """``text`` with each character ``font`` has no glyph for (an emoji, a CJK ideograph) written as its code point,
    ``[U+1F600]``: drawn, it would be an empty box and read back as nothing."""
    if text.isascii():
        return text
    glyphs = _glyphs(font)
    return "".join(char if ord(char) in glyphs else f"[U+{ord(char):04X}]" for char in text)


@cache
def _fonts() -> None:
    """Registers the bundled DejaVu fonts with reportlab once per process; a missing file is a clear error. Streams
    are only compressed, not also written as ASCII85 (7-bit text: a quarter larger and slow in pure Python)."""
    rl_config.useA85 = 0
    for name in (TEXT_FONT, MONO_FONT):
        path = FONT_DIRECTORY / f"{name}.ttf"
        if not path.is_file():
            raise FileNotFoundError(f"The specification PDF's font {name} is missing: expected at {path}.")
        pdfmetrics.registerFont(TTFont(name, str(path)))


def render_specification_pdf(invoice: Invoice, *, full_identity: bool) -> bytes:
    """Every line of the invoice in fixed-width columns, its identity numbers full or masked (``full_identity``),
    on numbered pages; in the product's language whoever renders it."""
    _fonts()
    with translation.override(settings.LANGUAGE_CODE):
        content = _Document(invoice).render(specification_rows(invoice, full_identity=full_identity))
    DOCUMENTS_RENDERED.labels(document="specification").inc()
    return content


class _Document:
    """One specification PDF being drawn. A page's text is one text object (rows moved down by the leading, no
    position nor width computed per row); its footer a form drawn once the number of pages is known."""

    def __init__(self, invoice: Invoice):
        self.invoice = invoice
        self.output = BytesIO()
        self.canvas = Canvas(self.output, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
        self.pages = 0
        self.y = 0.0
        self.text = self.canvas.beginText()
        self.font: tuple = ()
        self.footer_id = invoice.specification_id or invoice.pk
        headings = _pdf_line([str(column.heading) for column in PDF_COLUMNS], heading=True)
        self.headings = (headings, "─" * len(headings))

    def render(self, rows: Iterator[tuple]) -> bytes:
        canvas = self.canvas
        draft = gettext("(draft)")
        title = gettext("Specification %(specification)s – invoice %(number)s") % {
            "specification": self.invoice.specification_id or draft,
            "number": self.invoice.number or draft,
        }
        canvas.setTitle(neutralise(title))
        canvas.setAuthor(neutralise(self.invoice.seller.name))
        self._new_page(first=True, title=title)
        count, sums = 0, [Decimal(0)] * len(_AMOUNT_INDEXES)
        write = self.text.textLine
        for row in rows:
            count += 1
            for position, index in enumerate(_AMOUNT_INDEXES):
                sums[position] += Decimal(row[index])
            printed = _pdf_rows(row)
            # A line's rows stay together on a page, unless they are more than a page holds.
            if self.y - LEADING * (len(printed) - 1) < BODY_BOTTOM and len(printed) <= ROWS_PER_PAGE:
                self._new_page()
                write = self.text.textLine
            for text in printed:
                if self.y < BODY_BOTTOM:  # only a line taller than a page
                    self._new_page()
                    write = self.text.textLine
                write(text)
                self.y -= LEADING
        self._totals(count, *sums)
        self._end_page()
        footer = gettext("Specification %(id)s – page %(page)s of %(pages)s")
        for page in range(1, self.pages + 1):
            canvas.beginForm(f"footer{page}")
            canvas.setFont(TEXT_FONT, TEXT_SIZE)
            text = footer % {"id": self.footer_id, "page": page, "pages": self.pages}
            canvas.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, _printable(neutralise(text), TEXT_FONT))
            canvas.endForm()
        canvas.save()
        return self.output.getvalue()

    def _new_page(self, *, first: bool = False, title: str = "") -> None:
        if not first:
            self._end_page()
        self.pages += 1
        self.text = self.canvas.beginText(MARGIN, BODY_TOP)
        self.font = ()
        self.y = BODY_TOP
        if first:
            self.y = PAGE_HEIGHT - MARGIN - TITLE_SIZE
            self.text.setTextOrigin(MARGIN, self.y)
            for text in _split(_printable(neutralise(title), TEXT_FONT), TITLE_SIZE):
                self._write(text, TEXT_FONT, TITLE_SIZE, TITLE_SIZE * 1.3)
            self._move(2 * mm - TITLE_SIZE * 0.3)
            amounts = gettext("Amounts in kronor: rate, patient fee paid and net (rate − fee deducted).")
            self._paragraph(f"{self._parties()} {amounts}")
            self._move(LEADING)
        for text in self.headings:
            self._write(text, MONO_FONT, TEXT_SIZE, LEADING)

    def _write(self, text: str, font: str, size: float, leading: float) -> None:
        """A row of text at the current height, in ``font``; the next row ``leading`` lower."""
        if self.font != (font, size, leading):
            self.text.setFont(font, size, leading)
            self.font = (font, size, leading)
        self.text.textLine(text)
        self.y -= leading

    def _move(self, down: float) -> None:
        self.y -= down
        self.text.setTextOrigin(MARGIN, self.y)

    def _end_page(self) -> None:
        self.canvas.drawText(self.text)
        self.canvas.doForm(f"footer{self.pages}")
        self.canvas.showPage()

    def _parties(self) -> str:
        seller, buyer = self.invoice.seller, self.invoice.buyer
        return gettext(
            "%(seller)s (org. no. %(seller_org)s) to %(buyer)s (org. no. %(buyer_org)s), period %(period)s."
        ) % {
            "seller": seller.name,
            "seller_org": format_org_number(seller.org_number) or "–",
            "buyer": buyer.name,
            "buyer_org": format_org_number(buyer.org_number) or "–",
            "period": self.invoice.period,
        }

    def _paragraph(self, text: str) -> None:
        """Text in the text font, wrapped to the page's width, from the current height down; then the columns'
        font again."""
        for piece in _split(_printable(neutralise(text), TEXT_FONT), TEXT_SIZE):
            if self.y < BODY_BOTTOM:
                self._new_page()
            self._write(piece, TEXT_FONT, TEXT_SIZE, LEADING)
        self.text.setFont(MONO_FONT, TEXT_SIZE, LEADING)
        self.font = (MONO_FONT, TEXT_SIZE, LEADING)

    def _totals(self, count: int, rate: Decimal, fee: Decimal, net: Decimal) -> None:
        self._move(LEADING / 2)
        self._paragraph(
            ngettext(
                "Total of %(count)s line: rate %(rate)s, patient fee paid %(fee)s, net %(net)s.",
                "Total of %(count)s lines: rate %(rate)s, patient fee paid %(fee)s, net %(net)s.",
                count,
            )
            % {"count": count, "rate": format_sek(rate), "fee": format_sek(fee), "net": format_sek(net)}
        )
