"""files.getUploadURLExternal → the upload URL → files.completeUploadExternal, files.info,
the download URL, and files users uploaded themselves."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from aiohttp import web

from bot.dev.slack_standin.protocol import ApiError, str_arg
from bot.dev.slack_standin.records import Upload
from bot.dev.slack_standin.state import Handler, State


def _upload(state: State, file_id: str | None) -> Upload | None:
    return next((u for u in state.uploads if u.file_id == file_id), None)


def _not_found() -> web.Response:
    return web.Response(status=404, text="Not Found", content_type="text/plain")


def _file_object(state: State, upload: Upload, now: float) -> dict[str, Any]:
    mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    base = f"https://files.slack.com/files-pri/{state.team_id}-{upload.file_id}"
    return {
        "id": upload.file_id,
        "created": int(now),
        "timestamp": int(now),
        "name": upload.filename,
        "title": upload.title,
        "mimetype": mimetype,
        "filetype": upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "binary",
        "user": state.bot_user_id,
        "size": len(upload.content or b""),
        "url_private": f"{base}/{upload.filename}",
        "permalink": f"https://{state.team_domain}.slack.com/files/{state.bot_user_id}/"
        f"{upload.file_id}/{upload.filename}",
        "channels": [c for c in upload.channels if c not in state.private_channels and c not in state.dms],
        "groups": [c for c in upload.channels if c in state.private_channels],
        "ims": [c for c in upload.channels if c in state.dms],
    }


def add_user_file(state: State, filename: str, content: bytes, user: str) -> dict[str, Any]:
    upload = Upload(
        file_id=state.next_id("F"),
        filename=filename,
        length=len(content),
        content=content,
        title=filename,
        completed=True,
        at=time.time(),
    )
    state.uploads.append(upload)
    state.file_owners[upload.file_id] = user
    return {"id": upload.file_id, "name": filename, "filetype": filename.rsplit(".", 1)[-1].lower()}


def get_upload_url(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    filename = str_arg(args, "filename")
    try:
        length = int(args.get("length", ""))
    except (TypeError, ValueError):
        length = -1
    if filename is None or length < 0:
        raise ApiError("invalid_arguments", ["filename and length are required"])
    file_id = state.next_id("F")
    state.uploads.append(
        Upload(
            file_id=file_id,
            filename=filename,
            length=length,
            alt_txt=str_arg(args, "alt_txt"),
            snippet_type=str_arg(args, "snippet_type"),
            at=time.time(),
            team=state.calling_team,
        )
    )
    upload_url = f"{origin.rstrip('/')}/upload/{file_id}"
    return {"ok": True, "upload_url": upload_url, "file_id": file_id}


async def receive_upload(state: State, request: web.Request) -> web.Response:
    """The upload URL: keeps the raw body, or a multipart form's file (or first text field)."""
    upload = _upload(state, request.match_info["file_id"])
    if upload is None:
        return _not_found()
    if request.content_type == "multipart/form-data":
        form = await request.post()
        content = b""
        for value in form.values():
            if isinstance(value, web.FileField):
                content = value.file.read()
                break
            if isinstance(value, str):
                content = value.encode()
    else:
        content = await request.read()
    upload.content = content
    return web.Response(text=f"OK - {len(content)}", content_type="text/plain")


def complete_upload(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    entries = args.get("files")
    if not isinstance(entries, list) or not entries:
        raise ApiError("invalid_arguments", ["missing required field: files"])
    by_id = {u.file_id: u for u in state.uploads}
    chosen: list[tuple[Upload, dict[str, Any]]] = []
    for entry in entries:
        upload = by_id.get(str(entry.get("id"))) if isinstance(entry, dict) else None
        if upload is None or upload.content is None or upload.completed:
            raise ApiError("file_not_found")
        chosen.append((upload, entry))
    raw_channels = [str_arg(args, "channel_id"), *str(args.get("channels") or "").split(",")]
    channels = [state.postable(c) for c in dict.fromkeys(c for c in raw_channels if c)]
    thread_ts = str_arg(args, "thread_ts")
    if thread_ts is not None and len(channels) != 1:
        raise ApiError("invalid_arguments", ["thread_ts needs exactly one channel"])
    comment = str_arg(args, "initial_comment")
    now = time.time()
    files: list[dict[str, Any]] = []
    for upload, entry in chosen:
        upload.title = str(entry.get("title") or upload.filename)
        upload.channels = channels
        upload.initial_comment = comment
        upload.thread_ts = thread_ts
        upload.completed = True
        upload.ready_at = now + state.file_processing
        files.append(_file_object(state, upload, now))
    for channel in channels:
        state.store_message(channel, comment or "", [], thread_ts, {}, now, files=files)
    return {"ok": True, "files": files}


def info(state: State, args: dict[str, Any], origin: str) -> dict[str, Any]:
    upload = _upload(state, str_arg(args, "file"))
    if upload is None or not upload.completed:
        raise ApiError("file_not_found")
    out = _file_object(state, upload, upload.at)
    if time.time() < upload.ready_at:
        out["mimetype"] = ""  # still being processed
    out["user"] = state.file_owners.get(upload.file_id, state.bot_user_id)
    out["url_private_download"] = f"{origin.rstrip('/')}/download/{upload.file_id}/{upload.filename}"
    return {"ok": True, "file": out}


def download(state: State, request: web.Request) -> web.Response:
    """A file's content, for `Authorization: Bearer <bot token>` only (as files.slack.com)."""
    state.downloads.append(request.match_info["file_id"])
    if request.headers.get("Authorization") != f"Bearer {state.token}":
        return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
    upload = _upload(state, request.match_info["file_id"])
    if upload is None or upload.content is None:
        return _not_found()
    return web.Response(body=upload.content, content_type="application/octet-stream")


HANDLERS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
    "files.info": info,
}
