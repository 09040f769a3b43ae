"""The one history presenter of the admin (kernel.admin_history and templates/admin/includes/history.html): the exact
HTML every history page shows, escaped, with its two ways of saying that nothing was recorded."""

import datetime as dt
from types import SimpleNamespace

from django.utils import translation

from kernel.admin_history import change_history_table, changes_cell, history_table
from kernel.business_time import STOCKHOLM


def test_rows_of_texts_and_changed_fields_in_one_table_escaped():
    with translation.override("sv"):
        html = history_table(
            [("<b>Ändrad</b>", changes_cell([("namn", "A & B", "C")]), "–"), ("Skapad", changes_cell([]), "x")],
            headers=("Händelse", "Ändringar", "Anteckning"),
        )

    assert html == (
        '<table class="change-history" id="history"><thead><tr><th>Händelse</th><th>Ändringar</th><th>Anteckning</th>'
        "</tr></thead><tbody><tr><td>&lt;b&gt;Ändrad&lt;/b&gt;</td><td><div>namn: A &amp; B → C</div></td>"
        "<td>–</td></tr>"
        "<tr><td>Skapad</td><td>–</td><td>x</td></tr></tbody></table>"
    )


def test_no_row_is_a_paragraph_in_the_tables_place():
    with translation.override("sv"):
        html = history_table([], headers=("Tid",))

    assert html == '<p class="change-history" id="history">Inga ändringar registrerade.</p>'


def test_a_history_that_always_has_a_row_says_after_it_that_nothing_happened_since():
    with translation.override("sv"):
        quiet = history_table(
            [("Skapad",)], headers=("Händelse",), css_class="contact-history", events=False, no_events_class="quiet"
        )
        busy = history_table(
            [("Skapad",), ("Ändrad",)], headers=("Händelse",), css_class="contact-history", events=True
        )

    table = '<table class="contact-history" id="history"><thead><tr><th>Händelse</th></tr></thead><tbody>'
    assert quiet == table + '<tr><td>Skapad</td></tr></tbody></table><p class="quiet">Inga ändringar registrerade.</p>'
    assert busy == table + "<tr><td>Skapad</td></tr><tr><td>Ändrad</td></tr></tbody></table>"


def test_change_events_read_with_their_labels_in_the_labels_order_and_values_as_words():
    event = SimpleNamespace(
        at=dt.datetime(2026, 2, 10, 10, 5, tzinfo=STOCKHOLM),
        action="changed",
        actor=None,
        via="admin",
        changes={"zeta": [None, True], "name": ["Gamla", "Nya"], "codes": [[], ["a", "b"]]},
        note="",
    )
    with translation.override("sv"):
        html = change_history_table([event], labels={"name": "namn", "zeta": "aktiv"})

    assert (
        "<tbody><tr><td>2026-02-10 10:05</td><td>Ändrad</td><td>System</td><td>Admin</td>"
        "<td><div>namn: Gamla → Nya</div><div>aktiv: – → ja</div><div>codes: – → a, b</div></td><td>–</td></tr>"
        "</tbody>"
    ) in html
