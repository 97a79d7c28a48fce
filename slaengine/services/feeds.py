"""Use cases on provider KPI feeds: ingest a file, inspect its quarantined rows.

Every row of a file ends stored, quarantined with its reasons, or dropped on purpose by the
mapping with its `mapping_drop:<rule>` code (rows = stored + quarantined + dropped; dropped rows
are not bad rows: counted in the report and the file's reasons, not kept in the quarantine).
A file refused as a whole (format, encoding, columns) or rejected by --strict stores nothing;
the same bytes ingested again for the same contract and kind change nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Generator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl
import pyarrow as pa
from sqlalchemy.engine import Engine

from slaengine.adapters.feeds.mapping_model import DROP_PREFIX
from slaengine.adapters.feeds.readers import (
    LINE,
    Batch,
    ReadWhole,
    iter_feed_batches,
    read_feed_file,
)
from slaengine.adapters.feeds.schemas import (
    KINDS,
    REASONS,
    check_columns,
    name_reasons,
    pandera_sample,
    screen_frame,
    warm_checks,
)
from slaengine.adapters.storage.feed_repo import FeedFileRecord
from slaengine.adapters.storage.feed_store import (
    AlreadyStored,
    FeedWrite,
    Filled,
    NewFeedFile,
    Stored,
    feed_write,
    find_feed_file,
)
from slaengine.adapters.storage.quarantine_store import read_quarantine
from slaengine.errors import FeedRefused, FeedRejected
from slaengine.services.overlap import Background, Ordered, prefetched

if TYPE_CHECKING:
    from slaengine.adapters.feeds.mapping import FeedMapping

_EXAMPLES = 5  # bad lines quoted in a --strict rejection


@dataclass(frozen=True)
class IngestReport:
    """What one ingestion did; `reasons` counts rows per reason code (a row may have several)."""

    file_id: int
    sha256: str
    kind: str
    source: str | None
    rows: int
    stored: int
    quarantined: int
    reasons: dict[str, int]
    unchanged: bool
    restated: int
    file_name: str = ""
    dropped: int = 0  # rows the mapping dropped on purpose (not bad rows)
    dropped_reasons: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """SPEC's {"rows", "stored", "quarantined", "reasons"} plus file_id, sha256, kind..."""
        return {
            "rows": self.rows,
            "stored": self.stored,
            "quarantined": self.quarantined,
            "reasons": dict(sorted(self.reasons.items())),
            "file_id": self.file_id,
            "file": self.file_name,
            "sha256": self.sha256,
            "kind": self.kind,
            "source": self.source,
            "unchanged": self.unchanged,
            "restated": self.restated,
        } | self._drops()

    def _drops(self) -> dict[str, Any]:
        """Rows a mapping dropped on purpose, when there are any (not bad rows)."""
        if not self.dropped:
            return {}
        return {
            "dropped": self.dropped,
            "dropped_reasons": dict(sorted(self.dropped_reasons.items())),
        }


@dataclass(frozen=True)
class QuarantinedRow:
    """A row kept out of the data: its file, physical line, raw text values and reason codes."""

    file_id: int
    file_name: str
    line: int
    raw: dict[str, str]
    reasons: list[str] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        """The reasons as readable sentences (unknown codes, e.g. from a mapping, as they are)."""
        return [REASONS.get(code, code) for code in self.reasons]

    def to_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file": self.file_name,
            "line": self.line,
            "raw": self.raw,
            "reasons": self.reasons,
            "messages": self.messages,
        }


