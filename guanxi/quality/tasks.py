"""Background work of data quality: adapters over services."""
