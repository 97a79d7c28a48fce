"""Delivery: the close's e-mail over SMTP (plain-text and HTML bodies) and the webhook.

May import the standard library, httpx, tenacity, `slaengine.config`, the pull's URL redaction
and the domain.
"""
