"""Swedish for the drafts' previews rendered in the background (billing.previews)."""

SV = {
    "The PDF is being prepared": "PDF:en förbereds",
    "The preview shows the draft as it is now. This page updates itself until the PDF is ready.": (
        "Förhandsvisningen visar utkastet som det är nu. Sidan uppdateras av sig själv tills PDF:en är klar."
    ),
    "Back to the invoice": "Tillbaka till fakturan",
    "content version": "innehållsversion",
    "Specification PDF": "Fakturaunderlag (PDF)",
    "Rendering": "Skapas",
    "Ready": "Klar",
    "document": "dokument",
    "version": "version",
    "file": "fil",
    "requested": "begärd",
    "rendered": "skapad",
    "invoice preview": "förhandsvisning av faktura",
    "invoice previews": "förhandsvisningar av fakturor",
}
