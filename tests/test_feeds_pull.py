"""Pulling feeds over HTTP: retries, Retry-After, refusals, atomic files, secrets kept secret."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slaengine.adapters.feeds.pull import download, parse_retry_after, safe_url
from slaengine.errors import FeedPullError

TOKEN = "s3cret-token-123"
BODY = b"contact_id,channel\n" + b"".join(b"c%d,phone\n" % i for i in range(2000))


class ScriptedServer:
    """A real HTTP server on loopback answering each request with the next scripted step."""

    def __init__(self, steps: list[str], body: bytes = BODY) -> None:
        self.steps = list(steps)
        self.body = body
        self.requests: list[dict[str, str]] = []
        self.release = threading.Event()
        handler = self._handler()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/acme/contacts.csv"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append({"path": self.path, **dict(self.headers.items())})
                step = server.steps.pop(0) if server.steps else "ok"
                server.act(self, step)

        return Handler

    def act(self, handler: BaseHTTPRequestHandler, step: str) -> None:
        if step == "stall":
            server_waits = self.release.wait(5)
            del server_waits
            return
        if step == "drop":
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(self.body)))
            handler.end_headers()
            handler.wfile.write(self.body[:100])
            handler.wfile.flush()
            handler.close_connection = True
            return
        if step == "ok":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/csv")
            handler.send_header("Content-Length", str(len(self.body)))
            handler.end_headers()
            handler.wfile.write(self.body)
            return
        status, _, retry_after = step.partition(" ")
        handler.send_response(int(status))
        if retry_after:
            handler.send_header("Retry-After", retry_after)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def serve() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(steps: list[str], body: bytes = BODY) -> ScriptedServer:
        server = ScriptedServer(steps, body).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


# --- a real server on loopback -----------------------------------------------------------------


def test_a_flaky_server_is_retried_until_the_whole_file_arrives(
    tmp_path: Path, serve: Callable[..., ScriptedServer], delays: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    server = serve(["500", "stall", "429 7", "drop", "ok"])
    dest = tmp_path / "contacts.csv"
    with caplog.at_level(logging.DEBUG):
        result = download(
            server.url, dest, token=TOKEN, timeout_seconds=0.5, attempts=5, sleep=delays.append
        )
    assert (result.path, result.attempts, result.size_bytes) == (dest, 5, len(BODY))
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert result.content_type == "text/csv"
    assert dest.read_bytes() == BODY
    # Backoff 1 s, 2 s, then the server's Retry-After of 7 s, then backoff 8 s.
    assert delays == [1.0, 2.0, 7.0, 8.0]
    assert [request["Authorization"] for request in server.requests] == [f"Bearer {TOKEN}"] * 5
    assert leftovers(tmp_path) == ["contacts.csv"]
    assert TOKEN not in caplog.text
    ours = [r for r in caplog.records if r.name == "slaengine.adapters.feeds.pull"]
    assert [record.getMessage().split(": ", 1)[1] for record in ours] == [
        "HTTP 500; retrying in 1.0 s",
        "timed out (no data for 0.5 s); retrying in 2.0 s",
        "HTTP 429; retrying in 7.0 s",
        "connection failed (RemoteProtocolError); retrying in 8.0 s",
    ]


def test_refused_authentication_is_not_retried_and_never_shows_the_token(
    tmp_path: Path, serve: Callable[..., ScriptedServer], delays: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    server = serve(["401"])
    url = server.url.replace("http://", "http://user:pw@") + "?month=2026-08&api_key=k3y"
    with caplog.at_level(logging.DEBUG), pytest.raises(FeedPullError) as caught:
        download(url, tmp_path / "contacts.csv", token=TOKEN, sleep=delays.append)
    shown = f"{server.url}?month=***&api_key=***"
    assert str(caught.value) == (
        f"{shown}: authentication was refused (HTTP 401); check the feed's token "
        "(token_env in config.toml) and that it grants access to this URL"
    )
    assert (len(server.requests), delays, leftovers(tmp_path)) == (1, [], [])
    assert f'HTTP Request: GET {shown} "HTTP/1.0 401 Unauthorized"' in caplog.text
    for secret in (TOKEN, "k3y", "pw@"):
        assert secret not in str(caught.value)
        assert secret not in caplog.text


def test_a_forbidden_feed_is_refused_the_same_way(
    tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    server = serve(["403"])
    with pytest.raises(FeedPullError, match=r"authentication was refused \(HTTP 403\)"):
        download(server.url, tmp_path / "f.csv", token=TOKEN, sleep=lambda _: None)
    assert len(server.requests) == 1


def test_a_missing_feed_is_not_retried(
    tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    server = serve(["404"])
    with pytest.raises(FeedPullError) as caught:
        download(server.url, tmp_path / "f.csv", sleep=lambda _: None)
    assert str(caught.value) == f"{server.url}: HTTP 404 Not Found; not retried"
    assert len(server.requests) == 1
    assert "Authorization" not in server.requests[0]


def test_a_download_cut_short_every_time_leaves_the_previous_file_untouched(
    tmp_path: Path, serve: Callable[..., ScriptedServer], delays: list[float]
) -> None:
    server = serve(["drop", "drop", "drop"])
    dest = tmp_path / "contacts.csv"
    dest.write_bytes(b"yesterday's file")
    with pytest.raises(FeedPullError) as caught:
        download(server.url, dest, attempts=3, sleep=delays.append)
    assert str(caught.value) == (
        f"{server.url}: download failed after 3 attempt(s); "
        "last: connection failed (RemoteProtocolError)"
    )
    assert dest.read_bytes() == b"yesterday's file"
    assert leftovers(tmp_path) == ["contacts.csv"]
    assert (len(server.requests), delays) == (3, [1.0, 2.0])


def test_an_unreachable_server_is_retried_then_reported(
    tmp_path: Path, delays: list[float]
) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        port = probe.server_address[1]
    url = f"http://127.0.0.1:{port}/feed.csv"
    with pytest.raises(FeedPullError) as caught:
        download(url, tmp_path / "f.csv", attempts=2, sleep=delays.append)
    assert str(caught.value) == (
        f"{url}: download failed after 2 attempt(s); last: connection failed (ConnectError)"
    )
    assert (delays, leftovers(tmp_path)) == ([1.0], [])


# --- the retry policy, with httpx.MockTransport ------------------------------------------------


def mock_client(
    answers: list[httpx.Response | Exception],
) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(transport=httpx.MockTransport(handle)), seen


def test_server_errors_back_off_exponentially_up_to_the_attempt_limit(
    tmp_path: Path, delays: list[float]
) -> None:
    client, seen = mock_client([httpx.Response(503) for _ in range(5)])
    with pytest.raises(
        FeedPullError, match=r"download failed after 5 attempt\(s\); last: HTTP 503$"
    ):
        download(
            "https://feeds.example.net/f.csv",
            tmp_path / "f.csv",
            client=client,
            sleep=delays.append,
        )
    assert (len(seen), delays) == (5, [1.0, 2.0, 4.0, 8.0])


def test_connection_errors_and_timeouts_are_retried(tmp_path: Path, delays: list[float]) -> None:
    client, seen = mock_client(
        [
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, content=b"a,b\n"),
        ]
    )
    result = download(
        "https://x.example/f.csv", tmp_path / "f.csv", client=client, sleep=delays.append
    )
    assert (result.attempts, result.size_bytes, len(seen), delays) == (3, 4, 3, [1.0, 2.0])


def test_a_body_shorter_than_its_content_length_is_retried(
    tmp_path: Path, delays: list[float]
) -> None:
    short = httpx.Response(
        200, headers={"Content-Length": "100"}, stream=httpx.ByteStream(b"a,b\n")
    )
    client, _ = mock_client([short, httpx.Response(200, content=b"a,b\n1,2\n")])
    dest = tmp_path / "f.csv"
    result = download("https://x.example/f.csv", dest, client=client, sleep=delays.append)
    assert (result.attempts, dest.read_bytes(), delays) == (2, b"a,b\n1,2\n", [1.0])


def test_a_body_always_too_short_is_never_left_at_dest(tmp_path: Path) -> None:
    short = [
        httpx.Response(200, headers={"Content-Length": "100"}, stream=httpx.ByteStream(b"a,b\n"))
        for _ in range(2)
    ]
    client, _ = mock_client(list(short))
    with pytest.raises(FeedPullError, match=r"last: body truncated: received 4 of 100 bytes$"):
        download("https://x.example/f.csv", tmp_path / "f.csv", client=client, attempts=2,
                 sleep=lambda _: None)  # fmt: skip
    assert leftovers(tmp_path) == []


def test_a_destination_that_cannot_be_written_is_reported_without_retrying(tmp_path: Path) -> None:
    client, seen = mock_client([httpx.Response(200, content=b"a,b\n")])
    dest = tmp_path / "taken"
    dest.mkdir()
    with pytest.raises(FeedPullError) as caught:
        download("https://x.example/f.csv", dest, client=client, sleep=lambda _: None)
    assert str(caught.value) == f"https://x.example/f.csv: cannot write {dest}: Is a directory"
    assert (len(seen), leftovers(tmp_path)) == (1, ["taken"])


def test_retry_after_as_an_http_date_is_honoured(tmp_path: Path, delays: list[float]) -> None:
    client, _ = mock_client(
        [httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}),
         httpx.Response(200, content=b"x")]
    )  # fmt: skip
    download("https://x.example/f.csv", tmp_path / "f.csv", client=client, sleep=delays.append,
             deadline_seconds=1000)  # fmt: skip
    assert delays == [300.0]  # far in the future: capped at five minutes


def test_retry_after_is_read_as_seconds_or_a_date_and_capped() -> None:
    now = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("100000", now) == 300.0
    assert parse_retry_after("Thu, 01 Oct 2026 12:00:42 GMT", now) == 42.0
    assert parse_retry_after("Thu, 01 Oct 2026 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@given(
    password=st.text(alphabet="abcdefXYZ0123456789", min_size=6, max_size=20),
    token=st.text(alphabet="abcdefXYZ0123456789-_", min_size=6, max_size=40),
    name=st.sampled_from(["token", "api_key", "access_token", "Signature", "client_secret"]),
)
def test_no_password_or_secret_query_value_survives_in_a_shown_url(
    password: str, token: str, name: str
) -> None:
    shown = safe_url(f"https://u:SEC{password}@h.example/p?month=2026-10&{name}=TOK{token}")
    assert f"SEC{password}" not in shown and f"TOK{token}" not in shown
    assert shown == f"https://h.example/p?month=***&{name}=***"


def test_a_url_is_shown_without_userinfo_or_any_query_value() -> None:
    url = "https://bob:hunter2@feeds.example.net/acme?month=2026-10&token=abc&X-Amz-Signature=f00"
    assert safe_url(url) == (
        "https://feeds.example.net/acme?month=***&token=***&X-Amz-Signature=***"
    )


# --- pull_feeds: download, then the same ingestion as files -------------------------------------

CONTACTS_CSV = (
    b"contact_id,channel,queue,arrived_at,answered_at,abandoned_at,handle_seconds\n"
    b"c1,phone,default,2026-10-01T09:00:00+02:00,2026-10-01T09:00:15+02:00,,120\n"
    b"c2,phone,,2026-10-01T09:01:00+02:00,,2026-10-01T09:01:40+02:00,\n"
    b"c3,phone,,2026-10-01T09:02:00,,,\n"
)
BANK_HEADER = (
    "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,q_exit,"
    "q_time,outcome,ser_start,ser_exit,ser_time,server\n"
)
BANK_CSV = (
    BANK_HEADER + "AA0101,1,0,0,PS,1999-08-02,9:00:00,9:00:20,20,"
    "9:00:20,9:00:50,30,AGENT,9:00:49,9:03:00,131,ANN\n"
    + "AA0102,1,0,0,PS,1999-08-02,9:01:00,9:01:20,20,"
    "9:01:20,9:01:40,20,HANG,0:00:00,0:00:00,0,NO_SERVER\n"
    + "AA0103,1,0,0,PS,1999-08-02,9:02:00,9:02:20,20,"
    "0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER\n"
    + "AA0104,1,0,0,PS,1999-08-02,9:03:00,9:03:20,20,"
    "9:03:20,9:03:25,5,PHANTOM,9:03:24,9:03:27,3,NO_SERVER\n"
).encode()


def counts(engine: Any) -> tuple[int, int]:
    from sqlalchemy import func, select

    from slaengine.adapters.columnar.read import stored_rows
    from slaengine.adapters.storage.feed_store import FEED_FILE

    with engine.connect() as connection:
        files = connection.execute(select(func.count()).select_from(FEED_FILE)).scalar_one()
    return int(files), stored_rows(engine)["contacts"]


def acme_settings(url: str, tmp_path: Path, **feed: Any) -> Any:
    from slaengine.config import FeedSource, Settings

    source = FeedSource(
        contract="acme-l1", kind="contacts", url=url, token_env="ACME_FEED_TOKEN", **feed
    )
    return Settings(feeds=(source,), source=tmp_path / "config.toml")


@pytest.fixture
def acme(engine: Any) -> Any:
    from slaengine.services.contracts import load_contracts

    from .conftest import CONTRACTS

    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    return engine


def test_pull_feeds_downloads_with_the_token_then_ingests_like_a_file(
    acme: Any, tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    server = serve(["503 0", "ok"], body=CONTACTS_CSV)
    settings = acme_settings(server.url + "?month={period}", tmp_path)
    (outcome,) = pull_feeds(
        acme, settings, "acme-l1", "2026-10", environ={"ACME_FEED_TOKEN": TOKEN}
    )
    report = outcome.ingest
    assert (report.rows, report.stored, report.quarantined) == (3, 2, 1)
    assert (outcome.download.attempts, outcome.url) == (2, server.url + "?month=2026-10")
    assert [r["path"] for r in server.requests] == ["/acme/contacts.csv?month=2026-10"] * 2
    assert server.requests[-1]["Authorization"] == f"Bearer {TOKEN}"
    assert counts(acme) == (1, 2)
    assert (report.source, report.file_name) == (server.url + "?month=2026-10", "contacts.csv")
    assert TOKEN not in str(outcome.as_json()) and TOKEN not in outcome.summary_line()


def test_a_pulled_provider_export_goes_through_its_mapping(
    acme: Any, tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    from .conftest import ROOT

    server = serve(["ok"], body=BANK_CSV)
    settings = acme_settings(server.url, tmp_path, mapping="contracts/mappings/anonymous-bank.toml")
    settings = type(settings)(feeds=settings.feeds, source=ROOT / "config.toml")
    (outcome,) = pull_feeds(
        acme, settings, "acme-l1", "1999-08", environ={"ACME_FEED_TOKEN": TOKEN}
    )
    assert (outcome.ingest.rows, outcome.ingest.stored, outcome.ingest.quarantined) == (4, 2, 0)
    assert (outcome.ingest.reasons, outcome.ingest.dropped) == ({}, 2)
    assert outcome.ingest.dropped_reasons == {
        "mapping_drop:not_queued_left_in_the_ivr": 1,
        "mapping_drop:outcome_phantom": 1,
    }


def test_pulling_the_same_bytes_again_changes_nothing(
    acme: Any, tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    server = serve(["ok", "ok"], body=CONTACTS_CSV)
    settings = acme_settings(server.url, tmp_path)
    environ = {"ACME_FEED_TOKEN": TOKEN}
    (first,) = pull_feeds(acme, settings, "acme-l1", "2026-10", environ=environ)
    (again,) = pull_feeds(acme, settings, "acme-l1", "2026-10", environ=environ)
    assert (first.ingest.unchanged, again.ingest.unchanged) == (False, True)
    assert again.ingest.file_id == first.ingest.file_id
    assert counts(acme) == (1, 2)
    assert again.summary_line() == (
        f"contacts from {server.url}: {len(CONTACTS_CSV)} bytes in 1 attempt(s); rows 3, "
        "stored 2, quarantined 1 (same file as before: nothing changed)"
    )


def test_a_file_name_without_a_suffix_takes_it_from_the_content_type(
    acme: Any, tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    server = serve(["ok"], body=CONTACTS_CSV)
    url = server.url.replace("contacts.csv", "export")
    settings = acme_settings(url, tmp_path)
    (outcome,) = pull_feeds(
        acme, settings, "acme-l1", "2026-10", environ={"ACME_FEED_TOKEN": TOKEN}
    )
    assert (outcome.ingest.file_name, outcome.ingest.stored) == ("export.csv", 2)


def test_a_garbage_body_is_refused_and_nothing_is_stored(
    acme: Any, tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    from slaengine.errors import FeedRefused
    from slaengine.services.pull import pull_feeds

    server = serve(["ok"], body=b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe garbage")
    settings = acme_settings(server.url, tmp_path)
    with pytest.raises(FeedRefused):
        pull_feeds(acme, settings, "acme-l1", "2026-10", environ={"ACME_FEED_TOKEN": TOKEN})
    assert counts(acme) == (0, 0)


def test_a_missing_token_variable_is_named_before_any_request(
    acme: Any, tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    from slaengine.services.pull import pull_feeds

    server = serve(["ok"], body=CONTACTS_CSV)
    with pytest.raises(FeedPullError) as caught:
        pull_feeds(acme, acme_settings(server.url, tmp_path), "acme-l1", "2026-10", environ={})
    assert str(caught.value) == (
        "feed contacts of contract acme-l1: the token variable ACME_FEED_TOKEN (token_env in "
        "config.toml) is not set; export it and retry"
    )
    assert server.requests == []


def test_a_contract_without_feeds_lists_the_contracts_that_have_some(
    acme: Any, tmp_path: Path
) -> None:
    from slaengine.errors import ConfigError
    from slaengine.services.pull import pull_feeds

    with pytest.raises(ConfigError) as caught:
        pull_feeds(acme, acme_settings("http://x", tmp_path), "nordline-overflow", "2026-10")
    assert str(caught.value) == (
        f"{tmp_path / 'config.toml'}: no [[feeds]] entry for contract 'nordline-overflow'; "
        "feeds are configured for: acme-l1"
    )


# --- the command line --------------------------------------------------------------------------


def test_feed_pull_rejects_a_malformed_period_as_a_usage_error() -> None:
    from click.testing import CliRunner

    from slaengine.cli import main

    result = CliRunner().invoke(main, ["feed", "pull", "acme-l1", "--period", "2026-13"])
    assert result.exit_code == 2
    assert "expected a month as YYYY-MM (e.g. 2026-10), found '2026-13'" in result.output


def test_feed_pull_prints_json_outcomes(
    tmp_path: Path, serve: Callable[..., ScriptedServer]
) -> None:
    import json

    from click.testing import CliRunner

    from slaengine.adapters.storage.engine import create_schema, make_engine
    from slaengine.cli import main
    from slaengine.services.contracts import load_contracts

    from .conftest import CONTRACTS

    database = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(database)
    create_schema(engine)
    load_contracts(engine, [CONTRACTS / "acme-l1.yaml"])
    engine.dispose()
    server = serve(["ok"], body=CONTACTS_CSV)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "{database}"\n[[feeds]]\ncontract = "acme-l1"\nkind = "contacts"\n'
        f'url = "{server.url}?month={{period}}"\ntoken_env = "ACME_FEED_TOKEN"\n'
    )
    env = {"SLAENGINE_CONFIG": str(config), "ACME_FEED_TOKEN": TOKEN}
    result = CliRunner().invoke(
        main, ["feed", "pull", "acme-l1", "--period", "2026-10", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    (printed,) = json.loads(result.stdout)
    assert (printed["url"], printed["attempts"], printed["ingest"]["stored"]) == (
        f"{server.url}?month=2026-10", 1, 2,
    )  # fmt: skip
    assert TOKEN not in result.output


def test_a_mapping_on_a_feed_that_is_not_contacts_is_a_configuration_error(
    acme: Any, tmp_path: Path
) -> None:
    from dataclasses import replace

    from slaengine.errors import ConfigError
    from slaengine.services.pull import pull_feeds

    settings = acme_settings("http://x", tmp_path, mapping="bank.toml")
    settings = replace(settings, feeds=(replace(settings.feeds[0], kind="intervals"),))
    with pytest.raises(ConfigError) as caught:
        pull_feeds(acme, settings, "acme-l1", "2026-10", environ={"ACME_FEED_TOKEN": TOKEN})
    assert str(caught.value) == (
        "feed intervals of contract acme-l1: a mapping turns a provider export into the contacts "
        'annex; remove `mapping` or set kind = "contacts"'
    )


def test_feed_pull_has_help_naming_its_options() -> None:
    from click.testing import CliRunner

    from slaengine.cli import main

    result = CliRunner().invoke(main, ["feed", "pull", "--help"])
    assert result.exit_code == 0
    assert "Usage: main feed pull [OPTIONS] CONTRACT" in result.output
    assert "--period YYYY-MM" in result.output and "--json" in result.output


def test_the_default_period_is_the_current_month_in_the_schedule_zone() -> None:
    from slaengine.cli.feed_pull import current_period

    new_year_in_paris = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert current_period("Europe/Paris", new_year_in_paris) == "2027-01"
    assert current_period("UTC", new_year_in_paris) == "2026-12"


def test_an_unknown_schedule_zone_is_a_configuration_error() -> None:
    from slaengine.cli.feed_pull import current_period
    from slaengine.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        current_period("Mars/Olympus")
    assert str(caught.value) == (
        "config: [schedule] timezone 'Mars/Olympus' is not an IANA zone name (e.g. Europe/Paris)"
    )


def test_the_period_slaengine_puts_in_a_url_is_shown_every_other_value_hidden() -> None:
    url = "https://feeds.example.net/acme?month=2026-10&token=s3cret&k=2026-10x"
    assert safe_url(url, ("2026-10",)) == (
        "https://feeds.example.net/acme?month=2026-10&token=***&k=***"
    )
    assert safe_url(url) == "https://feeds.example.net/acme?month=***&token=***&k=***"
