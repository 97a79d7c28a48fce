"""Contract files in YAML: parsed with positions, every problem reported as FILE:LINE:COL.

ruamel.yaml (YAML 1.2, round-trip mode) keeps the line and column of every key and value,
and does not turn `17:30` into a number or `NO` into False as YAML 1.1 parsers do.
Timestamps are kept as their text and floats as Decimal from their text, so that pydantic
sees exactly what was written (money never passes through a float).

Hostile files are refused with a message, never a traceback: a file over MAX_FILE_BYTES (1 MB)
is refused before it is read, nesting deeper than MAX_NESTING levels is refused while parsing,
and every quoted value in a message is cut to MAX_SHOWN_CHARS characters. Comments are skipped
by the scanner: ruamel's round-trip scanner joins consecutive comment lines by repeated string
concatenation, which made a file of comments take time growing with the square of its size.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scanner import Scanner

from slaengine.domain.contract.model import (
    BenchmarkSpec,
    Calendar,
    Contract,
    Credits,
    Effective,
    Exclusions,
    Objective,
)
from slaengine.domain.contract.problems import ContractParts, Problem, did_you_mean
from slaengine.domain.contract.rules import (
    find_benchmark_problems,
    find_part_problems,
    find_problems,
)
from slaengine.errors import ContractInvalid

Path_ = tuple[str | int, ...]
SpecT = TypeVar("SpecT", Contract, BenchmarkSpec)

MAX_FILE_BYTES = 1_000_000
"""Largest contract file read (1 MB; the shipped contracts are about 3 KB)."""
MAX_NESTING = 32
"""Deepest nesting of mappings and lists (a contract needs 5 levels)."""
MAX_SHOWN_CHARS = 80
"""Longest quoted value shown in a message; longer ones are cut and their length given."""


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps timestamps as text and floats as Decimal."""


def _timestamp_as_text(loader: RoundTripConstructor, node: Any) -> str:
    return str(loader.construct_scalar(node))


def _float_as_decimal(loader: RoundTripConstructor, node: Any) -> Any:
    text = str(loader.construct_scalar(node))
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return text


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Constructor.add_constructor("tag:yaml.org,2002:float", _float_as_decimal)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_NESTING
    yaml.Scanner = Scanner  # comments are not kept: see the module docstring
    return yaml


@dataclass(frozen=True)
class SpecFile:
    """A validated file: what it holds, its bytes' sha256 and its text."""

    path: Path
    spec: Contract | BenchmarkSpec
    sha256: str
    text: str


def load_contract_file(path: Path) -> Contract:
    """Parse and validate one contract file; raises ContractInvalid listing every problem."""
    spec = load_spec_file(path).spec
    if not isinstance(spec, Contract):
        raise ContractInvalid([f"{path}:1:1: expected kind: Contract, found kind: Benchmark"])
    return spec


def load_benchmark_file(path: Path) -> BenchmarkSpec:
    """Parse and validate a `kind: Benchmark` file; raises ContractInvalid."""
    spec = load_spec_file(path).spec
    if not isinstance(spec, BenchmarkSpec):
        raise ContractInvalid([f"{path}:1:1: expected kind: Benchmark, found kind: Contract"])
    return spec


def load_spec_file(path: Path) -> SpecFile:
    """Parse a contract or benchmark file (by its `kind`); raises ContractInvalid."""
    raw = _read_bytes(path)
    text = _decode(path, raw)
    document = _parse(path, text)
    model: type[Contract] | type[BenchmarkSpec] = (
        BenchmarkSpec if document.get("kind") == "Benchmark" else Contract
    )
    spec = _validate(path, document, model)
    return SpecFile(path=path, spec=spec, sha256=hashlib.sha256(raw).hexdigest(), text=text)


def dump_contract(contract: Contract | BenchmarkSpec) -> str:
    """The specification as YAML text; loading it gives an equal object."""
    document = contract.model_dump(mode="json", by_alias=True, exclude_none=True)
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.dump(document, stream)
    return stream.getvalue()


