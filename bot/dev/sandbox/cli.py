"""`python -m bot sandbox`: run the sandbox platform alone until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.dev.sandbox.app import create_sandbox_app
from bot.dev.sandbox.config import (
    INBOUND_SHAPES,
    REPORT_SHAPES,
    SandboxConfig,
    check_msisdn,
    normalise_outcome,
)
from bot.webserver import running

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8800


def forced_outcome(text: str) -> tuple[str, str]:
    """`8613910825657=402` → ("8613910825657", "402")."""
    msisdn, sep, outcome = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MSISDN=OUTCOME, e.g. 8613910825657=402")
    try:
        return check_msisdn(msisdn), normalise_outcome(outcome)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SandboxConfig()
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on, 0 for any (%(default)s)"
    )
    parser.add_argument(
        "--callback-url",
        default=defaults.callback_url,
        help="where status reports are delivered (manual 4.3); none by default",
    )
    parser.add_argument(
        "--path-prefix",
        default=defaults.path_prefix,
        help="serve the platform's paths under this prefix, e.g. /http for /http/submit (none)",
    )
    add_platform_arguments(parser)


def add_platform_arguments(parser: argparse.ArgumentParser) -> None:
    """How the simulated platform behaves: shared by `sandbox` and `console`."""
    defaults = SandboxConfig()
    for flag, field, what in (
        ("--latency", "latency", "seconds from each request to its answer"),
        ("--report-delay", "report_delay", "seconds before a status report is produced"),
        ("--fail-rate", "fail_rate", "fraction of numbers whose report says failed"),
        ("--no-report-rate", "no_report_rate", "fraction of numbers that never get a report"),
        ("--duplicate-rate", "duplicate_rate", "fraction of reports delivered twice"),
        ("--balance", "balance", "initial balance of the account, in yuan"),
    ):
        parser.add_argument(flag, type=float, default=getattr(defaults, field), help=f"{what} (%(default)s)")
    parser.add_argument(
        "--report-shape",
        choices=REPORT_SHAPES,
        default=defaults.report_shape,
        help="how reports are delivered: the manual's RT_REQUEST, the family's, or MULTI_RT_REQUEST "
        "batches (%(default)s)",
    )
    parser.add_argument(
        "--inbound-shape",
        choices=INBOUND_SHAPES,
        default=defaults.inbound_shape,
        help="how phones' messages are delivered: MO_REQUEST each, or MULTI_MO_REQUEST batches "
        "(%(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help="seed of the outcome mix (%(default)s)"
    )
    parser.add_argument(
        "--force",
        metavar="MSISDN=OUTCOME",
        type=forced_outcome,
        action="append",
        default=[],
        help="force a number's report: DELIVRD, 401, 402, 403, 404, 501 or none (repeatable)",
    )


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Raises ValueError on values out of range."""
    forced: list[tuple[str, str]] = args.force
    return SandboxConfig(
        balance=args.balance,
        latency=args.latency,
        report_delay=args.report_delay,
        fail_rate=args.fail_rate,
        no_report_rate=args.no_report_rate,
        duplicate_rate=args.duplicate_rate,
        callback_url=getattr(args, "callback_url", None) or None,
        seed=args.seed,
        forced=dict(forced),
        path_prefix=getattr(args, "path_prefix", ""),
        report_shape=args.report_shape,
        inbound_shape=args.inbound_shape,
    )


async def main(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    app = create_sandbox_app(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C raises KeyboardInterrupt
            continue
        handled.append(sig)
    try:
        async with running(app, args.host, args.port) as base_url:
            accounts = ", ".join(
                f"cpid {cpid} / password {password}" for cpid, password in config.accounts.items()
            )
            print(f"Santo sandbox at {base_url} ({accounts}); Ctrl-C to stop", flush=True)
            await stop.wait()
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    return 0
