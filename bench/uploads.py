"""The CSV upload's figure: the time to store a 50 000-row file through the admin's upload path (parse, then the
queued task storing it in parts of 2 000 rows, in-process as on the embedded default), and the same file again
(every row unchanged).

Run on its own, in a scratch database that is dropped and created (migrated, reference data, one provider of
region 04 and a clerk of 04):

    .venv/bin/python -m bench.uploads         # the embedded default: a SQLite file in a temporary folder
    BENCH_UPLOAD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/utomlans_bench_uploads \
        .venv/bin/python -m bench.uploads

BENCH_UPLOAD_ROWS (default 50 000); BENCH_UPLOAD_PART_ROWS (default the product's 2 000) to compare part sizes.
The file is what Swedish Excel writes: Windows-1252, semicolons, decimal commas, local times without an offset;
about one row in ten is rejected by the rules and one in a thousand refused.
"""

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.common import bench_env, recreate_database

ROWS = int(os.environ.get("BENCH_UPLOAD_ROWS", "50000"))
FIELDS = (
    "external_id;provider;patient_id;home_region;profession;started_at;mode;strong_authentication;triage;documented;"
    "content;patient_fee;listing_unit;care_unit"
)


def csv_file(hsa: str, rows: int) -> bytes:
    from contacts.synthetic import contact_items

    start = dt.datetime(2026, 9, 1, 8, 0)
    items = contact_items(rows, seed=7, start=start, days=60, prefix="csv", provider=hsa)
    lines = [FIELDS]
    for n, item in enumerate(items):
        local = dt.datetime.fromisoformat(item["started_at"]).strftime("%Y-%m-%d %H:%M")
        mode = "fax" if n % 1000 == 999 else item["mode"]  # refused on its row
        yes = {True: "SANT", False: "FALSKT"}
        lines.append(
            ";".join(
                [
                    item["external_id"],
                    hsa,
                    item["patient_id"],
                    item["home_region"],
                    item["profession"],
                    local,
                    mode,
                    yes[item["strong_authentication"]],
                    yes[item["triage"]],
                    yes[item["documented"]],
                    item["content"],
                    str(item["patient_fee"]).replace(".", ","),
                    item.get("listing_unit", ""),
                    "",
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def main() -> None:
    url = os.environ.get("BENCH_UPLOAD_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="bench-uploads-")
    if url:
        recreate_database(url)
    else:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    os.environ.update(bench_env(url))
    os.environ.pop("CELERY_BROKER_URL", None)  # jobs in-process, as on the embedded default
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from contacts.csv_upload import parse_contacts_csv
    from contacts.uploads import services
    from contacts.uploads.services import contact_upload_start
    from regions.models import Role
    from regions.services import provider_create, user_create

    services.PART_ROWS = int(os.environ.get("BENCH_UPLOAD_PART_ROWS", services.PART_ROWS))
    call_command("migrate", verbosity=0)
    call_command("seed_reference_data", verbosity=0)
    provider = provider_create(
        hsa_id="SE5560000001-BENCH", name="Bänkvård AB", org_number="5560000001", region_code="04"
    )
    clerk = user_create(username="bench-clerk", role=Role.CLERK, region_code="04")
    content = csv_file(provider.hsa_id, ROWS)
    print(
        f"database: {url.split('@')[-1]}; file: {ROWS} rows, {len(content) / 1e6:.1f} MB (Windows-1252); "
        f"parts of {services.PART_ROWS} rows"
    )
    for label in ("new", "again (unchanged)"):
        began = time.perf_counter()
        parsed = parse_contacts_csv(content)
        parsed_at = time.perf_counter()
        upload = contact_upload_start(user=clerk, file_name="bench.csv", content=content, parsed=parsed)
        upload.refresh_from_db()
        ended = time.perf_counter()
        print(
            f"{label:>18}: {ended - began:6.1f} s (parse {parsed_at - began:4.1f} s, store {ended - parsed_at:5.1f} s; "
            f"{ROWS / (ended - began):6.0f} rows/s) status {upload.status}, created {upload.created}, "
            f"updated {upload.updated}, unchanged {upload.unchanged}, rejected rows {upload.rejected}"
        )
        if upload.status != "done":
            sys.exit(f"the upload ended {upload.status}: {upload.error}")


if __name__ == "__main__":
    main()
