"""Delivery's secrets and failures: webhook URLs, SMTP passwords, TLS, idempotent alerts.

Real servers on loopback: aiosmtpd (with a self-signed certificate made by openssl for TLS)
and an HTTP server whose answers a test can hold back, so a client timeout always hits.
"""

from __future__ import annotations

import json
import logging
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from slaengine.adapters.delivery.smtp import Mail, send_mail
from slaengine.adapters.delivery.webhook import post_json, redact_webhook
from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.cli import main
from slaengine.config import Delivery, Settings, load_settings
from slaengine.errors import ConfigError, DeliveryError
from slaengine.services.month_to_date import month_to_date
from tests.close_builders import (
    AFTER_OCTOBER,
    Hook,
    Mailbox,
    load_world,
    settings_for,
    smtp_server,
    webhook_server,
)

MORNING = AFTER_OCTOBER.replace(month=10, day=6, hour=8)  # 10:00 in Paris, October open
ALERT_KEY = "webhook:breaching:phone-asa:2026-10-06"
SLACK_SECRET = "T000FAKE/B000FAKE/XXXXsecretXXXXsecretXXXX"
MAIL = Mail(
    sender="slaengine@example.com",
    recipients=("director@example.com",),
    subject="SLA monthly close 2026-10",
    body="Monthly SLA close for 2026-10.\n",
    message_id="<slaengine-close-2026-10-g0@example.com>",
)
PASSWORD = "pässwörd-ü€"  # every character outside ASCII is one a traceback could show


# -- 9. a malformed webhook_url ------------------------------------------------------------


def config_file(folder: Path, delivery: str) -> Path:
    path = folder / "config.toml"
    path.write_text(f"[delivery]\n{delivery}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "url",
    ["http://[::1/x", "ftp://example.com/hook", "hooks.example.com/T0/secret", "https:///x"],
)
def test_a_malformed_webhook_url_is_refused_when_the_configuration_is_read(
    tmp_path: Path, url: str
) -> None:
    path = config_file(tmp_path, f'webhook_url = "{url}"')
    with pytest.raises(ConfigError, match=r"\[delivery\] webhook_url is not a usable URL") as e:
        load_settings({"SLAENGINE_CONFIG": str(path)})
    assert url not in str(e.value) and "::1" not in str(e.value) and "T0" not in str(e.value)


def test_a_usable_webhook_url_and_an_empty_one_are_accepted(tmp_path: Path) -> None:
    for url in ("", "https://hooks.slack.com/services/T0/B0/abc", "http://127.0.0.1:8080/x"):
        path = config_file(tmp_path, f'webhook_url = "{url}"')
        assert load_settings({"SLAENGINE_CONFIG": str(path)}).delivery.webhook_url == url


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Settings:
    load_world(engine, tmp_path)
    return settings_for(tmp_path)


def with_webhook(settings: Settings, url: str) -> Settings:
    return replace(settings, delivery=replace(settings.delivery, webhook_url=url))


def test_a_malformed_webhook_url_that_reaches_delivery_ends_the_run_failed(
    engine: Engine, world: Settings
) -> None:
    report = month_to_date(
        engine, with_webhook(world, "http://[::1/x"), as_of=MORNING, webhook_options={}
    )
    assert report.outcome == "failed"
    [run] = run_repo.runs_of(engine, "month_to_date", "2026-10-06")
    assert run.outcome == "failed"
    assert run.error is not None and "breaching: alerted: webhook" in run.error
    assert "InvalidURL" in run.error and "[::1/x" not in run.error
    failed = run_repo.delivery(engine, ALERT_KEY)
    assert failed is not None and (failed.status, failed.attempts) == ("failed", 1)


def test_the_command_line_names_a_malformed_webhook_url_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    config = config_file(tmp_path, 'webhook_url = "http://[::1/x"')
    config.write_text(f'[database]\nurl = "{url}"\n' + config.read_text())
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    result = CliRunner().invoke(main, ["run", "month-to-date", "--json"])
    assert result.exit_code == 1
    assert "error: config: [delivery] webhook_url is not a usable URL" in result.stderr
    assert "Traceback" not in result.output and "[::1/x" not in result.output


# -- 12. secrets in a webhook URL's path; every attempt counted ----------------------------


def test_a_webhook_url_is_shown_as_scheme_host_and_a_hash() -> None:
    url = f"https://user:pw@hooks.slack.com/services/{SLACK_SECRET}?token=abc#frag"
    shown = redact_webhook(url)
    assert shown.startswith("https://hooks.slack.com/… (sha256 ")
    assert len(shown.rpartition(" ")[2]) == 13  # 12 hex digits and the parenthesis
    assert redact_webhook(url) == shown and redact_webhook(url + "x") != shown
    for secret in ("user", "pw", "services", "T000FAKE", "token", "abc", "frag"):
        assert secret not in shown


