"""Reading, checking and writing a feed file on both cores at once.

The ingest reads a batch, checks it and writes its valid rows, batch after batch. Most of
each step runs in polars or pyarrow with Python's lock released, so the next batch can be read
while this one is checked, and the last one written meanwhile: `prefetched` reads ahead in a
thread of its own, `Ordered` checks two batches at once in two threads and gives their
results in the order of the batches, `Background` runs the writes in order in another
thread. Each holds at most a batch or two more than the pipeline would, and none changes what
is read or written, nor in which order: an error is raised in the caller where the
sequential code would raise it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_END = object()


def prefetched(items: Iterator[T], ahead: int = 1) -> Generator[T, None, None]:
    """The items of `items`, produced `ahead` in advance by a thread; the producer's errors
    come out where the item they prevented would have. Closing the iterator early stops the
    producer (after the item it is making)."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(handoff, item, stop):
                    return
            _put(handoff, _END, stop)
        except BaseException as error:  # handed to the consumer, raised there
            _put(handoff, _Failed(error), stop)

    worker = threading.Thread(target=produce, name="feed-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _put(handoff: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Hand `item` over, waiting for room unless the consumer has gone (False)."""
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


class Background(Generic[T]):
    """Calls of one function, run one after the other in a thread, in the order given.

    `wait` returns when every call has run and raises the first error one raised; `close`
    waits too (its errors ignored when the caller is already failing: `close(failing=True)`).
    """

    def __init__(self, action: Callable[[T], None]) -> None:
        self.action = action
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-writer")
        self._pending: list[Future[None]] = []

    def submit(self, item: T) -> None:
        """Queue a call; raises the error of an earlier call, if one failed."""
        self._pending = [future for future in self._pending if not self._done(future)]
        self._pending.append(self._pool.submit(self.action, item))
        if len(self._pending) > 1:  # at most one call waiting behind the running one
            self._done(self._pending.pop(0), block=True)

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self, *, failing: bool = False) -> None:
        try:
            self.wait()
        except BaseException:
            if not failing:
                raise
        finally:
            self._pool.shutdown(wait=True)

    @staticmethod
    def _done(future: Future[None], *, block: bool = False) -> bool:
        if not block and not future.done():
            return False
        future.result()  # raises the call's error here
        return True


class Ordered(Generic[T, R]):
    """Calls of one function (without side effects) run `workers` at a time in threads, their
    results given in the order the items were submitted.

    `submit` queues an item and returns the results now due in order (waiting for the oldest
    when `workers` + 1 calls are pending, so memory holds at most that many results);
    `drain` returns the rest. A call's error is raised by the `submit` or `drain` that would
    have returned its result, the earlier results having been returned first. `close` stops
    (pending calls run to their end, their results dropped)."""

    def __init__(self, action: Callable[[T], R], workers: int = 2) -> None:
        self.action, self.workers = action, workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feed-check")
        self._pending: list[Future[R]] = []

    def submit(self, item: T) -> list[R]:
        self._pending.append(self._pool.submit(self.action, item))
        return self._due(lambda: self._pending[0].done() or len(self._pending) > self.workers)

    def drain(self) -> list[R]:
        return self._due(lambda: True)

    def _due(self, due: Callable[[], bool]) -> list[R]:
        """The results due, oldest first; a failed call's error once those before it are
        given (it stays first, so the next call raises it)."""
        ready: list[R] = []
        while self._pending and due():
            oldest = self._pending[0]
            if ready and oldest.exception() is not None:  # (waits for it to end)
                return ready
            ready.append(oldest.result())
            self._pending.pop(0)
        return ready

    def close(self) -> None:
        for future in self._pending:
            future.cancel()
        self._pending = []
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Ordered[T, R]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
