"""Report language and formats (SPEC section 4, `[reports] locale`): gettext and Babel.

Every word a report prints goes through `_()` (gettext, catalogues in `locales/`) and every
number, amount, percentage, date and instant through a `ReportLocale`, which uses Babel's
locale data (`12 000,00 €`, `85,6 %`, `2 326` in fr_FR). No hand-written number formats.

The active locale is a context variable: the command line activates `[reports] locale` once
(`activate("fr_FR")`); code that never activates one gets `en_GB`, the catalogues' source
language. `using("fr_FR")` switches for a block (tests, the demo's second language).

Catalogues: `locales/<code>/LC_MESSAGES/*.po` are the sources (`slaengine.po` for the reports,
one more file per room that has words of its own: the close's e-mail, procurement, relief); they
are merged, a message in two files being an error, and compiled in memory on first use (no
`.mo` file to build or to forget), a few milliseconds per language.
"""

from __future__ import annotations

import copy
import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale
    from babel.messages.catalog import Catalog

SUPPORTED: tuple[str, ...] = ("fr_FR", "en_GB")
SOURCE_LOCALE = "en_GB"
DEFAULT_LOCALE = "fr_FR"
LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "slaengine"
_VOWELS = frozenset("aeiouyàâäéèêëîïôöùûü")
Day = date  # the method `ReportLocale.date` shadows the type inside the class


class UnsupportedLocale(ValueError):
    """A locale code outside SUPPORTED."""


def check_locale(code: str) -> str:
    """The code itself when supported; UnsupportedLocale naming the choices otherwise."""
    if code not in SUPPORTED:
        choices = ", ".join(SUPPORTED)
        raise UnsupportedLocale(f"locale {code!r} is not supported: use one of {choices}")
    return code


def catalogue_files(code: str) -> list[Path]:
    """The .po sources of `code`: `slaengine.po` first, then one per room in name order."""
    folder = LOCALES_DIR / code / "LC_MESSAGES"
    files = sorted(folder.glob("*.po"), key=lambda path: (path.name != f"{DOMAIN}.po", path.name))
    return files


