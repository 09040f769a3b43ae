from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from regions.populations import populations_load


class Command(BaseCommand):
    help = (
        "Load populations per region and year from an SCB CSV export (table BE0101N1, 'Folkmängd efter region "
        "och år', län level), wide (a column per year) or long (region, year, population)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="SCB BE0101N1", help="Where the figures come from (stored).")
        parser.add_argument("--encoding", default="utf-8", help="SCB's exports are UTF-8 or Latin-1.")

    def handle(self, *args, file: Path, source: str, encoding: str, **options):
        try:
            text = file.read_text(encoding=encoding)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        result = populations_load(text, source=source)
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(f"{result.stored} populations stored, {len(result.errors)} lines rejected.")
        if result.errors and not result.stored:
            raise CommandError("Nothing was stored.")
