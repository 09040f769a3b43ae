"""Swedish texts of the rules for hostile text: invisible characters and look-alike digits (kernel/text.py)."""

SV = {
    "May not contain control characters or invisible formatting characters (such as line breaks, tabs, text "
    "direction marks or zero-width spaces); found %(character)s.": (
        "Får inte innehålla styrtecken eller osynliga formateringstecken (som radbrytningar, tabbar, "
        "textriktningstecken eller nollbreddsmellanslag); hittade %(character)s."
    ),
    "Write numbers with the digits 0-9 only; found %(character)s.": (
        "Skriv tal med siffrorna 0-9; hittade %(character)s."
    ),
}
