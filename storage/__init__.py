"""Storage: every SQL statement of the project lives in this package."""

from storage.sql import Database

__all__ = ["Database"]
