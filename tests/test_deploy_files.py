"""The files a PaaS and Slack read: they must agree with the app."""

import json
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from bot.cli import build_parser
from bot.distribution import BOT_SCOPES, REDIRECT_PATH

ROOT = Path(__file__).parent.parent


def test_manifest_points_slack_at_the_events_route_with_minimal_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/sms"
    assert command["url"].endswith("/slack/events")
    assert "balance" in command["usage_hint"]
    assert manifest["settings"]["interactivity"]["request_url"] == command["url"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "chat:write.public",
        "im:write",
        "files:write",
        "files:read",
        "usergroups:read",
        "users:read",
    }


def test_the_install_flow_asks_for_the_manifests_scopes_and_redirects_where_it_says() -> None:
    """With SLACK_CLIENT_ID the app asks Slack for what the manifest declares, no more."""
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith(REDIRECT_PATH)
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


def test_manifest_has_the_home_tab_its_event_and_the_message_shortcut() -> None:
    from bot.views.ids import CallbackId

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"] == manifest["settings"]["interactivity"]["request_url"]
    assert "app_home_opened" in events["bot_events"]
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == CallbackId.SEND_AS_SMS


def test_procfile_runs_real_cli_commands() -> None:
    processes = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert set(processes) == {"web", "release"}
    for command in processes.values():
        words = command.split()
        assert words[:3] == ["python", "-m", "bot"]
        build_parser().parse_args(words[3:])
    assert processes["release"].endswith("migrate")


def test_app_json_provisions_postgres_and_asks_for_the_secrets() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    assert any(addon["plan"].startswith("heroku-postgresql") for addon in app["addons"])
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SANTO_REPORT_TOKEN"):
        assert name in app["env"]


def _locked(name: str) -> dict[str, tuple[str, int]]:
    """A lock's packages: name → (exact version, how many hashes)."""
    text = (ROOT / name).read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        if not line or line[0] in "# ":
            continue
        requirement, *hashes = line.split(" --hash=sha256:")
        parsed = Requirement(requirement.strip())
        [spec] = parsed.specifier
        assert spec.operator == "==", line
        pins[canonicalize_name(parsed.name)] = (spec.version, len(hashes))
    return pins


def _ranges(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in listed]


def test_the_buildpack_installs_the_runtime_lock_every_package_pinned_and_hashed() -> None:
    runtime = _locked("requirements.txt")
    assert all(hashes for _version, hashes in runtime.values())  # so pip checks every file it installs
    for requirement in _ranges():
        version, _ = runtime[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), (requirement, version)
    assert not {canonicalize_name(r.name) for r in _ranges("dev")} & set(runtime)  # no dev tools deployed


def test_the_dev_lock_holds_the_runtime_versions_and_the_dev_tools() -> None:
    runtime, dev = _locked("requirements.txt"), _locked("requirements-dev.txt")
    assert {name: dev[name] for name in runtime} == runtime
    for requirement in _ranges("dev"):
        version, hashes = dev[canonicalize_name(requirement.name)]
        assert hashes and requirement.specifier.contains(version), (requirement, version)


def test_the_buildpack_reads_one_package_manager_file_and_the_python_version() -> None:
    # The Heroku Python buildpack refuses an app with more than one package manager's file, and
    # reads the Python version from .python-version (runtime.txt is deprecated).
    for other in ("uv.lock", "Pipfile", "Pipfile.lock", "poetry.lock", "runtime.txt"):
        assert not (ROOT / other).exists(), other
    version = (ROOT / ".python-version").read_text().strip()
    assert version == "3.11"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(version + ".0")
    assert "--python-version $(shell cat .python-version)" in (ROOT / "Makefile").read_text()


def test_manifest_offers_the_workflow_builder_steps_the_app_runs() -> None:
    from bot.i18n import TEXTS, Language
    from bot.views.ids import StepId
    from bot.views.workflow_steps import manifest_functions

    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["functions"] == manifest_functions(TEXTS[Language.EN])
    assert set(manifest["functions"]) == {step.value for step in StepId}
    settings = manifest["settings"]
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    assert settings["org_deploy_enabled"] is True and settings["function_runtime"] == "remote"
