"""E-invoices: the approved invoices and credit notes in the formats the regions' finance systems read (Peppol
BIS Billing 3.0 UBL, billing.einvoice.ubl) and Inera's patient-level fakturaunderlag (billing.einvoice.claim)."""
