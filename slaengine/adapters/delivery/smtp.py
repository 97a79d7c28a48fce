"""E-mail over SMTP: build a message with PDF attachments, send it with retries (tenacity).

STARTTLS (`starttls`) or implicit TLS (`tls`, port 465) and login when configured; the
password comes from the environment variable that `[delivery] smtp_password_env` names, never
from the file. A login is refused without TLS (the password would cross the network in clear)
unless `allow_plaintext_login` says the server is a relay on this machine. A password or user
name outside ASCII is sent as UTF-8 with AUTH PLAIN (RFC 4616), or refused, naming no
character of it, when the server does not offer PLAIN. Retried with exponential backoff:
connection failures, timeouts, dropped connections and 4xx replies (the server's "try again
later"). Not retried: 5xx replies (recipient or sender refused, authentication refused).
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from slaengine.config import Delivery
from slaengine.errors import ConfigError, DeliveryError

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True)
class Mail:
    """One e-mail: who from and to, subject, plain-text body (and an HTML alternative),
    attachments, a stable Message-ID."""

    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None
    html: str | None = None


def build_message(mail: Mail) -> EmailMessage:
    """The MIME message: text body (with its HTML alternative), then each attachment."""
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    if mail.message_id:
        message["Message-ID"] = mail.message_id
    message.set_content(mail.body)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for item in mail.attachments:
        main, _, sub = item.mime_type.partition("/")
        message.add_attachment(item.content, maintype=main, subtype=sub, filename=item.filename)
    return message


def is_transient(error: BaseException) -> bool:
    """Worth another attempt: 4xx replies, dropped or refused connections, timeouts."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPNotSupportedError):
        return False
    return isinstance(error, OSError)  # SMTPServerDisconnected, ConnectionRefused, timeouts


def check_delivery(delivery: Delivery) -> None:
    """ConfigError naming the `[delivery]` key whose value has the wrong type."""
    port = delivery.smtp_port
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"config: [delivery] smtp_port must be a port number, found {port!r}")
    for flag in ("starttls", "tls", "allow_plaintext_login"):
        value = getattr(delivery, flag)
        if not isinstance(value, bool):
            raise ConfigError(f"config: [delivery] {flag} must be true or false, found {value!r}")
    if delivery.starttls and delivery.tls:
        raise ConfigError(
            "config: [delivery] starttls and tls are both true: choose one (tls = true for"
            " implicit TLS on port 465, starttls = true for port 587 or 25)"
        )
    hours = delivery.resend_unconfirmed_after_hours
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours <= 1e6:
        raise ConfigError(
            "config: [delivery] resend_unconfirmed_after_hours must be a number of hours"
            f" (0 to 1000000), found {hours!r}"
        )
    for key in ("smtp_host", "sender", "smtp_user", "smtp_password_env", "webhook_url"):
        if not isinstance(getattr(delivery, key), str):
            raise ConfigError(f"config: [delivery] {key} must be a string")
    if not all(isinstance(address, str) and "@" in address for address in delivery.director):
        raise ConfigError(
            "config: [delivery] director must be a list of e-mail addresses,"
            f" found {list(delivery.director)!r}"
        )


def password_of(delivery: Delivery, environ: Mapping[str, str]) -> str | None:
    """The SMTP password from the variable named by smtp_password_env (DeliveryError if unset)."""
    if not delivery.smtp_user:
        return None
    if not (delivery.starttls or delivery.tls or delivery.allow_plaintext_login):
        raise DeliveryError(
            f"[delivery] smtp_user is set but neither starttls nor tls is true: the password would"
            f" cross the network to {delivery.smtp_host}:{delivery.smtp_port} in clear, so"
            " slaengine does not log in; set starttls = true (port 587) or tls = true (port"
            " 465), or allow_plaintext_login = true for a relay on this machine; nothing was sent",
            attempts=0,
        )
    name = delivery.smtp_password_env
    if not name or not environ.get(name):
        shown = name or "(smtp_password_env is empty)"
        raise DeliveryError(
            f"[delivery] smtp_user is {delivery.smtp_user!r} but the password variable {shown}"
            " is not set: export it (the password is never written in config.toml)"
        )
    return environ[name]


def send_mail(
    delivery: Delivery,
    mail: Mail,
    *,
    environ: Mapping[str, str],
    attempts: int = 4,
    wait_seconds: float = 2.0,
    tls_context: ssl.SSLContext | None = None,
) -> int:
    """Send `mail` through `[delivery]`'s server; returns the attempts it took.

    Raises DeliveryError naming the server and the last reason once retries are exhausted or
    the failure is permanent.
    """
    check_delivery(delivery)
    if not mail.recipients:
        raise DeliveryError("[delivery] director is empty: no one to send the monthly close to")
    password = password_of(delivery, environ)
    message = build_message(mail)
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=wait_seconds, max=60),
        retry=retry_if_exception(is_transient),
        reraise=True,
    )
    try:
        retrying(_send_once, delivery, message, password, tls_context)
    except (smtplib.SMTPException, OSError, UnicodeError, _NoUtf8Login) as error:
        tries = int(retrying.statistics.get("attempt_number", 1))
        raise DeliveryError(
            f'e-mail "{mail.subject}" to {", ".join(mail.recipients)} via'
            f" {delivery.smtp_host}:{delivery.smtp_port} failed after {tries} attempt(s):"
            f" {_reason(error)}",
            attempts=tries,
        ) from None
    return int(retrying.statistics.get("attempt_number", 1))


class _NoUtf8Login(Exception):
    """The login holds non-ASCII characters and the server offers no AUTH PLAIN."""


def _send_once(
    delivery: Delivery,
    message: EmailMessage,
    password: str | None,
    tls_context: ssl.SSLContext | None,
) -> None:
    context = tls_context or ssl.create_default_context()
    host, port = delivery.smtp_host, delivery.smtp_port
    with (
        smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
        if delivery.tls
        else smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    ) as smtp:
        if delivery.starttls:
            smtp.starttls(context=context)
        if delivery.smtp_user and password is not None:
            _login(smtp, delivery.smtp_user, password)
        smtp.send_message(message)


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login for ASCII; AUTH PLAIN in UTF-8 (RFC 4616) otherwise."""
    if user.isascii() and password.isascii():
        smtp.login(user, password)
        return
    smtp.ehlo_or_helo_if_needed()
    offered = smtp.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in offered:
        raise _NoUtf8Login(
            "the SMTP user name or password holds characters outside ASCII, which can only be"
            " sent with AUTH PLAIN, and the server offers "
            + (", ".join(offered) or "no AUTH")
            + ": use an ASCII password or a server that offers AUTH PLAIN"
        )
    secret = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", "PLAIN " + secret)
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode(errors="replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"server replied {error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "recipients refused: " + ", ".join(sorted(error.recipients))
    if isinstance(error, UnicodeError):  # its text would quote the character (maybe a secret's)
        return (
            "a character of the login, an address or the message cannot be encoded for this"
            " server (characters outside ASCII)"
        )
    return str(error) or type(error).__name__
