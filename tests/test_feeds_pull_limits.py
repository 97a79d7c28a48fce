"""Bounded pulls against real loopback servers: deadline, size cap, redirect loops, bad tokens,
redacted URLs, and a SIGTERM that leaves no temporary folder behind."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from slaengine.adapters.feeds.pull import DEFAULT_DEADLINE_SECONDS, DEFAULT_MAX_BYTES, download
from slaengine.config import FeedSource
from slaengine.errors import ConfigError, FeedPullError
from tests.conftest import CONTRACTS, ROOT
from tests.test_feeds_pull import CONTACTS_CSV, TOKEN, acme_settings, counts, leftovers

pytest_plugins = ["tests.test_feeds_pull"]  # the `acme` fixture


class HostileServer:
    """A loopback server that answers every request with one hostile behaviour."""

    def __init__(self, behaviour: str, **options: Any) -> None:
        self.behaviour = behaviour
        self.options = options
        self.requests: list[str] = []
        self.stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.csv"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                getattr(server, server.behaviour)(self)

        return Handler

    def drip(self, handler: BaseHTTPRequestHandler) -> None:
        """Headers at once, then one byte every `every` seconds."""
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        while not self.stop.wait(self.options.get("every", 0.2)):
            handler.wfile.write(b"x")
            handler.wfile.flush()

    def slow_headers(self, handler: BaseHTTPRequestHandler) -> None:
        """The status line, then one byte of a never-ending header every 0.1 s."""
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not self.stop.wait(0.1):
            handler.wfile.write(b"a")
            handler.wfile.flush()

    def busy(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(503)
        handler.send_header("Retry-After", self.options.get("retry_after", "1"))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def announce(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(self.options["size"]))
        handler.end_headers()
        handler.wfile.write(b"a,b\n")

    def flood(self, handler: BaseHTTPRequestHandler) -> None:
        """No Content-Length: the body ends when the connection closes (never, unless cut)."""
        handler.send_response(200)
        handler.end_headers()
        block = b"1,2\n" * 16384
        sent = 0
        while not self.stop.is_set() and sent < 64 * 1024 * 1024:
            handler.wfile.write(block)
            sent += len(block)
        self.options["sent"] = sent

    def loop(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def missing(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(404)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileServer]]:
    servers: list[HostileServer] = []

    def start(behaviour: str, **options: Any) -> HostileServer:
        servers.append(HostileServer(behaviour, **options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_server_dripping_one_byte_at_a_time_is_cut_off_at_the_deadline(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("drip", every=0.1)
    started = time.monotonic()
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", timeout_seconds=1, deadline_seconds=1.5)
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 2.5
    message = str(caught.value)
    assert message.startswith(
        f"{server.url}: the download did not finish within the feed's deadline of 1.5 s "
        "(deadline_seconds in [[feeds]]); "
    )
    assert message.endswith("nothing was kept")  # with the bytes seen, unless the timer won
    assert (len(server.requests), leftovers(tmp_path)) == (1, [])


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("slow_headers")
    started = time.monotonic()
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", timeout_seconds=1, deadline_seconds=1.5)
    assert 1.5 <= time.monotonic() - started < 2.5
    assert str(caught.value) == (
        f"{server.url}: the download did not finish within the feed's deadline of 1.5 s "
        "(deadline_seconds in [[feeds]]); nothing was kept"
    )
    assert (len(server.requests), leftovers(tmp_path)) == (1, [])


def test_a_retry_after_past_the_deadline_gives_up_at_once(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("busy", retry_after="999999")
    started = time.monotonic()
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", deadline_seconds=60)  # real sleep
    assert time.monotonic() - started < 1.0
    assert str(caught.value) == (
        f"{server.url}: gave up after 1 attempt(s): another try would pass the feed's deadline "
        "of 60 s (deadline_seconds in [[feeds]]); last: HTTP 503 (Retry-After: 999999)"
    )
    assert len(server.requests) == 1


def test_retries_stop_when_the_next_backoff_would_pass_the_deadline(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("busy", retry_after="")  # no Retry-After: backoff 1 s, then 2 s
    started = time.monotonic()
    with pytest.raises(FeedPullError, match=r"gave up after 2 attempt\(s\).*last: HTTP 503$"):
        download(server.url, tmp_path / "f.csv", deadline_seconds=2.5)
    assert 1.0 <= time.monotonic() - started < 2.0
    assert len(server.requests) == 2


def test_a_body_announced_over_max_bytes_is_refused_before_it_is_read(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("announce", size=2 * 1024**3)
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", max_bytes=1_000_000, sleep=lambda _: None)
    assert str(caught.value) == (
        f"{server.url}: the feed announces 2,147,483,648 bytes, more than its limit of "
        "1,000,000 bytes (max_bytes in [[feeds]]); nothing was kept: raise max_bytes if the "
        "file is right"
    )
    assert (len(server.requests), leftovers(tmp_path)) == (1, [])


def test_a_body_without_length_is_cut_off_past_max_bytes(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("flood")
    started = time.monotonic()
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", max_bytes=1_000_000, sleep=lambda _: None)
    assert time.monotonic() - started < 3.0
    assert str(caught.value) == (
        f"{server.url}: the feed sent more than that, more than its limit of 1,000,000 bytes "
        "(max_bytes in [[feeds]]); nothing was kept: raise max_bytes if the file is right"
    )
    assert (len(server.requests), leftovers(tmp_path)) == (1, [])


def test_a_redirect_loop_is_reported_in_words_and_not_retried(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    server = hostile("loop")
    with pytest.raises(FeedPullError) as caught:
        download(server.url + "?k=s3cret", tmp_path / "f.csv", sleep=lambda _: None)
    assert str(caught.value) == (
        f"{server.url}?k=***: redirected more than 20 times (a redirect loop?); not retried: "
        "check the feed's url"
    )
    assert len(server.requests) == 21  # the first request and 20 redirects, once


@pytest.mark.parametrize("token", ["abc\ndef", "abc def", "jeton-é", "abc\r\nX-Evil: 1"])
def test_a_token_that_cannot_be_a_header_is_refused_before_any_request(
    tmp_path: Path, hostile: Callable[..., HostileServer], token: str
) -> None:
    server = hostile("missing")
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", token=token, sleep=lambda _: None)
    assert str(caught.value) == (
        "the feed's token holds a character that cannot be sent in an HTTP header (a space, a "
        "newline or a non-ASCII character): set it to the token alone; nothing was sent"
    )
    assert server.requests == []


def test_pull_names_the_variable_of_a_bad_token_never_its_value(
    acme: Any, tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    server = hostile("missing")
    with pytest.raises(FeedPullError) as caught:
        pull_feeds(acme, acme_settings(server.url, tmp_path), "acme-l1", "2026-10",
                   environ={"ACME_FEED_TOKEN": "s3cret\n"})  # fmt: skip
    assert str(caught.value) == (
        "feed contacts of contract acme-l1: the variable ACME_FEED_TOKEN holds a character "
        "that cannot be sent in an HTTP header (a space, a newline or a non-ASCII character): "
        "set it to the token alone; nothing was sent"
    )
    assert "s3cret" not in str(caught.value)
    assert server.requests == []


def test_every_query_value_is_redacted_in_messages_and_logs(
    tmp_path: Path, hostile: Callable[..., HostileServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = hostile("missing")
    with caplog.at_level(logging.DEBUG), pytest.raises(FeedPullError) as caught:
        download(server.url + "?k=AAA1&month=2026-10&s=BBB2", tmp_path / "f.csv")
    assert (
        str(caught.value) == f"{server.url}?k=***&month=***&s=***: HTTP 404 Not Found; not retried"
    )
    assert f"GET {server.url}?k=***&month=***&s=***" in caplog.text
    for secret in ("AAA1", "BBB2"):
        assert secret not in caplog.text
    assert server.requests == ["/feed.csv?k=AAA1&month=2026-10&s=BBB2"]


def test_max_bytes_and_the_deadline_come_from_the_feed_configuration(
    acme: Any, tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    server = hostile("announce", size=1000)
    settings = acme_settings(server.url, tmp_path, max_bytes=999, deadline_seconds=5)
    with pytest.raises(FeedPullError, match=r"more than its limit of 999 bytes"):
        pull_feeds(acme, settings, "acme-l1", "2026-10", environ={"ACME_FEED_TOKEN": TOKEN})
    assert counts(acme) == (0, 0)


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("max_bytes", 0, "max_bytes in [[feeds]] must be a positive number, found 0"),
        ("max_bytes", 1.5, "max_bytes in [[feeds]] must be a whole number of bytes, found 1.5"),
        ("deadline_seconds", "soon",
         "deadline_seconds in [[feeds]] must be a positive number, found 'soon'"),
    ],
)  # fmt: skip
def test_a_bad_limit_is_a_configuration_error(
    acme: Any, tmp_path: Path, option: str, value: object, problem: str
) -> None:
    from slaengine.services.pull import pull_feeds

    settings = acme_settings("http://127.0.0.1:9/feed.csv", tmp_path, **{option: value})
    with pytest.raises(ConfigError) as caught:
        pull_feeds(acme, settings, "acme-l1", "2026-10", environ={"ACME_FEED_TOKEN": TOKEN})
    assert str(caught.value) == f"feed contacts of contract acme-l1: {problem}"


def test_the_configured_defaults_are_the_documented_ones() -> None:
    feed = FeedSource(contract="c", kind="contacts", url="http://x")
    assert (feed.max_bytes, DEFAULT_MAX_BYTES) == (512 * 1024 * 1024, 512 * 1024 * 1024)
    assert (feed.deadline_seconds, DEFAULT_DEADLINE_SECONDS) == (300.0, 300.0)


def test_sigterm_during_a_pull_removes_its_temporary_folder(
    tmp_path: Path, hostile: Callable[..., HostileServer]
) -> None:
    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.services.contracts import load_contracts

    database = f"sqlite:///{tmp_path / 'pull.db'}"
    engine = make_engine(database)
    create_schema(engine)
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    engine.dispose()
    server = hostile("drip", every=0.05)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{database}"\n[[feeds]]\ncontract = "acme-l1"\nkind = "contacts"\n'
        f'url = "{server.url}"\n'
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "SLAENGINE_CONFIG": str(config), "TMPDIR": str(temporary)}
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "slaengine"), "feed", "pull", "acme-l1", "--period",
         "2026-10"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (server.requests and list(temporary.glob("slaengine-pull-*/*/.download.part.*"))):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert stderr == (
        "error: stopped by SIGTERM: the download in progress was removed; feeds already "
        "ingested stay stored\n"
    )
    assert list(temporary.iterdir()) == []
    assert CONTACTS_CSV  # the same feed served whole is ingested by test_feeds_pull
