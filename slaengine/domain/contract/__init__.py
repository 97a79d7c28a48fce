"""The contract language: model, units, calendars, periods, wording, rules checked at load.

May import the standard library, pydantic, holidays and `slaengine.errors`; nothing else of
slaengine (it is the domain's ground floor).
"""
