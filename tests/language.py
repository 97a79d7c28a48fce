"""Finding English words left in a French document (the contract's own words set apart)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# common English words that are no French words (nor values of a feed's columns)
ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "is",
        "are",
        "when",
        "with",
        "each",
        "every",
        "month",
        "months",
        "objective",
        "objectives",
        "breached",
        "met",
        "provider",
        "credits",
        "credit",
        "target",
        "window",
        "level",
        "amount",
        "from",
        "until",
        "which",
        "where",
        "by",
        "its",
        "than",
        "more",
        "at",
        "in",
        "to",
        "for",
        "not",
        "be",
        "it",
        "that",
        "this",
        "draft",
        "flips",
        "incentives",
        "earned",
        "back",
        "range",
        "none",
        "missing",
        "days",
        "day",
        "calendar",
        "opening",
        "hours",
        "within",
        "after",
        "before",
        "between",
        "per",
        "share",
        "owed",
        "included",
        "excluded",
    ]
)


def english_words(text: str, own_words: Iterable[str] = ()) -> list[str]:
    """The English words of `text`, once `own_words` (titles, names, reasons) are set apart;
    identifiers (with `-`, `_`, `@`, `/` or digits) are not words."""
    for words in own_words:
        text = text.replace(words, " ")
    found = set()
    for token in text.split():
        if re.search(r"[-_@/0-9]", token):
            continue
        word = token.strip(".,;:()«»“”\"'!?").lower()
        if word in ENGLISH:
            found.add(word)
    return sorted(found)
