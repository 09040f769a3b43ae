"""Evidence files of a case: what they are by their bytes, what they may be called, how they are served.

A client's declared type (``Content-Type``) and a file's name say nothing about its content: an HTML page sent as
``text/plain``, an SVG with a script sent as ``image/png`` or a program named ``.pdf`` would be stored as evidence
and later opened by the other party. So a file is judged by its own bytes against a short allow-list (PDF, PNG,
JPEG, plain UTF-8 text), written out here rather than left to a general "magic" library: each rule is a few bytes
and stricter than such a library's guess (it would call an HTML file ``text/html``, and a UTF-16 or Latin-1 file
text). The name is cleaned for every system that will show or save it, and must end as the content is. The pure
functions here know nothing of Django's uploads or the database; ``services.dispute_comment`` applies them.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str  # in a list of kinds: "PDF"
    description: str  # in a sentence: "a PDF file"
    content_type: str  # what the file is stored and served as
    extensions: tuple[str, ...]  # the name must end in one of these (lower case, with the dot)


PDF = FileKind("pdf", "PDF", _("a PDF file"), "application/pdf", (".pdf",))
PNG = FileKind("png", "PNG", _("a PNG image"), "image/png", (".png",))
JPEG = FileKind("jpeg", "JPEG", _("a JPEG image"), "image/jpeg", (".jpg", ".jpeg"))
TEXT = FileKind("text", _("plain text (UTF-8)"), _("plain text"), "text/plain; charset=utf-8", (".txt",))
KINDS = (PDF, PNG, JPEG, TEXT)


def allowed_kinds() -> tuple[FileKind, ...]:
    """The kinds ``DISPUTE_ATTACHMENT_TYPES`` allows (by media type, without parameters); a type it names that is
    not one of the four above cannot be recognised by its bytes, and is never accepted."""
    allowed = {value.split(";")[0].strip().lower() for value in settings.DISPUTE_ATTACHMENT_TYPES}
    return tuple(kind for kind in KINDS if kind.content_type.split(";")[0] in allowed)


# --- Content --------------------------------------------------------------------------------------------------------

# Text that a browser, a mail client or an XML reader would take for markup: a document starting with "<", or any
# tag, comment, processing instruction or DOCTYPE of HTML, SVG or XML anywhere in it. Plain prose with "<" before a
# digit or a space ("< 5 år", "a<b" aside) is not refused.
_MARKUP = re.compile(
    r"<\s*(?:!--|!doctype|\?xml|/?\s*(?:html|head|body|script|svg|iframe|frame|object|embed|style|link|meta|base|"
    r"img|image|form|input|a|div|span|p|br|table|title|math|xsl|foreignobject)\b)",
    re.IGNORECASE,
)
# Control characters other than tab, line feed, form feed and carriage return (C0, DEL and C1): no text file needs
# them, and they hide content from a reader (a terminal's escape sequences, NUL-separated binary).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class NotAllowedContent(ValueError):
    """The bytes are none of the allowed kinds; ``looks_like_markup`` when they are text that reads as HTML/SVG/XML."""

    def __init__(self, looks_like_markup: bool = False):
        super().__init__("markup" if looks_like_markup else "unknown")
        self.looks_like_markup = looks_like_markup


def sniff(data: bytes, allowed: tuple[FileKind, ...] = KINDS) -> FileKind:
    """The kind of a file by its bytes, among ``allowed``; raises ``NotAllowedContent`` for anything else.

    - PDF: ``%PDF-`` at the very start (the specification lets readers look further in; we do not).
    - PNG: the 8-byte signature followed by the IHDR chunk.
    - JPEG: FF D8 FF (start of image, then a marker).
    - Plain text: valid UTF-8 (a byte-order mark allowed), no NUL or other control character but tab, line feed,
      form feed and carriage return, and nothing that reads as HTML, SVG or XML.
    """
    if PDF in allowed and data.startswith(b"%PDF-"):
        return PDF
    if PNG in allowed and data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return PNG
    if JPEG in allowed and data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if TEXT in allowed:
        try:
            text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError:
            raise NotAllowedContent() from None
        if _CONTROL.search(text):
            raise NotAllowedContent()
        if text.lstrip().startswith("<") or _MARKUP.search(text):
            raise NotAllowedContent(looks_like_markup=True)
        return TEXT
    raise NotAllowedContent()


# --- Names ----------------------------------------------------------------------------------------------------------

NAME_MAX_CHARS = 100
FALLBACK_STEM = "bilaga"  # a stored name, in the product's language, for a name with nothing left
# Characters Windows refuses in a file name, and the path separators: replaced, so a saved download keeps its name.
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
# Names Windows reserves for devices, whatever the extension.
_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$", re.IGNORECASE)
# Unicode categories dropped from a name: controls, format characters (the bidirectional overrides such as U+202E
# that make "gpj.exe" read "exe.jpg", zero-width characters, the byte-order mark), surrogates, private use,
# unassigned, and line and paragraph separators.
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_name(name: str) -> str:
    """A file name safe to show, store and save: NFC, the last path segment, without invisible or reordering
    characters, without characters a file system refuses, single spaces, no leading or trailing dots or spaces,
    at most ``NAME_MAX_CHARS`` characters with its extension kept, never empty or a reserved device name."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if unicodedata.category(char) == "Zs" else char
        for char in name
        if unicodedata.category(char) not in _DROPPED
    )
    name = re.sub(r" +", " ", _UNSAFE.sub("_", name)).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = stem.rstrip(" .")
    extension = extension.strip()
    if extension:
        extension = "." + extension[: NAME_MAX_CHARS // 4]
    stem = stem[: NAME_MAX_CHARS - len(extension)].rstrip(" .") or FALLBACK_STEM
    if _RESERVED.match(stem):
        stem = "_" + stem
    return stem + extension


def extension_of(name: str) -> str:
    """The lower-case extension of a (cleaned) name, with its dot; "" without one."""
    stem, dot, extension = name.rpartition(".")
    return f".{extension.lower()}" if dot and stem else ""


# --- Serving --------------------------------------------------------------------------------------------------------

# A downloaded file is never a page: if a browser rendered it after all (an old one ignoring the disposition), it
# runs nothing, loads nothing and has no origin of ours.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def attachment_response(attachment) -> FileResponse:
    """The stored file as a download: its checked type, its cleaned name, never shown inline, never sniffed,
    never cached. A file stored before its bytes were checked keeps whatever type its sender declared: it is served
    as bytes (``application/octet-stream``), and its name cleaned now."""
    checked = {kind.content_type for kind in KINDS}
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=clean_name(attachment.name),
        content_type=attachment.content_type if attachment.content_type in checked else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