def ingest_feed(
    engine: Engine,
    contract_id: str,
    kind: str,
    path: Path,
    *,
    strict: bool = False,
    source: str | None = None,
    mapping: FeedMapping | None = None,
    received_at: datetime | None = None,
) -> IngestReport:
    """Validate and store one feed file for the contract's provider.

    The file streams through one pipeline (`_store_file`): read in batches, each batch mapped,
    validated and its valid rows handed to the store before the next is read, so memory is
    bounded by a batch and the file's keys. Raises ContractNotFound, FeedRefused (nothing
    stored), FeedRejected (strict and bad rows: nothing stored), StorageError.
    """
    if kind not in KINDS:
        raise FeedRefused(f"unknown feed kind {kind!r} (expected {', '.join(KINDS)})")
    provider_id = _provider_of(engine, contract_id)
    _readable(path)
    warm_checks(kind)  # Pandera imported by another thread while the file is read
    stop = threading.Event()  # set: the hash is no longer wanted (the ingest failed)
    with ThreadPoolExecutor(1, thread_name_prefix="feed-hash") as hasher:
        hashing = hasher.submit(_sha256, path, stop)  # the file read and checked meanwhile
        new = NewFeedFile(
            contract_id=contract_id,
            provider_id=provider_id,
            kind=kind,
            sha256="",  # told once `hashing` is done (`_Opening`)
            source=source,
            file_name=path.name,
            received_at=received_at or datetime.now(UTC),
        )
        try:
            try:
                stored = _store_file(engine, new, path, mapping, strict, hashing, whole=False)
            except ReadWhole:  # a CSV whose pieces disagree with the whole: read it whole
                stored = _store_file(engine, new, path, mapping, strict, hashing, whole=True)
        except AlreadyStored as already:  # the same bytes, stored before or meanwhile
            return _unchanged(already.record)
        finally:  # the Parquet writers' buffers: give the memory back once the file is stored
            stop.set()
            pa.default_memory_pool().release_unused()
    filled = stored.filled
    drops = {k: n for k, n in filled.reasons.items() if k.startswith(DROP_PREFIX)}
    reasons = {k: n for k, n in filled.reasons.items() if k not in drops}
    return IngestReport(
        stored.file_id, hashing.result(), kind, source, filled.rows, stored.stored,
        stored.quarantined, reasons, False, stored.restated, path.name, sum(drops.values()),
        drops,
    )  # fmt: skip


def _store_file(
    engine: Engine, new: NewFeedFile, path: Path, mapping: FeedMapping | None, strict: bool,
    hashing: Future[str], *, whole: bool,
) -> Stored:  # fmt: skip
    """The pipeline, top to bottom: read → map → validate → write, in the store's transaction.

    The file's bytes are hashed (`hashing`) while its first batches are read and checked: the
    store's transaction opens once the hash is known (`_Opening`), the batches checked before
    held until then; a file whose bytes are stored already stops there (AlreadyStored).

    Contacts are validated batch by batch. The one rule across rows (a contact_id on several
    rows) needs the ids of the whole file: a 64-bit hash of each id is kept (8 bytes a row)
    and, if two hashes are equal, the file's ids with those hashes are read again to tell the
    ids that truly repeat, then the file is read again with them known (the rows already
    written are discarded). The other kinds are small by nature and validated whole.
    """
    kind = new.kind
    with ExitStack() as transaction:
        writes = _Opening(engine, new, hashing, transaction)
        failing = True
        try:
            seen = _read_validate_write(path, kind, mapping, writes, _NO_IDS, whole=whole)
            write = writes.write()
            if kind == "contacts":
                repeated = _repeated_ids(path, mapping, _hashes_seen_twice(seen), whole=whole)
                if repeated.len():
                    writes.wait()
                    write.reset()
                    seen = _read_validate_write(path, kind, mapping, writes, repeated, whole=whole)
            writes.wait()
            failing = False
        finally:  # no write runs on once the store abandons the file
            writes.close(failing=failing)
        filled = _filled(seen, path, strict)
        return write.finish(filled)


_HELD = 2  # batches held at most while the hash is taken (then the pipeline waits for it)


