"""The load test's own arithmetic and checks (bench/load.py): what it reports and fails on. Pure, no database."""

from bench.load import BulkAnswer, bulk_problems, cursor_problem, percentile, sent_keys


def _answer(kind, created=0, updated=0, unchanged=0, errors=(), client=0, round_=1, items=3):
    summary = {"created": created, "updated": updated, "unchanged": unchanged, "errors": list(errors)}
    return BulkAnswer(client, round_, kind, items, summary)


def test_percentiles_are_nearest_rank():
    samples = [float(n) for n in range(1, 101)]

    assert (percentile(samples, 50), percentile(samples, 95), percentile(samples, 100)) == (50.0, 95.0, 100.0)
    assert percentile([7.0], 95) == 7.0
    assert percentile([3.0, 1.0, 2.0], 95) == 3.0


def test_answers_as_their_bodies_must_give_pass():
    answers = [
        _answer("shared", created=3, client=0),
        _answer("shared", unchanged=3, client=1),
        _answer("new", created=3),
        _answer("resend", unchanged=3),
        _answer("update", updated=3),
    ]

    assert bulk_problems(answers) == []


def test_a_shared_body_created_twice_over_or_a_resend_that_changed_something_fails():
    answers = [
        _answer("shared", created=3, client=0),
        _answer("shared", created=3, client=1),
        _answer("resend", unchanged=2, updated=1),
        _answer("new", created=3, errors=[{"index": 0}]),
    ]

    assert bulk_problems(answers) == [
        "client 0, round 1, resend body: {'created': 0, 'updated': 1, 'unchanged': 2}, expected "
        "{'created': 0, 'updated': 0, 'unchanged': 3}",
        "client 0, round 1, new body: item errors [{'index': 0}]",
        "round 1: the shared body was created 6 times over, not 3",
    ]


def test_a_failed_request_is_left_to_the_list_of_failed_requests():
    assert bulk_problems([BulkAnswer(0, 1, "new", 3, None)]) == []


def test_a_cursor_walk_must_go_strictly_down():
    pages = [[("2026-11-20T10:00:00+01:00", 9), ("2026-11-20T10:00:00+01:00", 7)], [("2026-11-19T23:00:00+00:00", 8)]]

    assert cursor_problem(pages) is None
    assert cursor_problem([[("2026-11-20T10:00:00+01:00", 7)], [("2026-11-20T10:00:00+01:00", 7)]]) is not None
    assert cursor_problem([[("2026-11-19T10:00:00+01:00", 3)], [("2026-11-20T10:00:00+01:00", 4)]]) is not None


def test_the_keys_sent_are_each_completed_rounds_shared_and_own_bodies():
    assert sent_keys({0: 2, 1: 1}, batch=2) == {
        "S0-0", "S0-1", "S1-0", "S1-1", "L0-0-0", "L0-0-1", "L0-1-0", "L0-1-1", "L1-0-0", "L1-0-1",
    }  # fmt: skip
