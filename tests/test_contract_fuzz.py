"""Fuzzing contracts: documents drawn from the contract models, then mutated (types, values,
nesting, sizes, raw text), go through `contract check` and `contract load`: every outcome is a
stored contract or FILE:LINE:COL problems, never another exception, and check and load agree.

The strategies are derived from the pydantic models (field by field: literals, bounds,
patterns, nested models), so a field added to a model is fuzzed without touching this file.
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.engine import Engine

from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.adapters.yaml.contract import MAX_SHOWN_CHARS, load_spec_file
from slaengine.domain.contract.model import Contract
from slaengine.domain.contract.units import Duration, Percent, Target
from slaengine.errors import ContractConflict, ContractInvalid
from slaengine.services.contracts import check_contracts, load_contracts
from tests.conftest import CONTRACTS

DEEP = int(os.environ.get("SLAENGINE_FUZZ_EXAMPLES", "0"))  # a longer, random run
FUZZ = settings(
    max_examples=DEEP or 60,
    deadline=None,
    derandomize=not DEEP,  # in `make test`, the same cases every run: failures reproduce
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PROBLEM = re.compile(r"^[^\n]+:\d+:\d+: [^\n]+$")  # one line each

# --- strategies derived from the models -------------------------------------------------------

_BY_VALIDATOR: dict[str, st.SearchStrategy[Any]] = {
    "_check_day_key": st.sampled_from(["mon", "tue", "mon-fri", "sat-sun", "sun"]),
    "_check_interval": st.sampled_from(["08:00-18:00", "00:00-24:00", "09:00-12:30"]),
    "_check_timezone": st.sampled_from(["Europe/Paris", "UTC", "America/New_York"]),
}
_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    Duration: st.sampled_from(["20s", "5s", "2min", "24h"]),
    Percent: st.sampled_from(["10%", "100%", "12.5%", "0%"]),
    Target: st.sampled_from([">= 80%", "<= 5%", "<= 30s", ">= 30", "> 0"]),
    date: st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(str),
    AwareDatetime: st.sampled_from(["2026-03-04T10:00:00+01:00", "2026-03-04T12:00:00+01:00"]),
    bool: st.booleans(),
}


def from_annotation(annotation: Any, metadata: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    """Values (as YAML would hold them) that the annotation is likely to accept."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return from_annotation(args[0], (*metadata, *args[1:]))
    if origin is typing.Union or origin is types.UnionType:
        return st.one_of([from_annotation(arg, metadata) for arg in args])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (tuple, list):
        return st.lists(from_annotation(args[0]), min_size=1, max_size=3)
    if origin is dict:
        return st.dictionaries(from_annotation(args[0]), from_annotation(args[1]), max_size=2)
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return from_model(annotation)
    for item in metadata:
        name = getattr(getattr(item, "func", None), "__name__", "")
        if name in _BY_VALIDATOR:
            return _BY_VALIDATOR[name]
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if annotation is int:
        return _integers(metadata)
    if annotation is Decimal:
        return st.decimals(0, 1_000_000, places=2).map(lambda d: Decimal(f"{d:.2f}"))
    return _text(metadata)


def _integers(metadata: tuple[Any, ...]) -> st.SearchStrategy[int]:
    low, high = 0, 1000
    for item in _flatten(metadata):
        if isinstance(item, annotated_types.Ge):
            low = int(item.ge)  # type: ignore[call-overload]
        if isinstance(item, annotated_types.Le):
            high = int(item.le)  # type: ignore[call-overload]
    return st.integers(low, high)


def _text(metadata: tuple[Any, ...]) -> st.SearchStrategy[str]:
    for item in _flatten(metadata):
        pattern = getattr(item, "pattern", None)
        if pattern:
            maximum = getattr(item, "max_length", None) or 64
            return st.from_regex(pattern, fullmatch=True).filter(lambda s, m=maximum: len(s) <= m)
    return st.sampled_from(["demo", "ACME Contact Services", "l1-support", "FR-75"])


def _flatten(metadata: tuple[Any, ...]) -> Iterator[Any]:
    for item in metadata:
        yield item
        yield from getattr(item, "metadata", ())


def from_model(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Documents of `model`: every required key, and any of the optional ones."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        strategy = from_annotation(field.annotation, tuple(field.metadata))
        (required if field.is_required() else optional)[key] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def shipped() -> list[dict[str, Any]]:
    """The shipped contracts as plain documents: valid starting points for mutations."""
    return [
        load_spec_file(path).spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        for path in sorted(CONTRACTS.glob("*.yaml"))
    ]


documents = st.one_of(st.sampled_from(shipped()), from_model(Contract))


# YAML reads \uXXXX escapes one by one: characters past U+FFFF would be split in two.
names = st.text(
    st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), min_size=1, max_size=200
)