class _Opening:
    """Where the pipeline hands its valid batches: held until the file's hash is known, then
    the store's transaction is opened (`feed_write`, entered on `transaction`) and they are
    written in order, each while the next batches are checked (`Background`)."""

    def __init__(
        self, engine: Engine, new: NewFeedFile, hashing: Future[str], transaction: ExitStack
    ) -> None:
        self.engine, self.new, self.hashing, self.transaction = engine, new, hashing, transaction
        self.held: list[pl.DataFrame] = []
        self.opened: tuple[FeedWrite, Background[pl.DataFrame]] | None = None

    def submit(self, valid: pl.DataFrame) -> None:
        if self.opened is None and not self.hashing.done() and len(self.held) < _HELD:
            self.held.append(valid)
            return
        self.write()
        assert self.opened is not None
        self.opened[1].submit(valid)

    def write(self) -> FeedWrite:
        """The store's write, opened now if it is not yet (waiting for the hash); raises
        AlreadyStored when these bytes are stored for the contract and kind."""
        if self.opened is None:
            new = replace(self.new, sha256=self.hashing.result())
            known = find_feed_file(self.engine, new.contract_id, new.kind, new.sha256)
            if known is not None:
                raise AlreadyStored(known)
            write = self.transaction.enter_context(feed_write(self.engine, new))
            self.opened = write, Background(write.add)
            held, self.held = self.held, []
            for valid in held:
                self.opened[1].submit(valid)
        return self.opened[0]

    def wait(self) -> None:
        self.write()
        assert self.opened is not None
        self.opened[1].wait()

    def close(self, *, failing: bool) -> None:
        self.held = []
        if self.opened is not None:
            self.opened[1].close(failing=failing)


def _hashes_seen_twice(seen: _Seen) -> pl.Series:
    return seen.ids.seen_twice()


class _IdHashes:
    """The 64-bit hashes of a file's contact ids, kept in 16 buckets by their top four bits, so
    that telling the hashes given twice (sorted, equal neighbours: a sort of 10M hashes takes
    about 1 s, `is_duplicated`'s hash table about 6 s) holds one bucket's copy at a time beside
    them: 8 bytes a row, plus a sixteenth (50M rows: 400 MB, not 1.2 GB)."""

    BUCKETS = 16

    def __init__(self) -> None:
        self.buckets: list[list[pl.Series]] = [[] for _ in range(self.BUCKETS)]

    @staticmethod
    def split(hashes: pl.Series) -> dict[int, pl.Series]:
        """A batch's hashes by bucket (done where the batch is checked)."""
        split = hashes.to_frame("h").with_columns((pl.col("h") // 2**60).alias("b"))
        parts = split.partition_by("b", as_dict=True).items()
        return {int(bucket): part.get_column("h") for (bucket,), part in parts}

    def add(self, split: dict[int, pl.Series]) -> None:
        for bucket, hashes in split.items():
            self.buckets[bucket].append(hashes)

    def seen_twice(self) -> pl.Series:
        found = [pl.Series("h", [], dtype=pl.UInt64)]
        for number, parts in enumerate(self.buckets):
            if parts:
                ordered = pl.concat(parts).sort()
                self.buckets[number] = []  # this bucket's hashes are no longer needed
                found.append(ordered.filter((ordered == ordered.shift(1)).fill_null(False)))
        return pl.concat(found).unique()


def _filled(seen: _Seen, path: Path, strict: bool) -> Filled:
    """The file's counts and quarantine; FeedRejected under --strict when a row is bad."""
    bad = pl.concat([*seen.bad, seen.dropped], how="vertical").sort(LINE)
    reasons = _count_reasons(bad)
    rows = seen.rows + seen.dropped.height + sum(seen.drops.values())
    if strict and bad.height:
        raise FeedRejected(_rejection(path, rows, bad, reasons))
    return Filled(rows, reasons | dict(sorted(seen.drops.items())), bad)


_BAD_SCHEMA = {LINE: pl.Int64, "_raw": pl.String, "_reasons": pl.String}


_NO_IDS = pl.Series("contact_id", [], pl.String)


@dataclass
class _Seen:
    """What one reading of a file saw: rows validated, quarantine frames, mapping drops, and
    the hashes of the trimmed contact ids given."""

    rows: int = 0
    bad: list[pl.DataFrame] = field(default_factory=list)
    dropped: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_BAD_SCHEMA))
    drops: Counter[str] = field(default_factory=Counter)
    ids: _IdHashes = field(default_factory=lambda: _IdHashes())
    failing: list[pl.DataFrame] = field(default_factory=list)  # waiting for their reasons
    written: list[pl.DataFrame] = field(default_factory=list)
    waiting: int = 0
    # Pandera naming a sample of the first of those failing rows while the file is read on
    # (`pandera`: the thread it runs in, for a contacts file), so that its cost is not added
    # at the end of the file
    pandera: Executor | None = None
    sample: Future[tuple[pl.DataFrame, pl.DataFrame]] | None = None


