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