@st.composite
def valid_variants(draw: st.DrawFn) -> dict[str, Any]:
    """A shipped contract with its free values redrawn within their bounds: still valid."""
    document = dict(draw(st.sampled_from(shipped())))
    fields = Contract.model_fields
    document["id"] = draw(from_annotation(fields["id"].annotation, tuple(fields["id"].metadata)))
    document["version"] = draw(
        from_annotation(fields["version"].annotation, tuple(fields["version"].metadata))
    )
    document["title"] = draw(names)
    document["provider"] = {**document["provider"], "name": draw(names)}
    return document


# --- mutations ---------------------------------------------------------------------------------

hostile_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2147483647, 2147483648, -1, 0, 10**18]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.text(min_size=200, max_size=400),
    st.sampled_from(["9999-12-31", "0001-01-01", "24:00-00:00", "1e999%", "99999999999h",
                     ">= 1e9999%", "\x00", "mon-mon-mon", "Europe/Nowhere", "-0s"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)  # fmt: skip


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replace(node: Any, path: tuple[Any, ...], change: Any) -> Any:
    """A copy of `node` with `change(old)` at `path`; a change returning ... deletes."""
    if not path:
        return change(node)
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        copy = dict(node)
        new = _replace(node[head], rest, change)
        if new is ...:
            del copy[head]
        else:
            copy[head] = new
        return copy
    copy_list = list(node)
    new = _replace(node[head], rest, change)
    if new is ...:
        del copy_list[head]
    else:
        copy_list[head] = new
    return copy_list


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    document = draw(documents)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(document))))
        how = draw(st.sampled_from(["value", "delete", "unknown key", "nest", "repeat"]))
        value = draw(hostile_values)
        if how == "value" or (not path and how == "delete"):
            document = _replace(document, path, lambda _old, v=value: v)
        elif how == "delete":
            document = _replace(document, path, lambda _old: ...)
        elif how == "unknown key":
            document = _replace(
                document,
                path,
                lambda old, v=value: {**old, "extra": v} if isinstance(old, dict) else v,
            )
        elif how == "nest":
            depth = draw(st.integers(1, 60))
            document = _replace(document, path, lambda old, d=depth: _nest(old, d))
        else:
            times = draw(st.integers(2, 400))
            document = _replace(
                document, path, lambda old, n=times: old * n if isinstance(old, list | str) else old
            )
    return document


def _nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def as_yaml(document: Any) -> str:
    """JSON is YAML 1.2: every document, even a hostile one, has an exact text."""
    return json.dumps(document, default=str, indent=1)  # \uXXXX escapes are YAML too


raw_edits = st.tuples(st.integers(0, 10_000), st.integers(0, 40), st.text(max_size=20))

# --- properties --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    create_schema(engine)
    yield engine
    engine.dispose()


def assert_check_and_load_agree(engine: Engine, path: Path) -> None:
    report = check_contracts([path])
    for problem in report.problems:
        assert PROBLEM.match(problem), problem
        assert len(problem) < len(str(path)) + 40 + 4 * MAX_SHOWN_CHARS + 400, problem
    try:
        load_contracts(engine, [path])
    except ContractInvalid as error:
        assert report.problems and error.problems == report.problems
    except ContractConflict:
        assert not report.problems  # an earlier example stored the same id and version
    else:
        assert not report.problems


@FUZZ
@given(document=from_model(Contract))
def test_documents_drawn_from_the_model_are_stored_or_reported(
    store: Engine, tmp_path: Path, document: dict[str, Any]
) -> None:
    path = tmp_path / "drawn.yaml"
    path.write_text(as_yaml(document), encoding="utf-8")
    assert_check_and_load_agree(store, path)


@settings(FUZZ, max_examples=DEEP or 20)  # a database round trip each
@given(document=valid_variants())
def test_valid_variants_are_stored_on_every_backend(
    engine: Engine, tmp_path: Path, document: dict[str, Any]
) -> None:
    path = tmp_path / "variant.yaml"
    path.write_text(as_yaml(document), encoding="utf-8")
    assert check_contracts([path]).problems == []
    try:
        [outcome] = load_contracts(engine, [path])
    except ContractConflict:
        return  # an earlier example stored the same id and version with other content
    assert (outcome.contract_id, outcome.version) == (document["id"], document["version"])


@FUZZ
@given(document=mutated())
def test_mutated_contracts_are_stored_or_reported_never_a_crash(
    store: Engine, tmp_path: Path, document: Any
) -> None:
    path = tmp_path / "mutated.yaml"
    path.write_text(as_yaml(document), encoding="utf-8")
    assert_check_and_load_agree(store, path)


@FUZZ
@given(
    base=st.sampled_from(sorted(CONTRACTS.glob("*.yaml"))), edits=st.lists(raw_edits, max_size=3)
)
def test_mangled_yaml_text_is_stored_or_reported_never_a_crash(
    store: Engine, tmp_path: Path, base: Path, edits: list[tuple[int, int, str]]
) -> None:
    text = base.read_text(encoding="utf-8")
    for at, cut, insert in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + cut :]
    path = tmp_path / "mangled.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    assert_check_and_load_agree(store, path)
