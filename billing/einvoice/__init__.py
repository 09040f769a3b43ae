"""E-invoices a region's systems read: Inera's fakturaunderlag (claim specification) and Peppol UBL."""
