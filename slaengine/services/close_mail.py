"""The director's e-mail of a monthly close: subject, text and HTML bodies, PDF attachments.

Written in the language it is given (the run's `[reports] locale`), from the month's portfolio:
the same figures, provider names and "no data received" lines as the attached PDF.
"""

from __future__ import annotations

from pathlib import Path

from slaengine.adapters.delivery.mail_body import mail_html, mail_text
from slaengine.adapters.delivery.smtp import Attachment, Mail
from slaengine.config import Settings
from slaengine.domain.reports import Portfolio
from slaengine.domain.reports.close_mail import build_close_mail
from slaengine.i18n import using


def close_mail(
    settings: Settings,
    portfolio: Portfolio,
    attachments: list[Path],
    generation: int,
    *,
    locale: str,
) -> Mail:
    """The director's e-mail in `locale`: subject with the month in words and the headline;
    a plain-text and an HTML body; the PDFs attached."""
    with using(locale):
        words = build_close_mail(portfolio, [path.name for path in attachments])
    domain = settings.delivery.sender.rpartition("@")[2] or "slaengine"
    return Mail(
        sender=settings.delivery.sender,
        recipients=tuple(settings.delivery.director),
        subject=words.subject,
        body=mail_text(words),
        html=mail_html(words, locale),
        attachments=tuple(Attachment(path.name, path.read_bytes()) for path in attachments),
        message_id=f"<slaengine-close-{portfolio.period}-g{generation}@{domain}>",
    )
