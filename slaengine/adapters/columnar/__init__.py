"""The columnar contact store: Parquet files under a data location, registered in SQL."""
