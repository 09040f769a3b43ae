"""Swedish texts of the disputes work (issue 16: items 3, 9 and 10)."""

SV = {
    # Assignment (item 10).
    "%(region)s has no clerk or manager with that user name who may decide this case (the person who opened it may "
    "not).": "%(region)s har ingen handläggare eller chef med det användarnamnet som får besluta i ärendet (den som "
    "öppnade det får inte).",
}
