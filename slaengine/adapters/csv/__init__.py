"""CSV twins of the reports (the scorecard's rows, for spreadsheets).

May import the standard library and the domain.
"""
