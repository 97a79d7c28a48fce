"""Builders for the monthly close tests: two small contracts, their feeds, settings, servers."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from slaengine.config import Delivery, Schedule, Settings
from slaengine.services.contracts import load_contracts
from slaengine.services.feeds import ingest_feed

# October 2026 settles (approximation: month end + longest threshold, none here) at
# 2026-11-01T00:00+01:00; the close runs after that.
AFTER_OCTOBER = datetime(2026, 11, 2, 7, tzinfo=UTC)
HEADER = (
    "contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds,"
    "resolved_first_contact,csat,nps"
)


def contract_text(contract_id: str) -> str:
    """One objective: average speed of answer <= 30 s; a breach costs 10% x 10,000 = 1,000 EUR."""
    return f"""apiVersion: slaengine/v1
kind: Contract
id: {contract_id}
version: 1
title: Test contract {contract_id}
provider: {{id: p-{contract_id}, name: Provider {contract_id}, sourcing: outsourced}}
activity: act-{contract_id}
effective: {{from: 2026-01-01}}
timezone: Europe/Paris
currency: EUR
objectives:
  - id: phone-asa
    channel: phone
    kpi: average_speed_of_answer
    target: "<= 30s"
    window: month
    level: key
credits:
  monthly_fee: 10000.00
  at_risk: 10%
  pool: 100%
  allocation:
    phone-asa: 100%
"""


def contacts_csv(folder: Path, contract_id: str, waits: tuple[int, ...]) -> Path:
    """Answered phone calls on 2026-10-05 at 09:00 local, waiting `waits` seconds each."""
    lines = [HEADER]
    for n, wait in enumerate(waits):
        lines.append(
            f"{contract_id}-{n},phone,default,2026-10-05T09:{n:02d}:00+02:00,"
            f"2026-10-05T09:{n:02d}:{wait:02d}+02:00,,120,true,5,9"
        )
    path = folder / f"{contract_id}-2026-10.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_world(engine: Engine, folder: Path) -> None:
    """`breaching` (ASA 35 s: breached, 1,000.00 EUR) and `meeting` (ASA 15 s: met)."""
    contracts = folder / "contracts"
    contracts.mkdir(exist_ok=True)
    for contract_id, waits in (("breaching", (20, 50)), ("meeting", (10, 20))):
        (contracts / f"{contract_id}.yaml").write_text(contract_text(contract_id))
        load_contracts(engine, [contracts / f"{contract_id}.yaml"])
        ingest_feed(
            engine,
            contract_id,
            "contacts",
            contacts_csv(folder, contract_id, waits),
            received_at=AFTER_OCTOBER,
        )


def settings_for(
    folder: Path, smtp_port: int = 1, *, locale: str = "en_GB", **delivery: Any
) -> Settings:
    return Settings(
        locale=locale,
        database_url=f"sqlite:///{folder / 'unused.db'}",
        contracts_dir=folder / "contracts",
        reports_dir=folder / "reports",
        schedule=Schedule(timezone="Europe/Paris"),
        delivery=replace(
            Delivery(
                smtp_host="127.0.0.1",
                smtp_port=smtp_port,
                sender="slaengine@example.com",
                director=("director@example.com", "cfo@example.com"),
            ),
            **delivery,
        ),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the loopback SMTP server received: (envelope recipients, parsed message)."""

    received: list[tuple[list[str], Message]] = field(default_factory=list)
    refuse_next: int = 0  # answer `refusal` to this many messages first
    refusal: str = "451 try again later"
    hold: threading.Event | None = None  # block the next message until set, then refuse it
    holding: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold is not None:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
            return "451 the test held this message"
        if self.refuse_next:
            self.refuse_next -= 1
            return self.refusal
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def smtp_server(mailbox: Mailbox, **options: Any) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a loopback port; yields the port."""
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def attachments(message: Message) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[name] = payload
    return found


class Hook:
    """A loopback HTTP server recording JSON POSTs; answers the statuses queued, then 204."""

    def __init__(self, path: str = "/alerts?token=abc") -> None:
        self.bodies: list[Any] = []
        self.statuses: list[int] = []
        self.keys: list[str | None] = []  # the Idempotency-Key of every POST received
        self.hold: threading.Event | None = None  # answer only once set (slower than a client)
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                hook.keys.append(self.headers.get("Idempotency-Key"))
                if hook.hold is not None:
                    hook.hold.wait()
                status = hook.statuses.pop(0) if hook.statuses else 204
                if status < 400:
                    hook.bodies.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@contextmanager
def webhook_server(path: str = "/alerts?token=abc") -> Iterator[Hook]:
    """A loopback HTTP server that records alerts (see Hook); `path` ends its URL."""
    server = Hook(path)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if server.hold is not None:
            server.hold.set()
        server.server.shutdown()
        server.server.server_close()
