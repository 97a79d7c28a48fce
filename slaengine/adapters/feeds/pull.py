"""Download one feed over HTTP: Bearer token, timeouts, retries with backoff, atomic file.

Retried: connection errors, timeouts, dropped or truncated bodies, 429 and 5xx (honouring
Retry-After, in seconds or as an HTTP date, capped). Not retried: 401/403 (authentication
refused) and every other 4xx. The body streams into a temporary file next to `dest` and is
renamed onto `dest` only when complete, so a partial download is never at `dest`. Messages and
logs show the URL without userinfo or secret-looking query values, and never the token.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from slaengine.errors import FeedPullError

logger = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
RETRY_AFTER_MAX_SECONDS = 300.0
CHUNK_BYTES = 1 << 16
_SECRET_QUERY_WORDS = ("token", "key", "secret", "password", "passwd", "sig", "auth", "credential")


@dataclass(frozen=True)
class DownloadResult:
    """A complete download: where it is, its size and sha256, and how many attempts it took."""

    path: Path
    size_bytes: int
    sha256: str
    attempts: int
    content_type: str | None


class _Retryable(Exception):
    """One attempt failed in a way worth trying again (after `retry_after` when the server said)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def safe_url(url: str) -> str:
    """`url` without user:password and with secret-looking query values replaced by ***."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = urlencode(
        [
            (name, "***" if _looks_secret(name) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*{}",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _looks_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_QUERY_WORDS)


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
    sleep: Callable[[float], None] = time.sleep,
) -> DownloadResult:
    """GET `url` into `dest` (created or replaced only when the body is complete).

    Raises FeedPullError when authentication is refused, on any other 4xx, or once `attempts`
    tries have failed; the message names the URL without secrets and never the token.
    """
    shown = safe_url(url)
    _redact_httpx_logs()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    owned = client is None
    http = client or httpx.Client(follow_redirects=True)
    try:
        return _download_with_retries(
            http, url, shown, dest, headers, timeout_seconds, attempts, sleep
        )
    finally:
        if owned:
            http.close()


def _download_with_retries(
    http: httpx.Client,
    url: str,
    shown: str,
    dest: Path,
    headers: dict[str, str],
    timeout_seconds: float,
    attempts: int,
    sleep: Callable[[float], None],
) -> DownloadResult:
    reason = "no attempt made"
    for attempt in range(1, max(attempts, 1) + 1):
        try:
            size, digest, content_type = _attempt(http, url, shown, dest, headers, timeout_seconds)
            return DownloadResult(dest, size, digest, attempt, content_type)
        except _Retryable as failure:
            reason = failure.reason
            if attempt >= attempts:
                break
            delay = (
                failure.retry_after if failure.retry_after is not None else backoff_seconds(attempt)
            )
            logger.warning(
                "feed download %s failed (attempt %d of %d): %s; retrying in %.1f s",
                shown, attempt, attempts, reason, delay,
            )  # fmt: skip
            sleep(delay)
    raise FeedPullError(f"{shown}: download failed after {attempts} attempt(s); last: {reason}")


def _attempt(
    http: httpx.Client,
    url: str,
    shown: str,
    dest: Path,
    headers: dict[str, str],
    timeout_seconds: float,
) -> tuple[int, str, str | None]:
    try:
        with http.stream("GET", url, headers=headers, timeout=timeout_seconds) as response:
            _check_status(response, shown)
            size, digest = _stream_to(response, dest)
            return size, digest, response.headers.get("content-type")
    except httpx.TimeoutException:
        raise _Retryable(f"timed out (no data for {timeout_seconds:g} s)") from None
    except httpx.TransportError as error:
        raise _Retryable(f"connection failed ({type(error).__name__})") from None
    except OSError as error:
        raise FeedPullError(f"{shown}: cannot write {dest}: {error.strerror}") from None


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
        raise _Retryable(f"HTTP {status}", parse_retry_after(response.headers.get("retry-after")))
    raise FeedPullError(f"{shown}: HTTP {status} {response.reason_phrase}; not retried")


def _stream_to(response: httpx.Response, dest: Path) -> tuple[int, str]:
    """Write the body to a temporary file beside `dest`, check its length, then rename it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as out:
            for chunk in response.iter_bytes(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        _check_length(response, size)
        os.replace(temporary, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return size, digest.hexdigest()


def _check_length(response: httpx.Response, size: int) -> None:
    declared = response.headers.get("content-length")
    if declared is None or not declared.isdigit():
        return
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    # Content-Length counts the bytes on the wire: compressed ones when the body is encoded.
    received = response.num_bytes_downloaded if encoded else size
    if received != int(declared):
        raise _Retryable(f"body truncated: received {received} of {declared} bytes")
