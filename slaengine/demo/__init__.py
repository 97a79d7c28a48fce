"""The demo: a seeded generator of example feeds for the shipped contracts (`slaengine demo`)."""
