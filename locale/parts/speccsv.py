"""Swedish for the specification CSV for people (billing/specification_sv.py) and its link in the admin."""

SV = {
    "specification CSV column\u0004Line": "Rad",
    "specification CSV column\u0004Contact": "Kontakt",
    "specification CSV column\u0004External id": "Externt id",
    "specification CSV column\u0004Date": "Datum",
    "specification CSV column\u0004Time": "Tid",
    "specification CSV column\u0004Profession": "Yrke",
    "specification CSV column\u0004Rate category": "Ersättningskategori",
    "specification CSV column\u0004Rate version": "Rekommendationsversion",
    "specification CSV column\u0004Rate (kr)": "Ersättning (kr)",
    "specification CSV column\u0004Patient fee paid (kr)": "Betald patientavgift (kr)",
    "specification CSV column\u0004Patient fee deducted (kr)": "Avdragen patientavgift (kr)",
    "specification CSV column\u0004Net (kr)": "Netto (kr)",
    "specification CSV column\u0004Care unit (HSA-id)": "Vårdenhet (HSA-id)",
    "specification CSV column\u0004Personal identity number": "Personnummer",
    "specification CSV column\u0004Home region (län)": "Hemregion (län)",
    "specification CSV column\u0004Sex": "Kön",
    "specification CSV column\u0004Rejection overridden": "Avvisning hävd",
    "specification CSV, the sum row\u0004Total": "Summa",
    "Specification for Excel (CSV)": "Fakturaunderlag för Excel (CSV)",
}
