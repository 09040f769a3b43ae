"""Populations per region and year, loaded from Statistics Sweden's (SCB) tables.

SCB's table BE0101N1 ("Folkmängd efter region … år") exported from the Statistical Database as CSV comes
in one of two shapes, both read here: wide (a ``region`` column and one column per year) or long (columns
for region, year and population). A region cell starts with the län code (``25 Norrbottens län``).
Numbers may carry spaces as thousands separators. Each rejected line is reported; the others are stored.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from kernel.text import is_ascii_digits
from regions.models import Region, RegionPopulation

# ASCII digits only (re.ASCII, is_ascii_digits): "٢٠٢٤" is no year, whatever int() makes of it (kernel/text.py).
YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)", re.ASCII)
REGION = re.compile(r"^\s*(\d{2})(?!\d)", re.ASCII)
REGION_HEADERS = {"region", "län", "lan", "county", "kod", "code"}
YEAR_HEADERS = {"år", "ar", "year"}
POPULATION_HEADERS = {"folkmängd", "folkmangd", "population", "befolkning", "antal"}


@dataclass
class PopulationLoad:
    stored: int = 0
    errors: list[str] = field(default_factory=list)


def _number(text: str) -> int | None:
    digits = re.sub(r"[\s\u00a0]", "", text or "")
    return int(digits) if is_ascii_digits(digits) else None


def _region_code(text: str) -> str | None:
    match = REGION.match(text or "")
    return match.group(1) if match else None


def populations_load(text: str, *, source: str = "SCB") -> PopulationLoad:
    """Store the populations in ``text`` (an SCB CSV export), replacing any for the same region and year."""
    result = PopulationLoad()
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        result.errors.append(_("The file is empty."))
        return result
    header = [cell.strip().strip('"') for cell in rows[0]]
    lowered = [cell.lower() for cell in header]
    year_columns = {index: int(m.group(1)) for index, cell in enumerate(header) if (m := YEAR.search(cell))}
    values: list[tuple[int, str, int, int]] = []  # (line, region, year, population)
    if year_columns and not any(cell in YEAR_HEADERS for cell in lowered):
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            region = _region_code(row[0]) if row else None
            for index, year in year_columns.items():
                values.append((line, region, year, _number(row[index]) if index < len(row) else None))
    else:
        try:
            region_at = next(i for i, cell in enumerate(lowered) if cell in REGION_HEADERS)
            year_at = next(i for i, cell in enumerate(lowered) if cell in YEAR_HEADERS)
            population_at = next(i for i, cell in enumerate(lowered) if any(h in cell for h in POPULATION_HEADERS))
        except StopIteration:
            result.errors.append(
                _(
                    "Line 1: expected a region column and one column per year, "
                    "or columns for region, year and population."
                )
            )
            return result
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            cells = row + [""] * (len(header) - len(row))
            year_match = YEAR.search(cells[year_at])
            values.append(
                (
                    line,
                    _region_code(cells[region_at]),
                    int(year_match.group(1)) if year_match else None,
                    _number(cells[population_at]),
                )
            )
    known = set(Region.objects.values_list("code", flat=True))
    with transaction.atomic():
        for line, region, year, population in values:
            if region not in known:
                # SCB's files also carry the whole country ("00 Riket") and municipalities: not regions here.
                if region is None or region == "00":
                    continue
                result.errors.append(_("Line %(line)s: unknown region %(region)s.") % {"line": line, "region": region})
                continue
            if year is None or not 1900 <= year <= 2200:
                result.errors.append(_("Line %(line)s: no year.") % {"line": line})
                continue
            if not population:
                result.errors.append(
                    _("Line %(line)s: no population for %(region)s %(year)s.")
                    % {"line": line, "region": region, "year": year}
                )
                continue
            RegionPopulation.objects.update_or_create(
                region_id=region, year=year, defaults={"population": population, "source": source[:200]}
            )
            result.stored += 1
    return result
