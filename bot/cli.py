"""`python -m bot …`: serve, console, sandbox, check, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    import bot.dev.console.app as console_app
    import bot.dev.sandbox.cli as sandbox_cli
    from bot import cli_commands as commands

    parser = argparse.ArgumentParser(prog="python -m bot", description="Santo for Slack")
    commands_parser = parser.add_subparsers(dest="command", required=True)
    sandbox = commands_parser.add_parser("sandbox", help="run the simulated Santo platform alone")
    sandbox_cli.add_arguments(sandbox)
    sandbox.set_defaults(run=sandbox_cli.main)
    console = commands_parser.add_parser(
        "console", help="the whole app in a terminal: Slack stand-in, sandbox platform, SQLite"
    )
    console_app.add_arguments(console)
    console.set_defaults(run=console_app.main)
    for name, run, text in [
        ("serve", commands.serve, "the web process: Slack events, reports, background work"),
        ("migrate", commands.migrate, "bring the database schema up to date"),
        ("check", commands.check, "check settings, the platform and Slack; print the callback URL"),
        (
            "rotate-secrets",
            commands.rotate_secrets,
            "seal stored Santo passwords with the newest SANTO_SECRETS_KEY",
        ),
    ]:
        commands_parser.add_parser(name, help=text).set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        result: int = asyncio.run(args.run(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result