def read_catalogue(code: str) -> Catalog:
    """Every .po of `code` as one Babel catalogue; ValueError for a message in two files."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=code, domain=DOMAIN)
    seen: dict[object, str] = {}
    for source in catalogue_files(code):
        with source.open("rb") as handle:
            part = read_po(handle, locale=code)
        for message in part:
            if not message.id:
                continue
            if message.id in seen:
                raise ValueError(f"{source.name}: {message.id!r} is already in {seen[message.id]}")
            seen[message.id] = source.name
            merged[message.id] = message
    return merged


@cache
def _translations(code: str) -> _gettext.NullTranslations:
    """The catalogue of `code`, compiled from its .po files in memory; identity for the source."""
    if code == SOURCE_LOCALE or not catalogue_files(code):
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo

    buffer = BytesIO()
    write_mo(buffer, read_catalogue(code))
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _quantized(value: float | Decimal, digits: int) -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    step = Decimal(1).scaleb(-digits)
    rounded = number.quantize(step, rounding=ROUND_HALF_UP)
    return rounded if rounded != 0 else abs(rounded)


@dataclass(frozen=True)
class ReportLocale:
    """One supported locale: its words and its formats."""

    code: str

    @cached_property
    def babel(self) -> Locale:
        from babel import Locale

        return Locale.parse(self.code)

    def gettext(self, message: str) -> str:
        return _translations(self.code).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return _translations(self.code).ngettext(singular, plural, count)

    def of(self, name: str) -> str:
        """`of October 2026` / `d’octobre 2026`, `de mars 2026`, `d’acme-l1`: French elides
        "de" before a vowel."""
        phrase = self.gettext("of {name}").format(name=name)
        if phrase == f"de {name}" and name[:1].lower() in _VOWELS:
            return f"d\u2019{name}"
        return phrase

    # --- numbers ---------------------------------------------------------------------------

    def decimal(self, value: float | Decimal, digits: int = 1) -> str:
        """`1 234,5` / `1,234.5`: grouped, exactly `digits` decimals, half up."""
        pattern = copy.copy(self.babel.decimal_formats[None])
        pattern.frac_prec = (digits, digits)
        return str(pattern.apply(_quantized(value, digits), self.babel))

    def count(self, value: int | Decimal) -> str:
        """`2 326` / `2,326`; a non-integral Decimal keeps two decimals."""
        if isinstance(value, Decimal) and value != value.to_integral_value():
            return self.decimal(value, 2)
        return self.decimal(int(value), 0)

    def percent(self, fraction: float | Decimal, digits: int = 1) -> str:
        """A fraction 0..1 as `85,6 %` / `85.6%`."""
        pattern = copy.copy(self.babel.percent_formats[None])
        pattern.frac_prec = (digits, digits)
        hundredths = _quantized(Decimal(repr(fraction)) * 100, digits) / 100
        return str(pattern.apply(hundredths, self.babel))

    def money(self, amount: Decimal, currency: str) -> str:
        """`12 000,00 €` / `€12,000.00` (the currency's own decimals)."""
        from babel.numbers import format_currency

        return str(format_currency(_quantized(amount, 2), currency, locale=self.babel))

    @property
    def decimal_symbol(self) -> str:
        return str(self.babel.number_symbols["latn"]["decimal"])

    def weekday(self, index: int) -> str:
        """`lun.` / `Mon` for 0 (Monday) .. 6 (Sunday)."""
        return str(self.babel.days["format"]["abbreviated"][index])

    # --- dates and instants ----------------------------------------------------------------

    def date(self, day: Day) -> str:
        """`2 nov. 2026` / `2 Nov 2026`."""
        from babel.dates import format_date

        return str(format_date(day, "medium", locale=self.babel))

    def day_month(self, day: Day) -> str:
        """`2 nov.` / `2 Nov`."""
        from babel.dates import format_skeleton

        return str(format_skeleton("MMMd", day, locale=self.babel))

    def month(self, period: str, short: bool = False) -> str:
        """`octobre 2026` (`oct. 2026` when short) / `October 2026` from `2026-10`."""
        from babel.dates import format_date

        year, month = (int(part) for part in period.split("-"))
        pattern = "LLL y" if short else "LLLL y"
        return str(format_date(Day(year, month, 1), pattern, locale=self.babel))

    def instant(self, moment: datetime, zone: tzinfo | None = None) -> str:
        """`2 nov. 2026, 08:00 (Europe/Paris)`: the instant in `zone` (its own zone if None)."""
        from babel.dates import format_date, format_time

        local = moment.astimezone(zone) if zone is not None else moment
        name = str(getattr(local.tzinfo, "key", None) or local.strftime("UTC%z"))
        day = format_date(local.date(), "medium", locale=self.babel)
        clock = format_time(local.time(), "HH:mm", locale=self.babel)
        return f"{day}, {clock} ({name})"

    def interval(self, start: datetime, end: datetime) -> str:
        """`4 mars 2026, 10:00 – 14:30 (Europe/Paris)`; both dates when the days differ."""
        from babel.dates import format_time

        first, last = self.instant(start), self.instant(end)
        if start.date() != end.date() or start.utcoffset() != end.utcoffset():
            return f"{first} – {last}"
        head, _sep, zone = first.rpartition(" (")
        clock = format_time(end.time(), "HH:mm", locale=self.babel)
        return f"{head} – {clock} ({zone}"


_ACTIVE: ContextVar[ReportLocale] = ContextVar("slaengine_report_locale")


@cache
def report_locale(code: str) -> ReportLocale:
    """The ReportLocale of a supported `code` (one instance per code)."""
    return ReportLocale(check_locale(code))


def current() -> ReportLocale:
    """The active report locale (`en_GB` until something activates another)."""
    return _ACTIVE.get(report_locale(SOURCE_LOCALE))


def activate(code: str) -> Token[ReportLocale]:
    """Make `code` the active report locale (UnsupportedLocale when it is not supported);
    `deactivate(token)` restores the previous one."""
    return _ACTIVE.set(report_locale(code))


def deactivate(token: Token[ReportLocale]) -> None:
    _ACTIVE.reset(token)


@contextmanager
def using(code: str) -> Iterator[ReportLocale]:
    """`code` active inside the block, the previous locale restored after it."""
    token = _ACTIVE.set(report_locale(code))
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def _(message: str) -> str:
    """The message in the active locale's language."""
    return current().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return current().ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message for extraction without translating it (translated where printed)."""
    return message