def parse_contract_text(text: str, label: str = "<text>") -> Contract:
    """Validate YAML text (no file): for tests and round trips."""
    _check_size(Path(label), len(text.encode("utf-8", "surrogatepass")))
    document = _parse(Path(label), text)
    spec = _validate(Path(label), document, Contract)
    assert isinstance(spec, Contract)
    return spec


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files named, and *.yaml / *.yml below folders (sorted); missing paths are kept.

    A file with `kind: Benchmark` among them is a benchmark specification (see
    `load_spec_file`), not a contract.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            )
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for path in found:  # a file named twice (itself and through its folder) is read once
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            _check_size(path, os.fstat(handle.fileno()).st_size)
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ContractInvalid([f"{path}:1:1: file not found"]) from None
    except OSError as error:
        raise ContractInvalid([f"{path}:1:1: cannot read the file: {error.strerror}"]) from None
    _check_size(path, len(raw))  # a pipe or a file still growing has no size beforehand
    return raw


def _check_size(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise ContractInvalid(
            [
                f"{path}:1:1: the file is larger than {MAX_FILE_BYTES:,} bytes (1 MB), the "
                "largest contract file read; a contract is a few kilobytes: check the file"
            ]
        )


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ContractInvalid(
            [f"{path}:{line}:{column}: the file is not UTF-8 text (byte {raw[error.start]:#04x})"]
        ) from None


def parse_document(path: Path, text: str) -> CommentedMap:
    """The YAML tree of a file's text (for positions); raises ContractInvalid."""
    return _parse(path, text)


def _parse(path: Path, text: str) -> CommentedMap:
    try:
        document = _yaml().load(text)
    except MaxDepthExceededError as error:
        mark = error.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = f"nested deeper than {MAX_NESTING} levels of mappings and lists"
        raise ContractInvalid([f"{path}:{line}:{column}: invalid YAML: {problem}"]) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = cut_quoted(str(error.problem or error.context or "syntax error"))
        raise ContractInvalid([f"{path}:{line}:{column}: invalid YAML: {problem}"]) from None
    except YAMLError as error:  # e.g. a control character: the reader gives an offset
        offset = getattr(error, "position", None)
        before = text[:offset] if isinstance(offset, int) else ""
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        problem = cut_quoted(str(error).splitlines()[0] if str(error) else "syntax error")
        raise ContractInvalid([f"{path}:{line}:{column}: invalid YAML: {problem}"]) from None
    except ValueError as error:  # Python refuses to read an integer of over 4,300 digits
        problem = "a number of more than 4300 digits" if "digits" in str(error) else str(error)
        raise ContractInvalid([f"{path}:1:1: invalid YAML: {cut_quoted(problem)}"]) from None
    if document is None:
        raise ContractInvalid([f"{path}:1:1: the file is empty: expected a contract mapping"])
    if not isinstance(document, CommentedMap):
        raise ContractInvalid(
            [
                f"{path}:1:1: expected a mapping of keys (apiVersion, kind, id...),"
                f" found {cut_quoted(_shown(document))}"
            ]
        )
    return document


def _validate(
    path: Path, document: CommentedMap, model: type[Contract] | type[BenchmarkSpec]
) -> Contract | BenchmarkSpec:
    try:
        spec = model.model_validate(document)
    except ValidationError as error:
        items = _without_consequences(error.errors())
        typed = _first_per_position(_format_error(path, document, model, item) for item in items)
        rules = [
            format_problem(path, document, problem)
            for problem in find_part_problems(_valid_parts(document, model))
        ]
        raise ContractInvalid(_in_order(typed + rules)) from None
    rule_problems = (
        find_problems(spec) if isinstance(spec, Contract) else find_benchmark_problems(spec)
    )
    if rule_problems:
        raise ContractInvalid(
            _in_order(format_problem(path, document, problem) for problem in rule_problems)
        )
    return spec


def _valid_parts(
    document: CommentedMap, model: type[Contract] | type[BenchmarkSpec]
) -> ContractParts:
    """The parts of a file with type errors that are valid on their own, for the rules."""
    raw_objectives = document.get("objectives")
    items = list(raw_objectives) if isinstance(raw_objectives, CommentedSeq) else []
    objectives = [(i, _valid(Objective, item)) for i, item in enumerate(items)]
    raw_calendars = document.get("calendars")
    names = list(raw_calendars) if isinstance(raw_calendars, CommentedMap) else []
    calendars = {str(name): _valid(Calendar, raw_calendars[name]) for name in names}
    contract = model is Contract
    return ContractParts(
        objectives=tuple((i, o) for i, o in objectives if o is not None),
        objective_ids=tuple(
            str(item["id"]) for item in items if isinstance(item, CommentedMap) and "id" in item
        ),
        calendars={name: c for name, c in calendars.items() if c is not None},
        calendar_names=tuple(str(name) for name in names),
        effective=_valid(Effective, document.get("effective")) if contract else None,
        credits=_valid(Credits, document.get("credits")) if contract else None,
        exclusions=_valid(Exclusions, document.get("exclusions")) if contract else None,
        targets_required=contract,
    )


PartT = TypeVar("PartT", bound=BaseModel)


def _valid(part: type[PartT], raw: object) -> PartT | None:
    if raw is None:
        return None
    try:
        return part.model_validate(raw)
    except ValidationError:
        return None


def _without_consequences(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop 'list too short' errors caused by the failure of the items inside that list."""
    locs = [tuple(item["loc"]) for item in errors]
    return [
        item
        for item in errors
        if not (
            item["type"] == "too_short"
            and any(
                other[: len(item["loc"])] == tuple(item["loc"]) and other != tuple(item["loc"])
                for other in locs
            )
        )
    ]


def _first_per_position(problems: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """One type error per node: the alternatives of a union all fail at the same place.

    Missing keys are all kept: they are reported together at the mapping that lacks them.
    """
    seen: dict[tuple[int, int], str] = {}
    kept: list[tuple[int, int, str]] = []
    for line, column, text in problems:
        if _MISSING in text:
            kept.append((line, column, text))
        else:
            seen.setdefault((line, column), text)
    return kept + [(line, column, text) for (line, column), text in seen.items()]


def _in_order(problems: Iterable[tuple[int, int, str]]) -> list[str]:
    """In line and column order; a message repeated at one position is shown once."""
    unique = {(line, column, text) for line, column, text in problems}
    return [text for _, _, text in sorted(unique)]


def format_problem(path: Path, document: CommentedMap, problem: Problem) -> tuple[int, int, str]:
    """Locate a rule problem in the YAML tree: (line, column, 'FILE:LINE:COL: message')."""
    line, column = locate(document, problem.path, at_key=problem.at_key)
    return line, column, f"{path}:{line}:{column}: {cut_quoted(problem.message, problem.files)}"


def locate(document: Any, path: Sequence[str | int], *, at_key: bool = False) -> tuple[int, int]:
    """1-based line and column of the node at `path` (the deepest part of it that exists)."""
    node: Any = document
    position = (document.lc.line, document.lc.col) if isinstance(document, CommentedMap) else (0, 0)
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, CommentedMap) and part in node:
            key_pos = node.lc.key(part)
            value_pos = node.lc.value(part)
            position = key_pos if (last and at_key) else value_pos
            if not last and not isinstance(node[part], CommentedMap | CommentedSeq):
                position = value_pos
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            position = node.lc.item(part)
            node = node[part]
        else:
            break
    return position[0] + 1, position[1] + 1


def _format_error(
    path: Path, document: CommentedMap, model: type[BaseModel], error: ErrorDetails
) -> tuple[int, int, str]:
    loc = _tree_loc(document, error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        line, column = locate(document, loc, at_key=True)
        key = str(loc[-1])
        valid = _valid_keys(model, loc[:-1])
        hint = did_you_mean(key, valid)
        expected = f" (expected one of: {', '.join(valid)})" if valid and not hint else ""
        message = f"unknown key {key!r}{hint}{expected}"
    elif kind == "missing":
        line, column = locate(document, loc[:-1], at_key=False)
        message = f"{_MISSING} {str(loc[-1])!r}"
        owner = loc[:-1]
        if owner:
            message += f" in {_describe(owner)}"
    else:
        line, column = locate(document, loc, at_key=_is_key_error(error))
        message = _value_message(error)
    return line, column, f"{path}:{line}:{column}: {cut_quoted(message)}"


_MISSING = "missing required key"
_OVER = "{" + str(MAX_SHOWN_CHARS + 1) + ",}"
_LONG_QUOTED = re.compile(
    rf"""'(?:[^'\\\n]|\\.){_OVER}'|"(?:[^"\\\n]|\\.){_OVER}"|[^\s'"]{_OVER}"""
)