@pytest.fixture
def slack() -> Iterator[Hook]:
    with webhook_server(f"/services/{SLACK_SECRET}") as server:
        yield server


def test_a_webhook_secret_reaches_neither_the_ledger_nor_the_delivery_log(
    engine: Engine, world: Settings, slack: Hook
) -> None:
    slack.statuses = [503, 503, 503, 503]
    report = month_to_date(
        engine, with_webhook(world, slack.url), as_of=MORNING, webhook_options={"wait_seconds": 0}
    )
    assert report.outcome == "failed"
    assert len(slack.keys) == 4
    [run] = run_repo.runs_of(engine, "month_to_date", "2026-10-06")
    failed = run_repo.delivery(engine, ALERT_KEY)
    assert failed is not None and failed.attempts == 4
    assert failed.last_error == (
        f"webhook {redact_webhook(slack.url)} failed after 4 attempt(s):"
        " the receiver answered HTTP 503"
    )
    for text in (run.error, failed.last_error, json.dumps(report.as_json())):
        assert text is not None and "FAKE" not in text and "secret" not in text
        assert "services" not in text


def test_a_transport_error_text_is_cut_of_the_url() -> None:
    url = f"http://127.0.0.1:9/services/{SLACK_SECRET}"

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    with pytest.raises(DeliveryError) as caught:
        post_json(url, {"n": 1}, client=client, attempts=3, wait_seconds=0)
    assert caught.value.attempts == 3
    assert str(caught.value) == (
        f"webhook {redact_webhook(url)} failed after 3 attempt(s): ConnectError: cannot reach …"
    )


def test_the_command_line_prints_no_webhook_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack: Hook
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    create_schema(engine)
    load_world(engine, tmp_path)
    engine.dispose()
    config = config_file(tmp_path, f'webhook_url = "{slack.url}"')
    config.write_text(
        f'[database]\nurl = "{url}"\n[schedule]\ntimezone = "Europe/Paris"\n' + config.read_text()
    )
    monkeypatch.setenv("SLAENGINE_CONFIG", str(config))
    slack.statuses = [400, 400]  # refused: not retried, so no backoff waits
    for options in (["--json"], []):
        result = CliRunner().invoke(
            main, ["run", "month-to-date", "--as-of", "2026-10-06T10:00:00+02:00", *options]
        )
        assert result.exit_code == 1
        assert "the receiver answered HTTP 400" in result.output
        assert "FAKE" not in result.output and "secret" not in result.output
    history = CliRunner().invoke(main, ["run", "history", "--json"])
    assert "FAKE" not in history.output and "HTTP 400" in history.output


# -- also: a receiver slower than the timeout gets one key for every copy -------------------


def test_a_slow_receiver_gets_every_attempt_under_one_idempotency_key(
    engine: Engine, world: Settings, hook_slow: Hook
) -> None:
    settings = with_webhook(world, hook_slow.url)
    with httpx.Client(timeout=0.3) as client:  # the receiver answers only when released
        report = month_to_date(
            engine, settings, as_of=MORNING, client=client, webhook_options={"wait_seconds": 0}
        )
    assert report.outcome == "failed"
    assert hook_slow.keys == [ALERT_KEY] * 4  # it got the alert 4 times, and can tell
    failed = run_repo.delivery(engine, ALERT_KEY)
    assert failed is not None and (failed.status, failed.attempts) == ("failed", 4)
    assert failed.last_error is not None and "ReadTimeout" in failed.last_error
    assert hook_slow.hold is not None
    hook_slow.hold.set()  # the receiver is quick again: the next run sends it once more
    later = MORNING.replace(hour=18)
    assert month_to_date(engine, settings, as_of=later, webhook_options={}).outcome == "done"
    assert hook_slow.keys == [ALERT_KEY] * 5
    sent = run_repo.delivery(engine, ALERT_KEY)
    assert sent is not None and (sent.status, sent.attempts) == ("sent", 5)


@pytest.fixture
def hook_slow() -> Iterator[Hook]:
    with webhook_server() as server:
        server.hold = threading.Event()
        yield server


