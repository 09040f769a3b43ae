"""Swedish for the contact list at 1280 px, its date range and search, and the changelists' rules (issues 15, 16)."""

SV = {
    # config/admin_lists.py
    "That search is no longer available: please search again.": "Sökningen finns inte längre kvar: sök igen.",
    # templates/admin/search_form.html (Django's search box, posted)
    "Search %(name)s": "Sök efter %(name)s",
    "Search": "Sök",
    "%(counter)s result": ("%(counter)s resultat", "%(counter)s resultat"),
    "%(full_result_count)s total": "%(full_result_count)s totalt",
    "Show all": "Visa alla",
    # contacts/admin.py: the date range and the search
    "started (Stockholm dates)": "startdatum",
    "From": "Från och med",
    "To (included)": "Till och med",
    "Filter": "Filtrera",
    "regions (billing → home)": "regioner (fakt. → hem)",
    "Clear": "Rensa",
    "A full personal identity number (YYYYMMDD-NNNN), a care provider's HSA-id, an exact external id, or the "
    "beginning of external ids followed by * (lk-2*).": "Ett fullständigt personnummer (ÅÅÅÅMMDD-NNNN), en "
    "vårdgivares HSA-id, ett exakt externt id eller början av externa id följd av * (lk-2*).",
}
