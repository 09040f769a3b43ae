"""List latency with a big contacts table: the API list and the admin changelist, p50/p95 over HTTP.

The table is filled set-based in PostgreSQL (INSERT … SELECT over generate_series) with contacts spread like
production: providers of Sörmland (04) and Jönköping (06) as sellers, every region as home region, the last
six months, most eligible. Valid identifiers are not needed for reading, so the rows are not run through
intake (that path is measured by the intake benchmark).
"""

import datetime as dt
import http.client
import http.cookiejar
import re
import statistics
import time
import urllib.parse
import urllib.request

import psycopg

FILL_SQL = """
WITH providers AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(region_id ORDER BY id) AS regions FROM regions_provider
    WHERE %(seller)s::text IS NULL OR region_id = %(seller)s::text
), regions AS (
    SELECT array_agg(code ORDER BY code) AS codes FROM regions_region
), rows AS (
    SELECT n,
           1 + (hashint4(n) & 2147483647) %% cardinality(p.ids) AS p_index,
           1 + (hashint4(n + 7) & 2147483647) %% cardinality(r.codes) AS r_index,
           p.ids, p.regions, r.codes
    FROM generate_series(1, %(count)s::int) AS n, providers p, regions r
), facts AS (
    SELECT n,
           ids[p_index] AS provider_id,
           regions[p_index] AS billing_region_id,
           coalesce(%(home)s::text, codes[r_index]) AS home_region_id,
           %(end)s::timestamptz - (1 + (hashint4(n + 13) & 2147483647) %% %(seconds)s) * interval '1 second'
               AS started_at,
           (ARRAY['LK','LK','LK','LK','LK','LK','PS','SJ','FT','HK'])[1 + (hashint4(n + 17) & 2147483647) %% 10]
               AS profession_id,
           (hashint4(n + 19) & 2147483647) %% 100 AS roll
    FROM rows
)
INSERT INTO contacts_contact (
    provider_id, external_id, patient_id, patient_birth_date, patient_sex, home_region_id, profession_id,
    started_at, mode, strong_authentication, triage, documented, content, patient_fee, listing_unit, care_unit,
    billing_region_id, status, reasons, manual_reasons, overridden, recommendation_id, rate, amount,
    created_at, created_via, created_by_id, updated_at, updated_via, updated_by_id, evaluated_at, locked
)
SELECT provider_id, %(prefix)s || n, lpad(((hashint4(n + 23) & 2147483647) %% 1000000000000)::text, 12, '0'),
       date '1980-01-01' + (n %% 15000), CASE WHEN n %% 2 = 0 THEN 'F' ELSE 'M' END, home_region_id,
       profession_id, started_at, CASE WHEN roll < 3 THEN 'phone' WHEN roll < 50 THEN 'video' ELSE 'chat' END,
       true, roll <> 3, true, 'assessment', 100.00, '', '', billing_region_id,
       CASE WHEN roll < 4 OR home_region_id = billing_region_id THEN 'rejected' ELSE 'eligible' END,
       CASE WHEN home_region_id = billing_region_id THEN 'not_out_of_county'
            WHEN roll < 3 THEN 'not_digital' WHEN roll = 3 THEN 'no_triage' ELSE '' END,
       '', false, (SELECT id FROM regions_raterecommendation WHERE code = 'SKR-2026-04'), 435.00,
       CASE WHEN roll < 4 OR home_region_id = billing_region_id THEN 0 ELSE 335.00 END,
       now(), 'bulk', NULL, now(), 'bulk', NULL, now(), false
FROM facts
"""


def fill(
    database_url: str,
    count: int,
    *,
    seller: str | None = None,
    end: dt.datetime | None = None,
    seconds: int = 182 * 86400,
    prefix: str = "load-",
    home: str | None = None,
) -> float:
    """Insert ``count`` contacts of ``seller``'s providers (all when None), started within ``seconds`` before
    ``end``."""
    began = time.perf_counter()
    end = end or dt.datetime.now(dt.UTC)
    params = {"count": count, "seller": seller, "end": end, "seconds": seconds, "prefix": prefix, "home": home}
    with psycopg.connect(database_url) as conn:
        conn.execute(FILL_SQL, params)
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE contacts_contact")
    return time.perf_counter() - began


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def time_api(port: int, key: str, path: str, repeats: int) -> tuple[float, float, int]:
    """p50 and p95 in ms of GET path, following one `next` cursor on every other request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {key}", "Host": "127.0.0.1"}
    samples = []
    rows = 0
    next_path = path
    for n in range(repeats):
        began = time.perf_counter()
        conn.request("GET", next_path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        samples.append((time.perf_counter() - began) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{next_path} answered {response.status}: {body[:300]!r}")
        match = re.search(rb'"next":"([^"]+)"', body)
        rows = body.count(b'"external_id"')
        next_path = path
        if match and n % 2 == 0:
            next_path = (
                urllib.parse.urlsplit(match.group(1).decode()).path
                + "?"
                + urllib.parse.urlsplit(match.group(1).decode()).query
            )
    p50, p95 = _percentiles(samples)
    return p50, p95, rows


def time_admin(port: int, username: str, password: str, path: str, repeats: int) -> tuple[float, float, int]:
    """p50 and p95 in ms of an admin page for a logged-in user (session cookie, CSRF as a browser does)."""
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(f"{base}/admin/login/", data=data, headers={"Referer": f"{base}/admin/login/"})
    opener.open(request).read()
    samples = []
    rows = 0
    for _ in range(repeats):
        began = time.perf_counter()
        page = opener.open(f"{base}{path}").read()
        samples.append((time.perf_counter() - began) * 1000)
        rows = page.count(b'name="_selected_action"')
    p50, p95 = _percentiles(samples)
    return p50, p95, rows
