"""The month-close bench's own logic (bench/month_close.py): how it splits the contacts, reads the bulk answers and
waits for the documents. Pure, no database, no server."""

import orjson

from bench.month_close import bulk_refusals, csrf_token, shares, wait_until


def _answer(*rows, done=None):
    results = [
        {"id": pk, "number": None, "status": "draft", "result": "refused", "error": error}
        if error
        else {"id": pk, "number": f"04-2026-{pk:06d}", "status": "approved", "result": "done", "error": None}
        for pk, error in rows
    ]
    done = sum(1 for _pk, error in rows if not error) if done is None else done
    return orjson.dumps({"done": done, "refused": len(rows) - done, "results": results})


def test_contacts_are_split_evenly_over_the_buyers_the_larger_shares_first():
    assert shares(150_000, 20) == [7_500] * 20
    assert shares(200, 3) == [67, 67, 66]
    assert sum(shares(20_001, 7)) == 20_001


def test_a_bulk_answer_with_every_invoice_done_passes():
    assert bulk_refusals("approve", [3, 1, 2], 200, _answer((1, None), (2, None), (3, None))) == []


def test_each_refused_invoice_is_named_with_its_status_code_and_message():
    four_eyes = {"status": 403, "code": "four_eyes", "detail": "Du skickade in fakturan."}
    payload = _answer((1, None), (2, four_eyes))

    assert bulk_refusals("approve", [1, 2], 200, payload) == [
        "bulk approve: invoice 2 refused (403 four_eyes: Du skickade in fakturan.)"
    ]


def test_an_answer_for_other_invoices_than_asked_or_a_wrong_count_fails():
    assert bulk_refusals("submit", [1, 2], 200, _answer((1, None))) == [
        "bulk submit: answered for [1], asked for [1, 2]"
    ]
    assert bulk_refusals("submit", [1], 200, _answer((1, None), done=0)) == ["bulk submit: done 0 of 1"]


def test_a_request_refused_as_a_whole_fails_with_its_status_and_body():
    body = b'{"detail": "En API-klient f\\u00e5r inte godk\\u00e4nna"}'

    assert bulk_refusals("approve", [1], 403, body) == [f"bulk approve answered 403: {body!r}"]


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_waiting_returns_the_clock_when_done_first_says_yes():
    clock = FakeClock()
    answers = iter([False, False, True])

    assert wait_until(lambda: next(answers), 10, interval=0.2, clock=clock, sleep=clock.sleep) == 100.4
    assert clock.slept == [0.2, 0.2]


def test_waiting_gives_up_at_the_timeout_having_asked_once_more_at_the_end():
    clock = FakeClock()
    asked = []

    def never():
        asked.append(clock.now)
        return False

    assert wait_until(never, 0.5, interval=0.2, clock=clock, sleep=clock.sleep) is None
    assert asked == [100.0, 100.2, 100.4, 100.5]


def test_the_csrf_token_is_read_from_the_login_form():
    page = '<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123XYZ"></form>'

    assert csrf_token(page) == "abc123XYZ"
