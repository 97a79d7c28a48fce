"""How the director's e-mail looks: a plain-text body and an HTML body.

The HTML is what mail clients render reliably: one centred table of fixed width, inline
styles only, no link, no image, no script, no external font or stylesheet; every word
escaped (provider names come from contract files).
"""

from __future__ import annotations

from html import escape

from slaengine.domain.reports.close_mail import CloseMailText, MailRow

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_CELL = f"{_FONT}font-size:13px;color:#1f2933;padding:6px 8px;border-bottom:1px solid #d9dee4;"
_HEAD = (
    f"{_FONT}font-size:12px;color:#ffffff;background:#243b53;padding:6px 8px;"
    "font-weight:bold;text-align:left;"
)


def mail_text(mail: CloseMailText) -> str:
    """The plain-text body: title, headline, one block per provider, no data, attachments."""
    lines = [mail.title, mail.lifecycle, "", mail.headline + ".", ""]
    _provider, _sourcing, missed, credits, cost = mail.headings
    for row in mail.rows:
        lines.append(f"{row.provider} ({row.sourcing}, {row.contract})")
        lines.append("  " + mail.labelled(missed, row.missed))
        if not row.no_data:
            lines.append("  " + mail.labelled(credits, row.net_credits))
            lines.append("  " + mail.labelled(cost, row.cost_per_contact))
        lines.append("")
    if mail.no_data:
        lines += [mail.no_data_title, *(f"- {item}" for item in mail.no_data), ""]
    lines += [mail.attachments, "", mail.footer]
    return "\n".join(line for line in lines if line is not None) + "\n"


def _cells(row: MailRow) -> str:
    missed_style = ""
    if row.no_data:
        missed_style = "color:#8a6d00;font-weight:bold;"
    elif row.missed_count:
        missed_style = "color:#b71c1c;font-weight:bold;"
    provider = (
        f'<b>{escape(row.provider)}</b><br><span style="font-size:11px;color:#52606d;">'
        f"{escape(row.contract)}</span>"
    )
    return (
        f'<td style="{_CELL}">{provider}</td>'
        f'<td style="{_CELL}">{escape(row.sourcing)}</td>'
        f'<td style="{_CELL}{missed_style}">{escape(row.missed)}</td>'
        f'<td style="{_CELL}text-align:right;white-space:nowrap;">{escape(row.net_credits)}</td>'
        f'<td style="{_CELL}text-align:right;white-space:nowrap;">'
        f"{escape(row.cost_per_contact)}</td>"
    )


def mail_html(mail: CloseMailText, language: str) -> str:
    """The HTML body: the portfolio's first table, link-free, inline-styled."""
    heads = "".join(
        f'<th style="{_HEAD}{"text-align:right;" if n >= 3 else ""}">{escape(head)}</th>'
        for n, head in enumerate(mail.headings)
    )
    rows = "".join(f"<tr>{_cells(row)}</tr>" for row in mail.rows)
    no_data = ""
    if mail.no_data:
        items = "".join(
            f'<li style="{_FONT}font-size:13px;margin:0 0 4px 0;">{escape(item)}</li>'
            for item in mail.no_data
        )
        no_data = (
            f'<p style="{_FONT}font-size:14px;font-weight:bold;color:#8a6d00;margin:18px 0 6px 0;">'
            f"{escape(mail.no_data_title)}</p>"
            f'<ul style="margin:0;padding-left:20px;color:#1f2933;">{items}</ul>'
        )
    small = f"{_FONT}font-size:12px;color:#52606d;"
    return (
        f'<!DOCTYPE html><html lang="{escape(language[:2])}"><head><meta charset="utf-8">'
        f"<title>{escape(mail.subject)}</title></head>"
        '<body style="margin:0;padding:16px;background:#f4f6f8;">'
        '<table role="presentation" width="680" cellpadding="0" cellspacing="0" border="0"'
        ' align="center" style="background:#ffffff;border:1px solid #d9dee4;">'
        '<tr><td style="padding:20px 24px;">'
        f'<h1 style="{_FONT}font-size:20px;color:#102a43;margin:0 0 4px 0;">'
        f"{escape(mail.title)}</h1>"
        f'<p style="{small}margin:0 0 14px 0;">{escape(mail.lifecycle)}</p>'
        f'<p style="{_FONT}font-size:15px;color:#1f2933;margin:0 0 16px 0;">'
        f"<b>{escape(mail.headline)}.</b></p>"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
        f' style="border-collapse:collapse;"><tr>{heads}</tr>{rows}</table>'
        f"{no_data}"
        f'<p style="{small}margin:18px 0 4px 0;">{escape(mail.attachments)}</p>'
        f'<p style="{small}margin:0;">{escape(mail.footer)}</p>'
        "</td></tr></table></body></html>\n"
    )
