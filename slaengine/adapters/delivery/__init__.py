"""Delivery: the close's e-mail over SMTP and the month-to-date webhook.

May import the standard library, httpx, tenacity, `slaengine.config`, the pull's URL redaction
and the domain.
"""
