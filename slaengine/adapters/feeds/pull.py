"""Download one feed over HTTP: Bearer token, timeouts, retries with backoff, atomic file.

Retried (tenacity): connection errors, timeouts, dropped or truncated bodies, 429 and 5xx
(honouring Retry-After, in seconds or as an HTTP date, capped at 300 s). Not retried: 401/403
(authentication refused), every other 4xx, a redirect loop, a body over `max_bytes`, a token
that cannot be sent in a header. Every attempt and wait fits in one overall deadline
(`deadline_seconds`): a wait that would pass it is not begun, and a server that drips its body
is cut off when the deadline passes. The body streams into a temporary file next to `dest` and
is renamed onto `dest` only when complete, so a partial download is never at `dest`. Messages
and logs show the URL without userinfo and with every query value replaced by ***, and never
the token.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import tenacity

from slaengine.errors import FeedPullError

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
RETRY_AFTER_MAX_SECONDS = 300.0
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""Largest body downloaded for one feed (512 MiB): `max_bytes` in [[feeds]] changes it."""
DEFAULT_DEADLINE_SECONDS = 300.0
"""Longest time one feed may take, every attempt and wait included: `deadline_seconds`."""


@dataclass(frozen=True)
class DownloadResult:
    """A complete download: where it is, its size and sha256, and how many attempts it took."""

    path: Path
    size_bytes: int
    sha256: str
    attempts: int
    content_type: str | None


@dataclass(frozen=True)
class PullLimits:
    """How long and how much one feed download may take."""

    attempts: int = 5
    timeout_seconds: float = 30.0  # waiting for any one read or connection
    max_bytes: int = DEFAULT_MAX_BYTES
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS


