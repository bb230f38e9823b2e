"""Storage: every SQL statement of the project lives in this package."""

from storage.db import Database

__all__ = ["Database"]
