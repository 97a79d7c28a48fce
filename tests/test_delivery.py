"""E-mail through a real SMTP server (aiosmtpd) and webhooks through a real HTTP server,
both on loopback."""

from __future__ import annotations

import hashlib
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from slaengine.adapters.delivery.smtp import Attachment, Mail, check_delivery, send_mail
from slaengine.adapters.delivery.webhook import post_json
from slaengine.config import Delivery
from slaengine.errors import ConfigError, DeliveryError
from tests.close_builders import Hook, Mailbox, attachments, smtp_server, webhook_server

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
MAIL = Mail(
    sender="slaengine@example.com",
    recipients=("director@example.com", "cfo@example.com"),
    subject="SLA monthly close 2026-10: 1 breach, credits owed 1,000.00 EUR",
    body="Monthly SLA close for 2026-10.\n",
    attachments=(Attachment("portfolio-2026-10.pdf", PDF), Attachment("a.pdf", b"%PDF-x")),
    message_id="<slaengine-close-2026-10-g0@example.com>",
)


def delivery(port: int, **extra: Any) -> Delivery:
    return Delivery(smtp_host="127.0.0.1", smtp_port=port, sender=MAIL.sender, **extra)


def test_the_message_reaches_every_recipient_with_its_attachments_byte_for_byte() -> None:
    box = Mailbox()
    with smtp_server(box) as port:
        assert send_mail(delivery(port), MAIL, environ={}) == 1
    [(recipients, message)] = box.received
    assert recipients == ["director@example.com", "cfo@example.com"]
    assert message["Subject"] == MAIL.subject
    assert message["To"] == "director@example.com, cfo@example.com"
    assert attachments(message) == {"portfolio-2026-10.pdf": PDF, "a.pdf": b"%PDF-x"}
    assert [part.get_content_type() for part in message.walk()][1:] == [
        "text/plain",
        "application/pdf",
        "application/pdf",
    ]


def test_a_permanent_refusal_is_not_retried() -> None:
    class Refusing(Mailbox):
        calls = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Refusing.calls += 1
            return "550 no such mailbox"

    with (
        smtp_server(Refusing()) as port,
        pytest.raises(DeliveryError, match="failed after 1 attempt\\(s\\): server replied 550"),
    ):
        send_mail(delivery(port), MAIL, environ={}, wait_seconds=0)
    assert Refusing.calls == 1


def test_a_server_that_is_down_is_retried_then_reported() -> None:
    with smtp_server(Mailbox()) as port:
        pass  # stopped: nothing listens on the port any more
    with pytest.raises(DeliveryError, match=f"via 127.0.0.1:{port} failed after 3 attempt"):
        send_mail(delivery(port), MAIL, environ={}, attempts=3, wait_seconds=0)


def test_a_login_without_its_password_variable_is_refused_before_connecting() -> None:
    settings = delivery(1, smtp_user="mailer", smtp_password_env="SMTP_PASSWORD", starttls=True)
    with pytest.raises(DeliveryError, match="password variable SMTP_PASSWORD is not set"):
        send_mail(settings, MAIL, environ={})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the STARTTLS test needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_starttls_and_login_use_the_password_from_the_environment(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    box = Mailbox()
    options = {"tls_context": server_tls, "require_starttls": True, "authenticator": authenticator}
    with smtp_server(box, **options) as port:
        settings = delivery(
            port, smtp_user="mailer", smtp_password_env="SMTP_PASSWORD", starttls=True
        )
        client_tls = ssl.create_default_context(cafile=str(cert))
        send_mail(settings, MAIL, environ={"SMTP_PASSWORD": "s3cret"}, tls_context=client_tls)
        with pytest.raises(DeliveryError, match="server replied 535"):
            send_mail(settings, MAIL, environ={"SMTP_PASSWORD": "wrong"}, tls_context=client_tls)
    assert logins[0] == (b"mailer", b"s3cret")
    assert set(logins[1:]) == {(b"mailer", b"wrong")}  # smtplib tries PLAIN, then LOGIN
    assert len(box.received) == 1


@pytest.fixture
def hook() -> Iterator[Hook]:
    with webhook_server() as server:
        yield server


def test_a_webhook_is_posted_as_json(hook: Hook) -> None:
    assert post_json(hook.url, {"contract": "acme-l1", "value": 0.71}) == 1
    assert hook.bodies == [{"contract": "acme-l1", "value": 0.71}]


def test_server_errors_and_429_are_retried(hook: Hook) -> None:
    hook.statuses = [503, 429]
    assert post_json(hook.url, {"n": 1}, wait_seconds=0) == 3
    assert hook.bodies == [{"n": 1}]


def test_a_refused_alert_is_not_retried_and_the_message_hides_the_token(hook: Hook) -> None:
    hook.statuses = [400]
    with pytest.raises(DeliveryError) as caught:
        post_json(hook.url, {"n": 1}, wait_seconds=0)
    digest = hashlib.sha256(hook.url.encode()).hexdigest()[:12]
    assert str(caught.value) == (
        f"webhook http://127.0.0.1:{hook.server.server_address[1]}/… (sha256 {digest}) failed"
        " after 1 attempt(s): the receiver answered HTTP 400"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"smtp_port": "25"}, "smtp_port must be a port number, found '25'"),
        ({"starttls": "yes"}, "starttls must be true or false, found 'yes'"),
        ({"director": ("boss",)}, "director must be a list of e-mail addresses"),
    ],
)
def test_wrongly_typed_delivery_settings_name_their_key(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        check_delivery(replace(delivery(25), **change))
