import threading

import pytest

from clicknback.errors import NotFound
from tests.support.race import outcome, run_together


def test_results_come_back_in_order_with_exceptions_in_their_place():
    # given
    def work(index):
        if index == 1:
            raise NotFound("thing", index)
        return index * 10

    # when
    results = run_together(3, work)
    # then
    assert results[0] == 0 and results[2] == 20
    assert isinstance(results[1], NotFound)


def test_a_list_of_calls_runs_each_call_once():
    # when
    results = run_together([lambda: "a", lambda: "b"])
    # then
    assert results == ["a", "b"]


def test_a_call_that_never_ends_fails_the_test_after_the_timeout():
    # given
    release = threading.Event()
    try:
        # when / then
        with pytest.raises(AssertionError, match="still running"):
            run_together([release.wait, lambda: None], timeout=0.5)
    finally:
        release.set()


def test_outcome_names_what_a_call_did():
    # when / then
    assert [outcome(result) for result in (None, NotFound("thing", 1))] == ["ok", "NOT_FOUND"]
    with pytest.raises(ZeroDivisionError):
        outcome(ZeroDivisionError())
