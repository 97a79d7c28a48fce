"""slaengine: vendor and outsourcing SLA compliance engine."""

__version__ = "0.1.0"
