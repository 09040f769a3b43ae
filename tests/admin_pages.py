"""The admin's lists and pages as a person reads them (issue 8): the rows of a changelist, the text of a read-only
field, the number of queries a page costs. The admin usability tests of each app read them
(``tests/<app>/test_admin*.py``)."""

import re
from html import unescape
from html.parser import HTMLParser

from django.db import connection
from django.test.utils import CaptureQueriesContext

NBSP = "\u00a0"


class _ResultList(HTMLParser):
    """The changelist's rows: the text of every cell but the checkbox."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_table = self._in_body = False
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "result_list":
            self._in_table = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag in ("td", "th") and "action-checkbox" not in (attrs.get("class") or ""):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "table":
            self._in_table = self._in_body = False


def listed(response) -> list[list[str]]:
    assert response.status_code == 200
    parser = _ResultList()
    parser.feed(response.content.decode())
    return parser.rows


def field(page: str, name: str) -> str:
    """The text of a read-only field on a change page."""
    match = re.search(rf'<div class="form-row[^"]*field-{name}">.*?<div class="readonly">(.*?)</div>', page, re.S)
    assert match, name
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
