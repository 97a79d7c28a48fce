"""The columnar contact store: Parquet files under a data location, registered in SQL.

May import polars, pyarrow, fsspec, SQLAlchemy (its registry tables), the feed schemas' column
types (`adapters.feeds.schemas`) and the domain.
"""
