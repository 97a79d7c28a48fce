"""Text from outside made safe for a terminal: markup escaped, control characters shown.

Stored values, file contents, provider names, URLs and error texts reach the operator's
terminal. Two dangers: rich reads `[...]` as markup (`[/]` crashes the command,
`[link=http://evil.example]x[/link]` makes a hyperlink), and control characters act on the
terminal (ESC starts escape sequences that clear the screen or set the window title, BEL
rings, a bidi override reverses what follows). `visible` shows every such character as an
escape (`\\x1b`, `\\x07`, `\\u202e`) so it is seen, never sent; `safe` also escapes markup, for
text that rich renders. Every command prints outside text through one of the two.
"""

from __future__ import annotations

import unicodedata

# Characters that reorder or hide text without being control characters (Unicode Cc)
_BIDI = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _acts_on_terminal(char: str) -> bool:
    return char in _BIDI or unicodedata.category(char) == "Cc"


def visible(value: object, *, keep_lines: bool = False) -> str:
    """`value` as text with every control character written as an escape.

    `keep_lines` keeps newlines and tabs (a message of several lines); they are escaped
    otherwise (one table cell, one value).
    """
    text = str(value)
    kept = "\n\t" if keep_lines else ""
    if not any(_acts_on_terminal(char) and char not in kept for char in text):
        return text
    return "".join(
        _escaped(char) if _acts_on_terminal(char) and char not in kept else char for char in text
    )


def safe(value: object, *, keep_lines: bool = False) -> str:
    """`visible(value)` with rich markup escaped: for text that rich renders as markup."""
    from rich.markup import escape

    return escape(visible(value, keep_lines=keep_lines))