class _Retryable(Exception):
    """One attempt failed in a way worth trying again (after `retry_after` when the server said)."""

    def __init__(
        self, reason: str, retry_after: float | None = None, asked: str | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.asked = asked  # the Retry-After header as sent


def safe_url(url: str, public: tuple[str, ...] = ()) -> str:
    """`url` without user:password and fragment, every query value replaced by *** except
    the `public` ones (the period slaengine put there itself: `month=2026-10` stays readable).

    Every other value, not only those named like secrets: a provider may call its key `k`.
    """
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    shown = [(name, value if value and value in public else "***") for name, value in pairs]
    query = urlencode(shown, safe="*{}")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def check_token(token: str, name: str = "the feed's token") -> None:
    """Refuse a token that cannot be sent in an HTTP header (never shows it); FeedPullError."""
    if not all("!" <= char <= "~" for char in token):
        raise FeedPullError(
            f"{name} holds a character that cannot be sent in an HTTP header (a space, a "
            "newline or a non-ASCII character): set it to the token alone; nothing was sent"
        )


class _RedactUrls(logging.Filter):
    """httpx logs every request's full URL at INFO: show it without secrets instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                safe_url(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


def _redact_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _RedactUrls) for existing in httpx_logger.filters):
        httpx_logger.addFilter(_RedactUrls())


def backoff_seconds(attempt: int) -> float:
    """Delay before the attempt after `attempt` (1-based): 1 s, 2 s, 4 s... capped at 60 s."""
    return float(min(BACKOFF_FIRST_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from Retry-After (delta-seconds or HTTP date), capped; None if absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_MAX_SECONDS)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_SECONDS)


def download(
    url: str,
    dest: Path,
    *,
    token: str | None = None,
    client: httpx.Client | None = None,
    timeout_seconds: float = 30.0,
    attempts: int = 5,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    public: tuple[str, ...] = (),
) -> DownloadResult:
    """GET `url` into `dest` (created or replaced only when the body is complete).

    Raises FeedPullError when authentication is refused, on any other 4xx, a redirect loop,
    a body over `max_bytes`, or once `attempts` tries have failed or `deadline_seconds` has
    passed; the message names the URL without secrets and never the token.
    """
    limits = PullLimits(attempts, timeout_seconds, max_bytes, deadline_seconds)
    if token is not None:
        check_token(token)
    _redact_httpx_logs()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    owned = client is None
    http = client or httpx.Client(follow_redirects=True)
    attempt = _Attempt(http, url, safe_url(url, public), dest, headers, limits, clock)
    # httpx has no overall timeout: a server dripping its headers is cut off by closing our
    # own client from a timer thread (the read in progress then fails at once).
    watchdog = threading.Timer(deadline_seconds, http.close) if owned else None
    if watchdog is not None:
        watchdog.daemon = True
        watchdog.start()
    try:
        return _with_retries(attempt, sleep)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if owned:
            http.close()


@dataclass
class _Attempt:
    """One feed's download: each call is one attempt, all within the same deadline."""

    http: httpx.Client
    url: str
    shown: str
    dest: Path
    headers: dict[str, str]
    limits: PullLimits
    clock: Callable[[], float]
    started: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float:
        return self.limits.deadline_seconds - (self.clock() - self.started)

    def __call__(self) -> DownloadResult:
        self.count += 1
        size, digest, content_type = _fetch(self)
        return DownloadResult(self.dest, size, digest, self.count, content_type)


def _with_retries(attempt: _Attempt, sleep: Callable[[float], None]) -> DownloadResult:
    limits = attempt.limits
    retrying = tenacity.Retrying(
        sleep=sleep,
        retry=tenacity.retry_if_exception_type(_Retryable),
        wait=_wait_seconds,
        stop=lambda state: _should_stop(attempt, state),
        before_sleep=lambda state: _log_retry(attempt, state),
        reraise=True,
    )
    try:
        return retrying(attempt)
    except _Retryable as failure:
        if attempt.count >= max(limits.attempts, 1):
            raise FeedPullError(
                f"{attempt.shown}: download failed after {attempt.count} attempt(s); "
                f"last: {failure.reason}"
            ) from None
        raise FeedPullError(
            f"{attempt.shown}: gave up after {attempt.count} attempt(s): another try would "
            f"pass the feed's deadline of {limits.deadline_seconds:g} s (deadline_seconds in "
            f"[[feeds]]); last: {failure.reason}{_asked(failure)}"
        ) from None


def _wait_seconds(state: tenacity.RetryCallState) -> float:
    """The server's Retry-After when it gave one, else exponential backoff."""
    failure = state.outcome.exception() if state.outcome else None
    if isinstance(failure, _Retryable) and failure.retry_after is not None:
        return failure.retry_after
    return backoff_seconds(state.attempt_number)


def _should_stop(attempt: _Attempt, state: tenacity.RetryCallState) -> bool:
    """Out of attempts, or the next wait and a try would not fit before the deadline."""
    if state.attempt_number >= attempt.limits.attempts:
        return True
    return (state.upcoming_sleep or 0.0) >= attempt.remaining()


def _asked(failure: _Retryable) -> str:
    if failure.asked is None or not failure.asked.strip():
        return ""
    return f" (Retry-After: {failure.asked[:40]})"


def _log_retry(attempt: _Attempt, state: tenacity.RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome else None
    reason = failure.reason if isinstance(failure, _Retryable) else str(failure)
    logger.warning(
        "feed download %s failed (attempt %d of %d): %s; retrying in %.1f s",
        attempt.shown, state.attempt_number, attempt.limits.attempts, reason,
        state.upcoming_sleep,
    )  # fmt: skip


def _fetch(attempt: _Attempt) -> tuple[int, str, str | None]:
    timeout = max(min(attempt.limits.timeout_seconds, attempt.remaining()), 0.001)
    try:
        with attempt.http.stream(
            "GET", attempt.url, headers=attempt.headers, timeout=timeout
        ) as response:
            _check_status(response, attempt.shown)
            _check_declared_size(response, attempt)
            size, digest = _stream_to(response, attempt)
            return size, digest, response.headers.get("content-type")
    except httpx.TimeoutException:
        _stop_past_deadline(attempt, "")
        raise _Retryable(f"timed out (no data for {timeout:g} s)") from None
    except httpx.TooManyRedirects:
        raise FeedPullError(
            f"{attempt.shown}: redirected more than {attempt.http.max_redirects} times "
            "(a redirect loop?); not retried: check the feed's url"
        ) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        raise FeedPullError(f"{attempt.shown}: not a usable http(s) URL: {error}") from None
    except httpx.TransportError as error:
        _stop_past_deadline(attempt, "")
        raise _Retryable(f"connection failed ({type(error).__name__})") from None
    except httpx.HTTPError as error:  # e.g. a body that cannot be decompressed
        raise _Retryable(f"download failed ({type(error).__name__})") from None
    except OSError as error:
        raise FeedPullError(
            f"{attempt.shown}: cannot write {attempt.dest}: {error.strerror}"
        ) from None


def _check_status(response: httpx.Response, shown: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in (401, 403):
        raise FeedPullError(
            f"{shown}: authentication was refused (HTTP {status}); check the feed's token "
            "(token_env in config.toml) and that it grants access to this URL"
        )
    if status == 429 or status >= 500:
        asked = response.headers.get("retry-after")
        raise _Retryable(f"HTTP {status}", parse_retry_after(asked), asked)
    raise FeedPullError(f"{shown}: HTTP {status} {response.reason_phrase}; not retried")


def _check_declared_size(response: httpx.Response, attempt: _Attempt) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > attempt.limits.max_bytes:
        raise FeedPullError(_too_big(attempt, f"announces {int(declared):,} bytes"))


def _too_big(attempt: _Attempt, what: str) -> str:
    limit = attempt.limits.max_bytes
    return (
        f"{attempt.shown}: the feed {what}, more than its limit of {limit:,} bytes "
        "(max_bytes in [[feeds]]); nothing was kept: raise max_bytes if the file is right"
    )


def _stream_to(response: httpx.Response, attempt: _Attempt) -> tuple[int, str]:
    """Write the body to a temporary file beside `dest`, check its length, then rename it."""
    dest = attempt.dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as out:
            for chunk in response.iter_bytes():  # as it arrives: the deadline is checked often
                size += len(chunk)
                _check_progress(attempt, size)
                out.write(chunk)
                digest.update(chunk)
        _check_length(response, size)
        os.replace(temporary, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return size, digest.hexdigest()


def _check_progress(attempt: _Attempt, size: int) -> None:
    if size > attempt.limits.max_bytes:
        raise FeedPullError(_too_big(attempt, "sent more than that"))
    _stop_past_deadline(attempt, f"{size:,} bytes had arrived; ")


def _stop_past_deadline(attempt: _Attempt, arrived: str) -> None:
    if attempt.remaining() <= 0:
        raise FeedPullError(
            f"{attempt.shown}: the download did not finish within the feed's deadline of "
            f"{attempt.limits.deadline_seconds:g} s (deadline_seconds in [[feeds]]); "
            f"{arrived}nothing was kept"
        )


def _check_length(response: httpx.Response, size: int) -> None:
    declared = response.headers.get("content-length")
    if declared is None or not declared.isdigit():
        return
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    # Content-Length counts the bytes on the wire: compressed ones when the body is encoded.
    received = response.num_bytes_downloaded if encoded else size
    if received != int(declared):
        raise _Retryable(f"body truncated: received {received} of {declared} bytes")
