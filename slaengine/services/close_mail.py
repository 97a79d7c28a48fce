"""The director's e-mail of a monthly close: subject, short text body, PDF attachments."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from slaengine.adapters.delivery.smtp import Attachment, Mail
from slaengine.config import Settings
from slaengine.services.runs import RunReport


def close_mail(
    settings: Settings, report: RunReport, attachments: list[Path], generation: int
) -> Mail:
    """The director's e-mail: subject with period, breaches and credits; PDFs attached."""
    counts = report.counts()
    breaches = counts["breaches"]
    credits = _money_text(counts["credits"])
    subject = (
        f"SLA monthly close {report.period}: {breaches} breach"
        f"{'' if breaches == 1 else 'es'}, credits owed {credits}"
    )
    domain = settings.delivery.sender.rpartition("@")[2] or "slaengine"
    return Mail(
        sender=settings.delivery.sender,
        recipients=tuple(settings.delivery.director),
        subject=subject,
        body=close_body(report, [path.name for path in attachments]),
        attachments=tuple(Attachment(path.name, path.read_bytes()) for path in attachments),
        message_id=f"<slaengine-close-{report.period}-g{generation}@{domain}>",
    )


def _money_text(credits: dict[str, str]) -> str:
    if not credits:
        return "0.00"
    return " + ".join(f"{Decimal(amount):,.2f} {currency}" for currency, amount in credits.items())


def close_body(report: RunReport, files: list[str]) -> str:
    """The e-mail's short plain-text summary: one line per contract, then the attachments."""
    lines = [f"Monthly SLA close for {report.period}.", ""]
    for item in report.contracts:
        lines.append(
            f"- {item.contract_id}: {item.breaches} objective(s) breached,"
            f" credits owed {Decimal(item.credits):,.2f} {item.currency}"
        )
    lines += [
        "",
        "Attached: " + ", ".join(files) + ".",
        "",
        "Sent by slaengine; the audit reports are kept with the other reports.",
    ]
    return "\n".join(lines) + "\n"
