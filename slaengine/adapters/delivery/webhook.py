"""Webhook alerts: one JSON POST, retried with exponential backoff (tenacity).

Retried: connection failures, timeouts, 429 and 5xx replies. Not retried: other 4xx (the
receiver refuses this alert; sending it again would not help).

Every attempt of one alert carries the same `Idempotency-Key` header, so a receiver that
answered too slowly (a read timeout here, a success there) can drop the copies. Webhook URLs
put their credential in the path (Slack, Teams, Discord): messages show a URL only as
`redact_webhook` gives it, scheme, host and a hash of the whole URL.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from slaengine.errors import DeliveryError

TIMEOUT_SECONDS = 10.0
IDEMPOTENCY_HEADER = "Idempotency-Key"


class _Refused(Exception):
    """The receiver answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the receiver answered HTTP {status}")
        self.status = status


def redact_webhook(url: str) -> str:
    """`scheme://host[:port]/… (sha256 XXXXXXXXXXXX)`: no path, query, user or password.

    The hash is the first 12 hex digits of the URL's SHA-256, to tell configured URLs apart:
    `printf %s "$URL" | sha256sum | cut -c1-12`.
    """
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not even a URL: nothing of it is shown
        return f"(unreadable URL, sha256 {digest})"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}/… (sha256 {digest})"


class _RedactWebhooks(logging.Filter):
    """httpx logs each request's URL at INFO: a webhook's is shown as `redact_webhook` gives it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, str] = {}  # a secret-bearing piece of a URL -> the URL shown

    def remember(self, url: str) -> None:
        try:
            parts = urlsplit(url)
        except ValueError:
            return
        for piece in (parts.path, parts.query):
            if len(piece) > 1:
                self.urls[piece] = redact_webhook(url)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._shown(arg) for arg in record.args)
        return True

    def _shown(self, arg: object) -> object:
        text = str(arg)
        for piece, shown in self.urls.items():
            if piece in text:
                return shown
        return arg


def _redact_in_logs(url: str) -> None:
    httpx_logger = logging.getLogger("httpx")
    found = [item for item in httpx_logger.filters if isinstance(item, _RedactWebhooks)]
    redactor = found[0] if found else _RedactWebhooks()
    if not found:
        httpx_logger.filters.insert(0, redactor)  # before any filter that keeps the path
    redactor.remember(url)


def _transient(error: BaseException) -> bool:
    if isinstance(error, _Refused):
        return error.status == 429 or error.status >= 500
    return isinstance(error, httpx.TransportError)


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    client: httpx.Client | None = None,
    attempts: int = 4,
    wait_seconds: float = 1.0,
    idempotency_key: str | None = None,
) -> int:
    """POST `payload` as JSON to `url`; returns the attempts it took.

    Raises DeliveryError (its `attempts` counts every try made, the URL redacted) on any
    failure, including a URL httpx cannot use.
    """
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=wait_seconds, max=30),
        retry=retry_if_exception(_transient),
        reraise=True,
    )
    headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else {}
    _redact_in_logs(url)
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        retrying(_post_once, http, url, payload, headers)
    except (_Refused, httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as error:
        tries = int(retrying.statistics.get("attempt_number", 1))
        raise DeliveryError(
            f"webhook {redact_webhook(url)} failed after {tries} attempt(s): {_reason(error, url)}",
            attempts=tries,
        ) from None
    finally:
        if own:
            http.close()
    return int(retrying.statistics.get("attempt_number", 1))


def _post_once(
    client: httpx.Client, url: str, payload: dict[str, Any], headers: dict[str, str]
) -> None:
    response = client.post(url, json=payload, headers=headers)
    if response.status_code >= 400:
        raise _Refused(response.status_code)


def _reason(error: BaseException, url: str) -> str:
    """The error's text with every secret-bearing piece of the URL cut out."""
    if isinstance(error, _Refused):
        return str(error)
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    try:
        parts = urlsplit(url)
        pieces = [url, parts.path, parts.query, parts.netloc.rpartition("@")[0]]
    except ValueError:
        pieces = [url]
    for piece in sorted((piece for piece in pieces if len(piece) > 1), key=len, reverse=True):
        text = text.replace(piece, "…")
    return text
