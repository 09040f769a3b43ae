"""Swedish for the API topic (issue 16): four eyes, the schema's anonymous budget, unreadable bodies."""

SV = {
    "An API client may not approve %(invoice)s: four eyes are two people. A manager of the seller who did not "
    "submit it approves it, signed in (in the admin, or through the API with that sign-in).": (
        "En API-klient får inte godkänna %(invoice)s: fyra ögon är två personer. En chef hos säljaren som inte "
        "skickade in den godkänner den, inloggad (i administrationen, eller via API:t med den inloggningen)."
    ),
}