def cut_quoted(message: str, keep: Iterable[str] = ()) -> str:
    """`message` with every quoted value (or unbroken run) over MAX_SHOWN_CHARS cut short.

    Quoted values are Python reprs (escaped quotes inside are skipped); a cut value keeps
    MAX_SHOWN_CHARS characters, the last an ellipsis, so cutting twice changes nothing.
    `keep`: texts of the message shown whole however long (the file names the program puts
    in it: a person needs the whole path to open the other file).
    """
    kept = [text for text in dict.fromkeys(keep) if text and text in message]
    for number, text in enumerate(kept):
        message = message.replace(text, f"\x00{number}\x00")
    message = _LONG_QUOTED.sub(_cut_match, message)
    for number, text in enumerate(kept):
        message = message.replace(f"\x00{number}\x00", text)
    return message


def _cut_match(match: re.Match[str]) -> str:
    text = match.group(0)
    quote = text[0] if text[0] in "'\"" else ""
    inner = text[1:-1] if quote else text
    return f"{quote}{inner[: MAX_SHOWN_CHARS - 1]}…{quote} ({len(inner):,} characters)"


def _is_key_error(error: ErrorDetails) -> bool:
    return "[key]" in [str(part) for part in error["loc"]]


def _tree_loc(document: CommentedMap, loc: Sequence[str | int]) -> Path_:
    """Drop pydantic's union-member and '[key]' markers: keep the parts the tree has."""
    kept: list[str | int] = []
    node: Any = document
    for part in loc:
        in_map = isinstance(node, CommentedMap) and part in node
        in_seq = isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node)
        if in_map or in_seq:
            kept.append(part)
            node = node[part]
        elif isinstance(node, CommentedMap) and _is_plain_key(part):
            kept.append(part)  # a key that is absent (missing) or unknown
            node = None
    return tuple(kept)