def _read_validate_write(
    path: Path, kind: str, mapping: FeedMapping | None, write: _Writes, repeated: pl.Series,
    *, whole: bool,
) -> _Seen:  # fmt: skip
    """One reading: each batch read, mapped, validated and its valid rows written; contacts
    batch by batch (`repeated`: the ids known to repeat; two batches checked at once, their
    results taken in the file's order), the other kinds whole."""
    seen = _Seen()
    dropped: list[pl.DataFrame] = []
    pending: list[pl.DataFrame] = []
    first_row = 0  # the rows of the batches before this one (`_row` numbers the file's rows)
    check = partial(_check_batch, kind, repeated)
    with (
        _batches(path, whole) as batches,
        Ordered(check) as checking,
        ThreadPoolExecutor(1, thread_name_prefix="feed-pandera") as pandera,
    ):
        seen.pandera = pandera
        for number, batch in enumerate(batches):
            frame, plain = _take_batch(
                seen, batch, number == 0, path, kind, mapping, pending, dropped
            )
            if frame is not None:
                for checked in checking.submit(_Batch(frame, plain, first_row)):
                    _keep(seen, write, checked, kind)
                first_row += frame.height
        for checked in checking.drain():
            _keep(seen, write, checked, kind)
        seen.pandera = None
        _name_reasons(seen, kind)
    if pending:
        whole_file = _Batch(pl.concat(pending, how="vertical"), False, seen.rows)
        _keep(seen, write, _check_batch(kind, None, whole_file), kind)
    _name_reasons(seen, kind)
    seen.dropped = pl.concat(dropped, how="vertical")
    return seen


def _batches(path: Path, whole: bool) -> closing[Generator[Batch, None, None]]:
    """The file's batches, the next one read (in a thread) while this one is checked."""
    read = iter([Batch(read_feed_file(path))]) if whole else iter_feed_batches(path)
    return closing(prefetched(read))


def _take_batch(
    seen: _Seen, batch: Batch, first: bool, path: Path, kind: str,
    mapping: FeedMapping | None, pending: list[pl.DataFrame], dropped: list[pl.DataFrame],
) -> tuple[pl.DataFrame | None, bool]:  # fmt: skip
    """Map one batch: a contacts batch is given back with whether it is `plain`, to be checked
    at once; the other kinds are kept for the end. A mapped batch is never `plain`: the
    mapping's values were not the bytes read."""
    frame, lost, drops = _mapped(batch.frame, mapping)
    if first:
        check_columns(frame, kind, path)
    dropped.append(lost)
    seen.drops.update(drops)
    if kind != "contacts":
        pending.append(frame)
        return None, False
    return frame, batch.plain and mapping is None


@dataclass(frozen=True)
class _Batch:
    """A batch to check: its text frame, whether it is `plain`, its first row's number."""

    frame: pl.DataFrame
    plain: bool
    first_row: int


@dataclass(frozen=True)
class _Checked:
    """A batch after one pass of the rules: its valid rows, its failing rows (typed and as
    written, compacted), and the hashes of its contact ids by bucket (contacts)."""

    rows: int
    valid: pl.DataFrame
    failing: pl.DataFrame
    written: pl.DataFrame
    hashes: dict[int, pl.Series]


_NAMED_AT_ONCE = 50_000  # failing rows given to Pandera at once (several batches' worth)


class _Writes(Protocol):
    def submit(self, item: pl.DataFrame) -> None: ...


def _check_batch(kind: str, repeated: pl.Series | None, batch: _Batch) -> _Checked:
    """One pass of the rules over a batch (no side effect: two batches are checked at once)."""
    screened = screen_frame(
        batch.frame, kind, repeated=repeated, first_row=batch.first_row, plain=batch.plain
    )
    failing = screened.failing
    written = screened.written
    if failing.height:
        failing, written = _compact(failing), _compact(written)
    hashes = _IdHashes.split(_ids(batch.frame, batch.plain).hash()) if kind == "contacts" else {}
    return _Checked(screened.rows, screened.valid, failing, written, hashes)


