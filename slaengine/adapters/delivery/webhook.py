"""Webhook alerts: one JSON POST, retried with exponential backoff (tenacity).

Retried: connection failures, timeouts, 429 and 5xx replies. Not retried: other 4xx (the
receiver refuses this alert; sending it again would not help).
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from slaengine.adapters.feeds.pull import safe_url
from slaengine.errors import DeliveryError

TIMEOUT_SECONDS = 10.0


class _Refused(Exception):
    """The receiver answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the receiver answered HTTP {status}")
        self.status = status


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
) -> int:
    """POST `payload` as JSON to `url`; returns the attempts it took, else raises DeliveryError."""
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=wait_seconds, max=30),
        retry=retry_if_exception(_transient),
        reraise=True,
    )
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS)
    try:
        retrying(_post_once, http, url, payload)
    except (_Refused, httpx.HTTPError) as error:
        tries = retrying.statistics.get("attempt_number", 1)
        raise DeliveryError(
            f"webhook {safe_url(url)} failed after {tries} attempt(s): {error}"
        ) from None
    finally:
        if own:
            http.close()
    return int(retrying.statistics.get("attempt_number", 1))


def _post_once(client: httpx.Client, url: str, payload: dict[str, Any]) -> None:
    response = client.post(url, json=payload)
    if response.status_code >= 400:
        raise _Refused(response.status_code)
