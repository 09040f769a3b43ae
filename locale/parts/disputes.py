"""Swedish texts of the disputes work (issue 16: items 3, 9 and 10)."""

SV = {
    # Assignment (item 10).
    "%(region)s has no clerk or manager with that user name who may decide this case (the person who opened it may "
    "not).": "%(region)s har ingen handläggare eller chef med det användarnamnet som får besluta i ärendet (den som "
    "öppnade det får inte).",
    # Evidence files (item 3).
    "a PDF file": "en PDF-fil",
    "a PNG image": "en PNG-bild",
    "a JPEG image": "en JPEG-bild",
    "plain text (UTF-8)": "ren text (UTF-8)",
    "plain text": "ren text",
    " or ": " eller ",
    "%(name)s is empty.": "%(name)s är tom.",
    "%(name)s is text that reads as HTML, SVG or XML; web pages and markup are not accepted as evidence (send a PDF "
    "or a picture of it).": "%(name)s är text som läses som HTML, SVG eller XML; webbsidor och märkspråk tas inte "
    "emot som bevis (skicka en PDF eller en bild av den).",
    "%(name)s is by its content none of the accepted kinds (%(kinds)s); its name and declared type are not taken on "
    "trust.": "%(name)s är enligt innehållet ingen av de godtagna sorterna (%(kinds)s); namnet och den angivna typen "
    "räknas inte.",
    "%(name)s is %(kind)s by its content; its name must end in %(extensions)s.": "%(name)s är %(kind)s enligt "
    "innehållet; namnet måste sluta på %(extensions)s.",
    "A comment's attachments may total at most %(limit)s; these are %(size)s.": "En kommentars bilagor får vara "
    "högst %(limit)s tillsammans; de här är %(size)s.",
    "A case's attachments may total at most %(limit)s; it has %(held)s and this comment adds %(size)s.": "Ett "
    "ärendes bilagor får vara högst %(limit)s tillsammans; det har %(held)s och kommentaren lägger till %(size)s.",
    "The request is larger than %(limit)s; a comment's attachments may total at most %(total)s.": "Anropet är större "
    "än %(limit)s; en kommentars bilagor får vara högst %(total)s tillsammans.",
    "Only the parties of a case may read its evidence.": "Bara ärendets parter får läsa dess bevis.",
    "Attachment downloaded": "Bilaga nedladdad",
    "A comment may have at most %(limit)d attachment; this one has %(count)d.": (
        "En kommentar får ha högst %(limit)d bilaga; den här har %(count)d.",
        "En kommentar får ha högst %(limit)d bilagor; den här har %(count)d.",
    ),
    "A case may have at most %(limit)d attachment; it has %(held)d and this comment adds %(count)d.": (
        "Ett ärende får ha högst %(limit)d bilaga; det har %(held)d och kommentaren lägger till %(count)d.",
        "Ett ärende får ha högst %(limit)d bilagor; det har %(held)d och kommentaren lägger till %(count)d.",
    ),
}