def _keep(seen: _Seen, write: _Writes, checked: _Checked, kind: str) -> None:
    """A checked batch taken in the file's order: its valid rows written, its failing rows
    kept for Pandera to name their reasons with other batches' (`_name_reasons`)."""
    seen.rows += checked.rows
    seen.ids.add(checked.hashes)
    write.submit(checked.valid)
    if checked.failing.height:
        seen.failing.append(checked.failing)
        seen.written.append(checked.written)
        seen.waiting += checked.failing.height
        if seen.sample is None and seen.pandera is not None:
            seen.sample = seen.pandera.submit(pandera_sample, checked.failing, kind)
    if seen.waiting >= _NAMED_AT_ONCE:
        _name_reasons(seen, kind)


def _compact(rows: pl.DataFrame) -> pl.DataFrame:
    """A copy of a few rows of a batch that holds only their own text: polars' filtered string
    columns keep pointing into the whole batch's buffers, which kept alive until Pandera names
    the reasons would make memory grow with the file."""
    copied = pl.from_arrow(rows.to_arrow(compat_level=pl.CompatLevel.oldest()))
    assert isinstance(copied, pl.DataFrame)
    return copied.cast(rows.schema)


def _name_reasons(seen: _Seen, kind: str) -> None:
    """The reasons of the failing rows kept so far (Pandera's sample: the one it named
    meanwhile, the first failing batch's, or else the first of these rows)."""
    if seen.failing:
        failing = pl.concat(seen.failing, how="vertical")
        written = pl.concat(seen.written, how="diagonal")
        sampled = seen.sample.result() if seen.sample is not None else None
        invalid = name_reasons(failing, written, kind, sampled=sampled)
        if invalid.height:
            seen.bad.append(_quarantine_frame(invalid))
    seen.failing, seen.written, seen.waiting, seen.sample = [], [], 0, None


def _ids(frame: pl.DataFrame, plain: bool = False) -> pl.Series:
    """The contact ids given in a batch, trimmed as the rule reads them (a `plain` batch has
    nothing to trim and no empty id)."""
    ids = frame.get_column("contact_id")
    if plain:
        return ids.drop_nulls()
    ids = ids.str.strip_chars()
    return ids.filter(ids.is_not_null() & (ids != ""))


def _repeated_ids(
    path: Path, mapping: FeedMapping | None, hashes: pl.Series, *, whole: bool
) -> pl.Series:
    """The ids (trimmed) on several rows of the file, among those whose hash is in `hashes`."""
    if not hashes.len():
        return _NO_IDS
    candidates: list[pl.Series] = []
    with _batches(path, whole) as batches:
        for batch in batches:
            ids = _ids(_mapped(batch.frame, mapping)[0], batch.plain and mapping is None)
            candidates.append(ids.filter(ids.hash().is_in(hashes.implode())))
    every = pl.concat(candidates)
    return every.filter(every.is_duplicated()).unique()


def _provider_of(engine: Engine, contract_id: str) -> str:
    from slaengine.services.contracts import latest_contract

    return latest_contract(engine, contract_id).contract.provider.id


def _readable(path: Path) -> None:
    """Raise FeedRefused, as `_sha256` would, when the file cannot be opened."""
    try:
        path.open("rb").close()
    except FileNotFoundError:
        raise FeedRefused(f"{path}: no such file") from None
    except OSError as error:
        raise FeedRefused(f"{path}: cannot read the file: {error.strerror}") from None


_HASH_BLOCK = 1 << 20


def _sha256(path: Path, stop: threading.Event | None = None) -> str:
    """The file's SHA-256 ("" when `stop` is set before the end: nobody wants it any more)."""
    digest = hashlib.sha256()
    block = bytearray(_HASH_BLOCK)  # one buffer read into again and again: a new block each
    view = memoryview(block)  # time was fresh memory, faulted in page by page (1 GB at 10M)
    try:
        with path.open("rb", buffering=0) as handle:
            while size := handle.readinto(block):
                if stop is not None and stop.is_set():
                    return ""
                digest.update(view[:size])
    except FileNotFoundError:
        raise FeedRefused(f"{path}: no such file") from None
    except OSError as error:
        raise FeedRefused(f"{path}: cannot read the file: {error.strerror}") from None
    return digest.hexdigest()


