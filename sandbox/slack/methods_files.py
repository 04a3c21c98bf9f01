"""The external file upload flow slack_sdk's ``files_upload_v2`` uses.

1. ``files.getUploadURLExternal`` hands out an upload URL (served by the emulator),
2. the client POSTs the bytes there,
3. ``files.completeUploadExternal`` titles the files and shares them into a channel,
   which in Slack posts a message carrying the files and the initial comment.
"""

from __future__ import annotations

from sandbox.slack import blockkit
from sandbox.slack.records import ApiError, JsonDict, Message, Upload
from sandbox.slack.workspace import Args, Method, Workspace


def files_get_upload_url_external(ws: Workspace, args: Args) -> JsonDict:
    filename = args.required("filename", "invalid_arguments")
    length_arg = args.required("length", "invalid_arguments")
    try:
        length = int(length_arg)
    except ValueError as exc:
        raise ApiError("invalid_arguments", ["length must be an integer"]) from exc
    file_id = ws.new_id("F")
    upload_url = f"{ws.base_url}/upload/v1/{file_id}"
    ws.uploads[file_id] = Upload(file_id, filename, length, upload_url)
    return {"upload_url": upload_url, "file_id": file_id}


def receive_upload(ws: Workspace, file_id: str, content: bytes) -> Upload | None:
    """Store bytes POSTed to an upload URL; None if the URL was never issued."""
    upload = ws.uploads.get(file_id)
    if upload is None or upload.completed:
        return None
    upload.content = content
    return upload


def files_complete_upload_external(ws: Workspace, args: Args) -> JsonDict:
    items = blockkit.parse_json_arg(args.raw.get("files"))
    if not isinstance(items, list) or not items:
        raise ApiError("invalid_arguments", ["files must be a non-empty array"])
    channel_arg = args.string("channel_id") or (args.string("channels") or "").split(",")[0]
    channel = ws.resolve_channel(channel_arg) if channel_arg else None
    uploads: list[Upload] = []
    for item in items:
        upload = ws.uploads.get(str(item.get("id"))) if isinstance(item, dict) else None
        if upload is None or upload.content is None or upload.completed:
            raise ApiError("file_not_found")
        upload.title = str(item.get("title") or upload.filename)
        uploads.append(upload)
    comment = args.string("initial_comment")
    thread_ts = ws.thread_parent(channel, args.string("thread_ts")) if channel else None
    for upload in uploads:
        upload.completed = True
        upload.channel, upload.initial_comment, upload.thread_ts = channel, comment, thread_ts
    if channel is not None:
        _share(ws, channel, uploads, comment=comment, thread_ts=thread_ts)
    return {"files": [_file_object(ws, upload) for upload in uploads]}


def _share(
    ws: Workspace,
    channel: str,
    uploads: list[Upload],
    *,
    comment: str | None,
    thread_ts: str | None,
) -> None:
    where = f"files.completeUploadExternal to {channel}"
    ws.check_mentions(where, text=comment, blocks=[])
    ident = ws.identity
    ws.messages_in(channel).append(
        Message(
            channel=channel,
            ts=ws.next_ts(),
            text=comment or "",
            blocks=[],
            user=ident.bot_user_id,
            team=ident.team_id,
            bot_id=ident.bot_id,
            app_id=ident.app_id,
            thread_ts=thread_ts,
            files=[u.file_id for u in uploads],
            via="files.completeUploadExternal",
        )
    )


def _file_object(ws: Workspace, upload: Upload) -> JsonDict:
    return {
        "id": upload.file_id,
        "name": upload.filename,
        "title": upload.title,
        "size": len(upload.content or b""),
        "user": ws.identity.bot_user_id,
        "channels": [upload.channel] if upload.channel else [],
        "permalink": f"{ws.base_url}/files/{upload.file_id}/{upload.filename}",
    }


METHODS: dict[str, Method] = {
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}
