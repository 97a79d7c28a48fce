"""The unattended close as a director receives it: the real scheduler process (libfaketime)
catches up a missed monthly close on a French (then English) setup and e-mails it through a
real SMTP server on loopback. The e-mail and every attached PDF are read back: one language
throughout, providers by name, the contract that received no data said to have received none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from slaengine.adapters.storage import run_repo
from slaengine.adapters.storage.engine import create_schema, make_engine
from slaengine.services.contracts import load_contracts
from tests.close_builders import Mailbox, attachments, contract_text, load_world, smtp_server
from tests.test_scheduler_end_to_end import LIBFAKETIME, Scheduler, config_text, wait_for

pytestmark = pytest.mark.skipif(
    LIBFAKETIME is None,
    reason="needs libfaketime (Debian package faketime) to move the scheduler's clock",
)

EXPECTED = {
    "fr_FR": {
        "subject": (
            "Clôture SLA d’octobre 2026\u00a0: 1 objectif manqué, 1\u202f000,00\u00a0€ de pénalités"
            " dues\u00a0; aucune donnée reçue pour 1 contrat"
        ),
        "text": [
            "Clôture SLA d’octobre 2026\n",
            "Provider breaching (externalisé, breaching v1)\n"
            "  Objectifs manqués\u00a0: 1 (phone-asa)\n"
            "  Pénalités nettes dues\u00a0: 1\u202f000,00\u00a0€\n",
            "Provider meeting (externalisé, meeting v1)\n  Objectifs manqués\u00a0: 0\n",
            "Provider silent (externalisé, silent v1)\n"
            "  Objectifs manqués\u00a0: aucune donnée reçue\n",
            "Contrats en vigueur sans données\n"
            "- Provider silent (silent)\u00a0: aucune donnée reçue pour octobre 2026"
            " (attendu\u00a0: flux contacts ou intervalles, canaux\u00a0: téléphone)\n",
        ],
        "html": ["<th", "Prestataire", "Objectifs manqués", "aucune donnée reçue", 'lang="fr"'],
        "pdf": ["Portefeuille", "définitif", "Aucune donnée reçue pour octobre 2026"],
    },
    "en_GB": {
        "subject": (
            "SLA close of October 2026: 1 objective missed, €1,000.00 credits due; no data"
            " received for 1 contract"
        ),
        "text": [
            "SLA close of October 2026\n",
            "Provider breaching (outsourced, breaching v1)\n  Objectives missed: 1 (phone-asa)\n"
            "  Net credits owed: €1,000.00\n",
            "Provider silent (outsourced, silent v1)\n  Objectives missed: no data received\n",
            "Contracts in force with no data\n- Provider silent (silent): no data received for"
            " October 2026 (expected: contacts or intervals feed, channels: phone)\n",
        ],
        "html": ["<th", "Provider", "Objectives missed", "no data received", 'lang="en"'],
        "pdf": ["Director portfolio", "final", "No data received for October 2026"],
    },
}
# sentences of the other language that must not appear anywhere in the PDFs
FOREIGN = {
    "fr_FR": [
        "Director portfolio",
        "Monthly provider scorecard",
        "every contract",
        "objective",
        "Objectives",
        "breached",
        "credits owed",
        "no data received",
        "Provider portfolio",
        "Evaluated as of",
    ],
    "en_GB": ["Portefeuille", "définitif", "objectif", "pénalités", "aucune donnée"],
}


@pytest.fixture(params=["fr_FR", "en_GB"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, Mailbox, str]]:
    locale = str(request.param)
    engine = make_engine(f"sqlite:///{tmp_path / 'slaengine.db'}")
    create_schema(engine)
    load_world(engine, tmp_path)
    (tmp_path / "contracts" / "silent.yaml").write_text(contract_text("silent"))
    load_contracts(engine, [tmp_path / "contracts" / "silent.yaml"])  # in force, no feed at all
    mailbox = Mailbox(hold=None)
    with smtp_server(mailbox) as port:
        config = config_text(tmp_path, port) + f'[reports]\nlocale = "{locale}"\n'
        (tmp_path / "config.toml").write_text(config)
        yield engine, mailbox, locale
    engine.dispose()


def pdf_text(content: bytes, folder: Path, name: str) -> str:
    """The words of an attached PDF as read (pypdf, as the other report tests read them: no
    system tool needed), whatever the line breaks."""
    from pypdf import PdfReader

    path = folder / name
    path.write_bytes(content)
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_the_unattended_close_reaches_the_director_in_one_language(
    setup: tuple[Engine, Mailbox, str], tmp_path: Path
) -> None:
    engine, mailbox, locale = setup
    # 2 November 08:00:05 in Paris: the close fell due five seconds before the scheduler
    # started, so it runs at start as a missed job, on an APScheduler worker thread
    scheduler = Scheduler(tmp_path, "scheduler", "2026-11-02 07:00:05")
    try:
        wait_for(lambda: len(mailbox.received) == 1, "the director's e-mail", seconds=90)
        wait_for(
            lambda: (
                [r.outcome for r in run_repo.runs_of(engine, "monthly_close", "2026-10")]
                == ["done"]
            ),
            "the ledger to record the close",
        )
    finally:
        code = scheduler.stop()
    assert code == 0, scheduler.stderr()
    assert threading.active_count() >= 1
    expected = EXPECTED[locale]
    [(recipients, message)] = mailbox.received
    assert recipients == ["director@example.com"]
    assert message["Subject"] == expected["subject"]
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content().replace("\r\n", "\n")
    for passage in expected["text"]:
        assert passage in text
    markup = html.get_content()
    for passage in expected["html"]:
        assert passage in markup
    assert "<a " not in markup and "<img" not in markup and "<script" not in markup
    files = attachments(message)
    assert sorted(files) == [
        "portfolio-2026-10.pdf",
        "scorecard-breaching-2026-10.pdf",
        "scorecard-meeting-2026-10.pdf",
        "scorecard-silent-2026-10.pdf",
    ]
    pages = {name: pdf_text(content, tmp_path, name) for name, content in files.items()}
    everything = "\n".join(pages.values())
    for passage in expected["pdf"]:
        assert passage in everything
    for foreign in FOREIGN[locale]:
        assert foreign not in everything, foreign
    silent = pages["scorecard-silent-2026-10.pdf"]
    assert expected["pdf"][2] in silent
    [run] = run_repo.runs_of(engine, "monthly_close", "2026-10")
    [attempt] = run_repo.attempts_of(engine, run.id)
    assert attempt.kind == "first" and attempt.outcome == "done"
    assert attempt.finished_at is not None and attempt.finished_at > attempt.started_at
    assert run.counts["contracts"] == 3 and run.counts["breaches"] == 1
