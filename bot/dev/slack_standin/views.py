"""views.open, .push, .update and .publish, the modal stacks they build, and what Slack does
with an app's answer to a view submission."""

from __future__ import annotations

import time
from typing import Any

from bot.dev.slack_standin.blockkit import view_problems
from bot.dev.slack_standin.protocol import ApiError, str_arg
from bot.dev.slack_standin.records import ViewRecord
from bot.dev.slack_standin.state import EPOCH, Handler, State

VIEW_STACK_MAX = 3


def _scrambled(n: int) -> str:
    """`n` as the opaque-looking hex tail of Slack's trigger ids and view hashes."""
    return f"{n * 2654435761 % 2**32:08x}"


def new_trigger_id(state: State, view_id: str | None) -> str:
    n = state.next_n()
    trigger = f"{EPOCH + n}.{n:06d}.{_scrambled(n)}"
    if view_id is not None:
        bind_trigger(state, trigger, view_id)
    return trigger


def bind_trigger(state: State, trigger_id: str, view_id: str) -> None:
    stack = _stack_key_of(state, view_id)
    if stack is None:
        raise KeyError(f"view {view_id} is not on any modal stack")
    state.trigger_stacks[trigger_id] = stack


def _stack_key_of(state: State, view_id: str) -> str | None:
    for key, stack in state.view_stacks.items():
        if view_id in stack:
            return key
    return None


def _exchange_trigger(state: State, args: dict[str, Any]) -> str:
    """The call's trigger id, if it may still open or push a view."""
    trigger = str_arg(args, "trigger_id") or str_arg(args, "interactivity_pointer")
    if trigger is None:
        raise ApiError("invalid_arguments", ["invalid `trigger_id`"])
    if trigger in state.expired_triggers:
        raise ApiError("expired_trigger_id")
    if trigger in state.used_triggers:
        raise ApiError("exchanged_trigger_id")
    return trigger


def _checked_view(
    state: State, args: dict[str, Any], kinds: tuple[str, ...], *, replacing: str | None = None
) -> dict[str, Any]:
    view = args.get("view")
    problems = view_problems(view, kinds, state.showable_file)
    if problems:
        raise ApiError("invalid_arguments", problems)
    assert isinstance(view, dict)
    external_id = view.get("external_id")
    if external_id and any(
        v.external_id == external_id and v.id != replacing for v in state.views.values()
    ):
        raise ApiError("duplicate_external_id")
    return view


def _new_view(state: State, view: dict[str, Any], now: float, **fields: Any) -> ViewRecord:
    view_id = state.next_id("V")
    n = state.next_n()
    record = ViewRecord(
        id=view_id,
        type=str(view["type"]),
        payload=view,
        hash=f"{EPOCH + n}.{_scrambled(n)}",
        external_id=view.get("external_id") or None,
        at=now,
        **fields,
    )
    state.views[view_id] = record
    return record


def _replace_view(state: State, record: ViewRecord, view: dict[str, Any]) -> None:
    n = state.next_n()
    record.history.append(record.payload)
    record.payload = view
    record.external_id = view.get("external_id") or record.external_id
    record.hash = f"{EPOCH + n}.{_scrambled(n)}"
    record.updates += 1
    record.at = time.time()


def _view_answer(state: State, record: ViewRecord) -> dict[str, Any]:
    return {"ok": True, "view": record.to_api(state.team_id, state.app_id, state.bot_id)}


def answer_submission(state: State, view_id: str, answer: dict[str, Any]) -> ViewRecord | None:
    record = state.views.get(view_id)
    key = _stack_key_of(state, view_id)
    stack = state.view_stacks.get(key, []) if key is not None else []
    action = answer.get("response_action")
    if record is None:
        return None
    if action == "errors":
        record.errors = dict(answer.get("errors") or {})
        return record
    record.errors = {}
    if action == "update":
        _replace_view(state, record, dict(answer["view"]))
        return record
    if action == "push":
        pushed = _new_view(
            state,
            dict(answer["view"]),
            time.time(),
            root_view_id=stack[0] if stack else record.id,
            previous_view_id=view_id,
        )
        stack.append(pushed.id)
        return pushed
    if action == "clear":
        stack.clear()
        return None
    if view_id in stack:
        stack.remove(view_id)
    return state.views.get(stack[-1]) if stack else None


def open_view(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    trigger = _exchange_trigger(state, args)
    view = _checked_view(state, args, ("modal",))
    state.used_triggers.add(trigger)
    record = _new_view(state, view, time.time(), trigger_id=trigger)
    record.root_view_id = record.id
    state.view_stacks[trigger] = [record.id]
    state.trigger_stacks[trigger] = trigger
    state.last_stack = trigger
    return _view_answer(state, record)


def push(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    trigger = _exchange_trigger(state, args)
    key = state.trigger_stacks.get(trigger, state.last_stack)
    if key is None or key not in state.view_stacks:
        raise ApiError("invalid_arguments", ["no open modal to push onto for `trigger_id`"])
    stack = state.view_stacks[key]
    if len(stack) >= VIEW_STACK_MAX:
        raise ApiError("push_limit_reached")
    view = _checked_view(state, args, ("modal",))
    state.used_triggers.add(trigger)
    record = _new_view(
        state,
        view,
        time.time(),
        trigger_id=trigger,
        root_view_id=stack[0],
        previous_view_id=stack[-1],
    )
    stack.append(record.id)
    state.last_stack = key
    return _view_answer(state, record)


def update(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    view_id, external_id = str_arg(args, "view_id"), str_arg(args, "external_id")
    if view_id is None and external_id is None:
        raise ApiError("invalid_arguments", ["either view_id or external_id is required"])
    if view_id is not None:
        record = state.views.get(view_id)
    else:
        record = next((v for v in state.views.values() if v.external_id == external_id), None)
    if record is None:
        raise ApiError("not_found")
    expected = str_arg(args, "hash")
    if expected is not None and expected != record.hash:
        raise ApiError("hash_conflict")
    view = _checked_view(state, args, (record.type,), replacing=record.id)
    _replace_view(state, record, view)
    return _view_answer(state, record)


def publish(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    user = str_arg(args, "user_id")
    if user is None:
        raise ApiError("invalid_arguments", ["missing required field: user_id"])
    if user not in state.users:
        raise ApiError("user_not_found")
    existing = state.views.get(state.home_tabs.get(user, ""))
    expected = str_arg(args, "hash")
    if expected is not None and (existing is None or expected != existing.hash):
        raise ApiError("hash_conflict")
    view = _checked_view(state, args, ("home",), replacing=existing.id if existing else None)
    if existing is not None:
        _replace_view(state, existing, view)
        return _view_answer(state, existing)
    record = _new_view(state, view, time.time(), user_id=user)
    record.root_view_id = record.id
    state.home_tabs[user] = record.id
    return _view_answer(state, record)


HANDLERS: dict[str, Handler] = {
    "views.open": open_view,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}