# -- 10 and 11. SMTP passwords: never in clear, any character sent or refused cleanly ------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.fail("the TLS tests need the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Logins:
    """An aiosmtpd authenticator that records (user, password) bytes and accepts PASSWORD."""

    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        self.seen.append((data.login, data.password))
        return AuthResult(success=data.password == PASSWORD.encode(), handled=False)


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def login_settings(port: int, **extra: Any) -> Delivery:
    return Delivery(
        smtp_host="127.0.0.1",
        smtp_port=port,
        sender=MAIL.sender,
        smtp_user="mailer",
        smtp_password_env="SMTP_PASSWORD",
        **extra,
    )


def test_a_non_ascii_password_is_sent_as_utf8_with_auth_plain(
    certificate: tuple[Path, Path],
) -> None:
    logins, box = Logins(), Mailbox()
    options = {
        "tls_context": server_tls(certificate),
        "require_starttls": True,
        "authenticator": logins,
    }
    with smtp_server(box, **options) as port:
        send_mail(
            login_settings(port, starttls=True),
            MAIL,
            environ={"SMTP_PASSWORD": PASSWORD},
            tls_context=ssl.create_default_context(cafile=str(certificate[0])),
        )
    assert logins.seen == [(b"mailer", PASSWORD.encode("utf-8"))]
    assert len(box.received) == 1


def test_a_non_ascii_password_without_auth_plain_is_refused_showing_none_of_it(
    certificate: tuple[Path, Path],
) -> None:
    logins, box = Logins(), Mailbox()
    options = {
        "tls_context": server_tls(certificate),
        "require_starttls": True,
        "authenticator": logins,
        "auth_exclude_mechanism": ["PLAIN"],
    }
    with smtp_server(box, **options) as port, pytest.raises(DeliveryError) as caught:
        send_mail(
            login_settings(port, starttls=True),
            MAIL,
            environ={"SMTP_PASSWORD": PASSWORD},
            tls_context=ssl.create_default_context(cafile=str(certificate[0])),
            wait_seconds=0,
        )
    message = str(caught.value)
    assert "outside ASCII, which can only be sent with AUTH PLAIN" in message
    assert "the server offers LOGIN" in message
    assert not set(PASSWORD) - set("pswrd-") & set(message)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert logins.seen == [] and box.received == []


def test_a_login_without_tls_is_refused_before_connecting() -> None:
    logins, box = Logins(), Mailbox()
    with (
        smtp_server(box, authenticator=logins, auth_require_tls=False) as port,
        pytest.raises(DeliveryError) as caught,
    ):
        send_mail(login_settings(port), MAIL, environ={"SMTP_PASSWORD": PASSWORD})
    assert "neither starttls nor tls is true: the password would cross the network" in str(
        caught.value
    )
    assert "allow_plaintext_login = true for a relay on this machine" in str(caught.value)
    assert logins.seen == [] and box.received == []


def test_a_plaintext_login_is_made_only_when_the_configuration_allows_it() -> None:
    logins, box = Logins(), Mailbox()
    with smtp_server(box, authenticator=logins, auth_require_tls=False) as port:
        settings = login_settings(port, allow_plaintext_login=True)
        send_mail(settings, MAIL, environ={"SMTP_PASSWORD": PASSWORD})
    assert logins.seen == [(b"mailer", PASSWORD.encode())]
    assert len(box.received) == 1


def test_implicit_tls_logs_in_over_an_encrypted_connection(
    certificate: tuple[Path, Path],
) -> None:
    logins, box = Logins(), Mailbox()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; here every byte is TLS from the start
    options = {"ssl_context": server_tls(certificate), "auth_require_tls": False}
    with smtp_server(box, authenticator=logins, **options) as port:
        send_mail(
            login_settings(port, tls=True),
            MAIL,
            environ={"SMTP_PASSWORD": PASSWORD},
            tls_context=ssl.create_default_context(cafile=str(certificate[0])),
        )
    assert logins.seen == [(b"mailer", PASSWORD.encode())]
    assert len(box.received) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tls": "yes"}, "tls must be true or false, found 'yes'"),
        ({"allow_plaintext_login": 1}, "allow_plaintext_login must be true or false"),
        ({"tls": True, "starttls": True}, "starttls and tls are both true: choose one"),
        ({"resend_unconfirmed_after_hours": -1}, "must be a number of hours"),
    ],
)
def test_the_new_delivery_settings_are_checked(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        send_mail(replace(login_settings(1), **change), MAIL, environ={})


def test_httpx_request_logs_show_no_webhook_secret(
    slack: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"):
        assert post_json(slack.url, {"n": 1}, idempotency_key="k") == 1
    assert [record.getMessage() for record in caplog.records if record.name == "httpx"] == [
        f'HTTP Request: POST {redact_webhook(slack.url)} "HTTP/1.0 204 No Content"'
    ]
    assert "FAKE" not in caplog.text
