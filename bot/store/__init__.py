"""Storage: sends, their numbers and what the platform reported (SQLAlchemy async)."""
