"""Feed validation in batches: memory for the rules bounded by the batch, not the file.

The rules stay in `adapters/feeds/schemas.py`; this calls `validate_frame` once per batch.
The one rule that looks across rows (a contact_id twice in a file) needs only the id column:
the rows whose id appears more than once in the whole file are validated together in one
batch first, so the rule sees every copy, and the others in slices. The result equals one
`validate_frame` over the whole frame (rows in line order).
"""

from __future__ import annotations

import polars as pl

from slaengine.adapters.feeds.readers import LINE
from slaengine.adapters.feeds.schemas import Validated, validate_frame

BATCH_ROWS = 250_000
# The columns whose repetition a kind's rules refuse, for the kinds large enough to batch.
_KEYS = {"contacts": ("contact_id",)}


def _repeated(frame: pl.DataFrame, names: tuple[str, ...]) -> pl.Series:
    """Rows whose key (stripped, as the rule reads it) appears more than once."""
    keys = [pl.col(n).str.strip_chars() for n in names]
    present = pl.all_horizontal([(key.is_not_null()) & (key != "") for key in keys])
    repeated = pl.struct(keys).is_duplicated() if len(keys) > 1 else keys[0].is_duplicated()
    return frame.select((present & repeated).alias("repeated")).to_series()


def validate_in_batches(frame: pl.DataFrame, kind: str, batch_rows: int = BATCH_ROWS) -> Validated:
    """`validate_frame(frame, kind)`, computed batch by batch."""
    names = _KEYS.get(kind)
    if names is None or frame.height <= batch_rows or not set(names) <= set(frame.columns):
        return validate_frame(frame, kind)
    repeated = _repeated(frame, names)
    batches = [frame.filter(repeated)]
    valid: list[pl.DataFrame] = []
    invalid: list[pl.DataFrame] = []
    for start in range(0, frame.height, batch_rows):
        batches.append(frame.slice(start, batch_rows).filter(~repeated.slice(start, batch_rows)))
        for batch in batches:
            if batch.height:
                checked = validate_frame(batch, kind)
                valid.append(checked.valid)
                invalid.append(checked.invalid)
        batches = []
    return Validated(
        valid=pl.concat(valid, how="vertical").sort(LINE),
        invalid=pl.concat(invalid, how="vertical").sort(LINE),
        rows=frame.height,
    )
