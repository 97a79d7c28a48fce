"""`python -m slaengine` runs the command line."""

from slaengine.cli import main

main()