def _is_plain_key(part: str | int) -> bool:
    """A document key, not one of pydantic's markers ('[key]', 'literal[...]', 'function-...')."""
    return isinstance(part, str) and "[" not in part and "(" not in part


def _describe(owner: Sequence[str | int]) -> str:
    return ".".join(f"[{part}]" if isinstance(part, int) else str(part) for part in owner)


_PATTERNS = {
    r"^[a-z0-9-]+$": "an identifier of lowercase letters, digits and '-' (e.g. opening-hours)",
    r"^[A-Z]{3}$": "a three-letter currency code such as EUR",
    r"^[A-Z]{2}$": "a two-letter country code such as FR",
}
_TYPES = {
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys and values",
    "model_type": "expected a mapping of keys and values",
    "model_attributes_type": "expected a mapping of keys and values",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "decimal_parsing": "expected a decimal number such as 120000.00",
    "decimal_type": "expected a decimal number such as 120000.00",
    "date_type": "expected a date such as 2026-01-01",
    "date_from_datetime_parsing": "expected a date such as 2026-01-01",
    "datetime_type": "expected a date and time with offset such as 2026-03-04T10:00:00+01:00",
    "datetime_from_date_parsing": (
        "expected a date and time with offset such as 2026-03-04T10:00:00+01:00"
    ),
    "timezone_aware": "expected a date and time with a UTC offset (e.g. +01:00)",
}


def _value_message(error: ErrorDetails) -> str:
    found = error.get("input")
    message = error["msg"]
    kind = error["type"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = [option.strip(" '") for option in expected.replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(found), options) if isinstance(found, str) else ""
        return f"expected {expected}, found {_shown(found)}{hint}"
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        expected = _PATTERNS.get(pattern, f"text matching {pattern}")
        return f"expected {expected}, found {_shown(found)}"
    bounds = {"greater_than_equal": "at least", "less_than_equal": "at most"}
    if kind in bounds:
        limit = next(iter(error.get("ctx", {}).values()), "")
        return f"expected a number {bounds[kind]} {limit}, found {_shown(found)}"
    if kind in _TYPES:
        return f"{_TYPES[kind]}, found {_shown(found)}"
    return f"{_lower_first(message)}, found {_shown(found)}"


def _shown(found: object) -> str:
    """The offending value as the user wrote it (a mapping or a list is named, not printed)."""
    if isinstance(found, dict):
        return "a mapping"
    if isinstance(found, list | tuple):
        return "a list"
    if isinstance(found, Decimal):
        return str(found)
    return repr(found)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]




def _valid_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    target = _model_at(model, loc)
    if target is None:
        return []
    return [field.alias or name for name, field in target.model_fields.items()]


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    return _as_model(annotation)


def _as_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in _unwrap(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [inner for arg in typing.get_args(annotation) for inner in _unwrap(arg)]
    return [annotation]


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _unwrap(annotation):
        origin = typing.get_origin(candidate)
        args = typing.get_args(candidate)
        if origin in (tuple, list) and isinstance(part, int) and args:
            return args[0]
        if origin is dict and isinstance(part, str) and len(args) == 2:
            return args[1]
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            for name, field in candidate.model_fields.items():
                if part in (name, field.alias):
                    return field.annotation
    return None
