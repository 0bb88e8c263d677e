"""Daily product-event analytics as a Dagster asset graph (see README.md)."""
