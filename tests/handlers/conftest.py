"""Listener tests run against the whole app: the e2e world (Slack stand-in, sandbox, database)."""

from tests.e2e.conftest import make_world, world

__all__ = ["make_world", "world"]