def _unchanged(known: FeedFileRecord) -> IngestReport:
    drops = {k: n for k, n in known.reasons.items() if k.startswith(DROP_PREFIX)}
    reasons = {k: n for k, n in known.reasons.items() if k not in drops}
    return IngestReport(
        known.id, known.sha256, known.kind, known.source, known.rows, known.stored,
        known.quarantined, reasons, True, 0, known.file_name, sum(drops.values()), drops,
    )  # fmt: skip


def _mapped(
    frame: pl.DataFrame, mapping: FeedMapping | None
) -> tuple[pl.DataFrame, pl.DataFrame, Counter[str]]:
    """The annex text frame of a batch, the rows a mapping could not map (as quarantine rows)
    and the counts of rows it dropped on purpose by `mapping_drop:<rule>` code."""
    drops: Counter[str] = Counter()
    lost = pl.DataFrame(schema=_BAD_SCHEMA)
    if mapping is None:
        return frame, lost, drops
    from slaengine.adapters.feeds.mapping import apply_mapping

    result = apply_mapping(frame, mapping)
    drops.update(row.drop_code for row in result.dropped if row.drop_code)
    records = [
        {LINE: row.line, "_raw": json.dumps(row.raw), "_reasons": json.dumps(list(row.reasons))}
        for row in result.dropped
        if not row.drop_code
    ]
    if records:
        lost = pl.DataFrame(records, schema=_BAD_SCHEMA)
    return result.frame, lost, drops


def _quarantine_frame(invalid: pl.DataFrame) -> pl.DataFrame:
    """Invalid rows as (line, raw values as a JSON object, reason codes as a JSON list)."""
    raw = [name for name in invalid.columns if name not in (LINE, "_reasons")]
    values = [pl.col(name).fill_null("") for name in raw]
    return invalid.select(
        pl.col(LINE).cast(pl.Int64),
        pl.struct(values).struct.json_encode().alias("_raw") if raw else pl.lit("{}").alias("_raw"),
        pl.concat_str(pl.lit('["'), pl.col("_reasons").list.join('", "'), pl.lit('"]')).alias(
            "_reasons"
        ),
    )


def _count_reasons(bad: pl.DataFrame) -> dict[str, int]:
    """Rows per reason code (`_reasons`: JSON lists of codes). The lists are counted as
    written first (a file's bad rows hold a handful of distinct lists), then each distinct
    list decoded once (100k bad rows: 49 ms → 3 ms, at the end of the ingest)."""
    lists = bad.get_column("_reasons").value_counts(name="n")
    counts: Counter[str] = Counter()
    for written, n in lists.iter_rows():
        for code in json.loads(written) if written is not None else ():
            counts[str(code)] += int(n)
    return dict(sorted(counts.items()))


def _rejection(path: Path, rows: int, bad: pl.DataFrame, reasons: dict[str, int]) -> str:
    summary = ", ".join(f"{code}: {n}" for code, n in reasons.items())
    examples = [
        f"line {line}: {', '.join(json.loads(codes))}"
        for line, codes in bad.head(_EXAMPLES).select(LINE, "_reasons").iter_rows()
    ]
    more = f" (and {bad.height - _EXAMPLES} more)" if bad.height > _EXAMPLES else ""
    return (
        f"{path}: {bad.height} of {rows} rows are invalid ({summary});"
        f" {'; '.join(examples)}{more}. Nothing was stored (--strict);"
        " ingest without --strict to store the valid rows and quarantine the others"
    )


def quarantined_rows(
    engine: Engine, contract_id: str, *, file_id: int | None = None
) -> list[QuarantinedRow]:
    """The contract's quarantined rows (of one file when `file_id` is given), by file and line."""
    return [
        QuarantinedRow(fid, name, line, _raw(raw), list(json.loads(reasons)))
        for fid, name, line, raw, reasons in read_quarantine(engine, contract_id, file_id)
    ]


def _raw(text: str) -> dict[str, str]:
    """The raw values as text (a null, should a stored object hold one, as "")."""
    values: dict[str, Any] = json.loads(text)
    if all(type(value) is str for value in values.values()):
        return values  # the usual case, taken as it is: 1M rows read back 0.5 s sooner
    return {k: "" if v is None else str(v) for k, v in values.items()}
