"""Reading ahead and writing behind (services/overlap.py) change nothing but the waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing

import pytest

from slaengine.services.overlap import Background, Ordered, prefetched


def _numbers(count: int, fail_at: int | None = None) -> Iterator[int]:
    for number in range(count):
        if number == fail_at:
            raise ValueError(f"cannot read item {number}")
        yield number


def _readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "feed-reader"]


def test_items_come_in_their_order() -> None:
    assert list(prefetched(_numbers(50))) == list(range(50))


def test_a_reading_error_comes_where_the_item_would_have() -> None:
    seen: list[int] = []
    with pytest.raises(ValueError, match="cannot read item 3"):
        for item in prefetched(_numbers(10, fail_at=3)):
            seen.append(item)
    assert seen == [0, 1, 2]
    assert _readers() == []


def test_leaving_early_stops_the_reader() -> None:
    produced: list[int] = []

    def endless() -> Iterator[int]:
        number = 0
        while True:
            produced.append(number)
            yield number
            number += 1

    with closing(prefetched(endless())) as items:
        assert next(items) == 0
    assert _readers() == []
    assert len(produced) <= 3  # the item taken, at most one waiting, one being made


def test_writes_run_one_after_the_other_in_order() -> None:
    written: list[int] = []

    def write(item: int) -> None:
        time.sleep(0.001 * (item % 3))  # uneven durations must not reorder them
        written.append(item)

    writes = Background(write)
    for item in range(20):
        writes.submit(item)
    writes.wait()
    assert written == list(range(20))
    writes.close()


def test_a_write_error_is_raised_to_the_caller_and_later_writes_do_not_hide_it() -> None:
    def write(item: int) -> None:
        if item == 2:
            raise OSError("disk full")

    writes = Background(write)
    with pytest.raises(OSError, match="disk full"):
        for item in range(5):
            writes.submit(item)
        writes.wait()
    writes.close(failing=True)  # the caller is failing already: no second error


def test_closing_waits_for_the_running_write() -> None:
    finished = threading.Event()

    def write(_item: int) -> None:
        time.sleep(0.05)
        finished.set()

    writes = Background(write)
    writes.submit(1)
    writes.close()
    assert finished.is_set()


def _checked(item: int) -> int:
    time.sleep(0.002 * ((item * 7) % 3))  # the later item often ends first
    if item == 13:
        raise ValueError("cannot check item 13")
    return item * 10


def test_checks_run_two_at_once_and_come_in_their_order() -> None:
    running: list[int] = []
    most = 0
    guard = threading.Lock()

    def check(item: int) -> int:
        nonlocal most
        with guard:
            running.append(item)
            most = max(most, len(running))
        time.sleep(0.002 * ((item * 7) % 3))
        with guard:
            running.remove(item)
        return item * 10

    got: list[int] = []
    with Ordered(check, workers=2) as checking:
        for item in range(40):
            ready = checking.submit(item)
            assert len(ready) <= 3
            got.extend(ready)
        got.extend(checking.drain())
    assert got == [item * 10 for item in range(40)]
    assert most == 2  # two at once, never more


def test_a_check_error_comes_after_the_results_before_it() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="cannot check item 13"), Ordered(_checked) as checking:
        for item in range(30):
            got.extend(checking.submit(item))
        got.extend(checking.drain())
    assert got == [item * 10 for item in range(13)]
    assert not [t for t in threading.enumerate() if t.name.startswith("feed-check")]
