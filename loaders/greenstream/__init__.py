"""GreenStream: land smart-meter CSV exports and build trustworthy data with dbt."""

__version__ = "0.1.0"
