"""E-invoices: the approved invoices and credit notes in the formats the regions' finance systems read."""
