"""The evidence rules as pure functions: a file's kind by its bytes, and its name cleaned (no database)."""

import pytest

from disputes.attachments import JPEG, KINDS, PDF, PNG, TEXT, NotAllowedContent, clean_name, sniff

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", PDF, id="pdf"),
        pytest.param(PNG_BYTES, PNG, id="png"),
        pytest.param(JPEG_BYTES, JPEG, id="jpeg"),
        pytest.param("Patienten ringde 2026-01-12 kl. 10.00.\r\n\tÅtgärd: video.\n".encode(), TEXT, id="text"),
        pytest.param("\ufeffMed byte-order mark".encode(), TEXT, id="text-with-bom"),
        pytest.param("Ålder < 5 år, a<b, 3 <= 4".encode(), TEXT, id="text-with-less-than-signs"),
    ],
)
def test_a_file_of_an_allowed_kind_is_recognised_by_its_bytes(data, kind):
    assert sniff(data) is kind


@pytest.mark.parametrize(
    ("data", "markup"),
    [
        pytest.param(b"<!DOCTYPE html><html><body>Journal</body></html>", True, id="html-page"),
        pytest.param(b"  \n<html><script>alert(1)</script>", True, id="html-after-whitespace"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', True, id="svg"),
        pytest.param(b'<?xml version="1.0"?><x/>', True, id="xml"),
        pytest.param(b"Se bifogat.\n<script>fetch('/api/')</script>\n", True, id="script-inside-text"),
        pytest.param("Se bifogat <a href='javascript:x'>här</a>".encode(), True, id="link-inside-text"),
        pytest.param(b"Se bifogat <!-- dold -->", True, id="comment-inside-text"),
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", False, id="windows-program"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00", False, id="linux-program"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", False, id="zip-or-office"),
        pytest.param(b"\x89PNG\r\n\x1a\n<html>", False, id="png-signature-without-ihdr"),
        pytest.param(b"text\x00with a NUL", False, id="nul"),
        pytest.param(b"text with \x1b[31m terminal escapes", False, id="escape"),
        pytest.param("Latin-1: åäö".encode("latin-1"), False, id="not-utf-8"),
        pytest.param("UTF-16".encode("utf-16"), False, id="utf-16"),
    ],
)
def test_anything_else_is_refused_whatever_it_claims(data, markup):
    with pytest.raises(NotAllowedContent) as refused:
        sniff(data)

    assert refused.value.looks_like_markup is markup


def test_only_the_allowed_kinds_are_recognised():
    assert sniff(b"%PDF-1.4", (PDF,)) is PDF
    with pytest.raises(NotAllowedContent):
        sniff(PNG_BYTES, (PDF, TEXT))  # not text either: the PNG signature is no UTF-8
    with pytest.raises(NotAllowedContent):
        sniff(b"plain words", (PDF, PNG, JPEG))
    assert {kind.code for kind in KINDS} == {"pdf", "png", "jpeg", "text"}


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        pytest.param("journal.pdf", "journal.pdf", id="plain"),
        pytest.param("faktura\u202efdp.exe", "fakturafdp.exe", id="right-to-left-override"),
        pytest.param("skärm\u200bbild\u2066.png", "skärmbild.png", id="zero-width-and-isolate"),
        pytest.param("e\u0301n fil.txt", "\u00e9n fil.txt", id="nfc"),
        pytest.param("../../etc/passwd", "passwd", id="path"),
        pytest.param("C:\\Users\\kalle\\intyg.pdf", "intyg.pdf", id="windows-path"),
        pytest.param('a:b?c*d"e<f>g|h.pdf', "a_b_c_d_e_f_g_h.pdf", id="reserved-characters"),
        pytest.param("  ..dold fil.pdf.. ", "dold fil.pdf", id="dots-and-spaces"),
        pytest.param("rad\nbrytning\r\t.txt", "radbrytning.txt", id="controls"),
        pytest.param("två\u00a0\u2003mellanslag.txt", "två mellanslag.txt", id="odd-spaces"),
        pytest.param("CON.txt", "_CON.txt", id="windows-device"),
        pytest.param("", "bilaga", id="empty"),
        pytest.param("\u202e", "bilaga", id="nothing-visible"),
        pytest.param("x" * 300 + ".pdf", "x" * 96 + ".pdf", id="long"),
    ],
)
def test_names_are_cleaned_for_every_reader(name, cleaned):
    assert clean_name(name) == cleaned
