"""Swedish for the API topic (issue 16): four eyes, the schema's anonymous budget, unreadable bodies."""

SV = {
    "An API client may not approve %(invoice)s: four eyes are two people. A manager of the seller who did not "
    "submit it approves it, signed in (in the admin, or through the API with that sign-in).": (
        "En API-klient får inte godkänna %(invoice)s: fyra ögon är två personer. En chef hos säljaren som inte "
        "skickade in den godkänner den, inloggad (i administrationen, eller via API:t med den inloggningen)."
    ),
    "The body has more fields than the API reads (at most %(limit)d).": (
        "Anropet har fler fält än API:t läser (högst %(limit)d)."
    ),
    "The body has more files than the API reads (at most %(limit)d).": (
        "Anropet har fler filer än API:t läser (högst %(limit)d)."
    ),
    "The body is larger than the API reads.": "Anropet är större än API:t läser.",
    "The request could not be read.": "Anropet kunde inte läsas.",
    "Must be text (a JSON string).": "Måste vara text (en JSON-sträng).",
    "A whole number from 1 up (at most %(max)d are given).": "Ett heltal från 1 (högst %(max)d ges).",
    "Use true or false.": "Ange true eller false.",
}
