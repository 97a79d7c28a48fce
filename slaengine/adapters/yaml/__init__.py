"""YAML: contract files read with ruamel.yaml, every problem reported at FILE:LINE:COL.

May import ruamel.yaml and the domain.
"""
