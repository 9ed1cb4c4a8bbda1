"""Placeholder; a helper fills this in."""
