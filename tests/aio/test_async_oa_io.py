"""AsyncOfficialAccount's uploads, downloads, JS-SDK signatures, image processing, paging and
push set-up (declared once with the sync facade's), against the in-process sandbox."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

from support import FakeClock

from wxcore.endpoint import Media
from wxcore.messages import Router

from wxcore.adapters.async_message_server import AsyncMessageServer
from wxcore.adapters.async_miniprogram import AsyncMiniProgram
from wxcore.adapters.async_officialaccount import AsyncOfficialAccount
from wxcore.adapters.sandbox import AsyncSandboxTransport, WeChatSandbox
from wxcore.adapters.sandbox.mp_images import draw_png

PNG = draw_png("async media", 32)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 64
T = TypeVar("T")


def sha1_of_sorted(*parts: str) -> str:
    """WeChat's push and card signatures: SHA-1 of the parts sorted and joined, as its
    documentation states them."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class ThreadNotingFile(io.BytesIO):
    """A binary file that notes which thread read it."""

    read_in: threading.Thread | None = None

    def read(self, size: int | None = -1) -> bytes:
        self.read_in = threading.current_thread()
        return super().read(size)


def run(sandbox: WeChatSandbox, clock: FakeClock,
        body: Callable[[AsyncOfficialAccount], Awaitable[T]]) -> T:
    async def main() -> T:
        app = sandbox.default_app
        async with AsyncOfficialAccount(app.appid, app.secret, clock=clock,
                                        transport=AsyncSandboxTransport(sandbox)) as oa:
            return await body(oa)

    return asyncio.run(main())


def test_media_is_uploaded_and_downloaded_with_files_read_and_written_off_the_loop(
        sandbox: WeChatSandbox, clock: FakeClock, tmp_path: Path) -> None:
    source = tmp_path / "cover.png"
    source.write_bytes(PNG)
    stream = ThreadNotingFile(JPEG)
    saved = tmp_path / "copy.png"

    async def body(oa: AsyncOfficialAccount) -> tuple[object, ...]:
        loop_thread = threading.current_thread()
        uploaded = await oa.upload_media("image", source)
        media = await oa.download_media(uploaded.media_id, to=saved)
        thumb = await oa.upload_media("thumb", stream)
        return loop_thread, uploaded.created_at, media, thumb

    loop_thread, created_at, media, thumb = run(sandbox, clock, body)
    assert created_at == int(clock())
    assert isinstance(media, Media) and media.content == PNG and media.filename == "cover.png"
    assert saved.read_bytes() == PNG
    assert thumb.thumb_media_id  # type: ignore[attr-defined]
    assert stream.read_in is not None and stream.read_in is not loop_thread


def test_media_url_carries_the_awaited_token_and_kf_avatar_uploads_from_a_path(
        sandbox: WeChatSandbox, clock: FakeClock, tmp_path: Path) -> None:
    avatar = tmp_path / "amy.jpg"
    avatar.write_bytes(JPEG)

    async def body(oa: AsyncOfficialAccount) -> tuple[str, str, str, str]:
        url = await oa.media_url((await oa.upload_media("image", PNG)).media_id)
        await oa.add_kf_account("amy@test", "Amy")
        before = (await oa.get_kf_list()).kf_list[0].kf_headimgurl
        await oa.upload_kf_headimg("amy@test", avatar)
        after = (await oa.get_kf_list()).kf_list[0].kf_headimgurl
        return url, await oa.get_oa_access_token(), before, after

    url, token, before, after = run(sandbox, clock, body)
    parts = urlsplit(url)
    assert parts.path == "/cgi-bin/media/get"
    assert dict(parse_qsl(parts.query))["access_token"] == token
    assert after.startswith("https://") and after != before


def test_card_signatures_use_the_wx_card_ticket(sandbox: WeChatSandbox,
                                                clock: FakeClock) -> None:
    async def body(oa: AsyncOfficialAccount) -> tuple[dict[str, object], str]:
        return await oa.choose_card_config(card_id="pCARD"), await oa.get_wx_card_ticket()

    config, ticket = run(sandbox, clock, body)
    assert config["timestamp"] == int(clock())
    assert config["cardSign"] == sha1_of_sorted(
        ticket, sandbox.default_app.appid, str(config["timestamp"]), str(config["nonceStr"]),
        "pCARD")
    assert sandbox.calls["/cgi-bin/ticket/getticket"] == 1


def test_images_from_files_and_async_paging_of_drafts(sandbox: WeChatSandbox,
                                                      clock: FakeClock, tmp_path: Path) -> None:
    poster = tmp_path / "poster.png"
    poster.write_bytes(PNG)

    async def body(oa: AsyncOfficialAccount) -> tuple[int, int, list[str], str]:
        crops = (await oa.ai_crop(img=poster, ratios=[1])).results
        thumb = (await oa.add_material("thumb", JPEG)).media_id
        draft = (await oa.add_draft([{"title": "One", "content": "<p>1</p>",
                                      "thumb_media_id": thumb}])).media_id
        drafts = [item.media_id async for item in oa.iter_drafts(no_content=True)]
        return len(crops), sandbox.calls["/cv/img/aicrop"], drafts, draft

    crops, crop_calls, drafts, draft = run(sandbox, clock, body)
    assert (crops, crop_calls) == (1, 1)
    assert drafts == [draft]


def test_image_methods_are_one_declaration_for_every_facade() -> None:
    assert vars(AsyncMiniProgram).keys().isdisjoint({"ai_crop", "scan_qr_code", "ocr_id_card"})
    wrapped = [getattr(cls.scan_qr_code, "__wrapped__") for cls in (AsyncOfficialAccount,
                                                                     AsyncMiniProgram)]
    assert wrapped[0] is wrapped[1]


def test_the_async_message_server_keeps_the_token_for_check_signature(
        sandbox: WeChatSandbox, clock: FakeClock) -> None:
    async def body(oa: AsyncOfficialAccount) -> tuple[object, bool, bool]:
        server = oa.message_server(Router(), "TOKEN")
        signature = sha1_of_sorted("TOKEN", "1700000000", "nonce")
        return (server, oa.check_signature(signature, "1700000000", "nonce"),
                oa.check_signature(signature, "1700000001", "nonce"))

    server, good, tampered = run(sandbox, clock, body)
    assert isinstance(server, AsyncMessageServer)
    assert (good, tampered) == (True, False)


def test_a_plan_catches_the_error_of_a_step_sync_and_async(tmp_path: Path,
                                                           sandbox: WeChatSandbox) -> None:
    """A failing step raises inside the plan, at its ``yield``, whether the step ran inline
    (sync) or was awaited (a worker thread, a coroutine): the plan's ``except`` handles it."""
    from wxcore.adapters.io_methods import Offload, Plan, Resolve, io_method
    from wxcore.adapters.officialaccount import OfficialAccount
    from wxcore.adapters.sandbox import SandboxTransport
    from wxcore.errors import APIError

    def _size_or_reason(client: object, path: Path) -> Plan[str]:
        try:
            data = yield Offload(path.read_bytes)  # blocking: a worker thread when async
        except FileNotFoundError:
            return "no file"
        try:  # a call WeChat refuses: a bad media id
            yield Resolve(client.download_media(data.decode()))  # type: ignore[attr-defined]
        except APIError as exc:
            return f"refused {exc.errcode}"
        return "downloaded"

    class SyncOA(OfficialAccount):
        size_or_reason = io_method(_size_or_reason)

    class AsyncOA(AsyncOfficialAccount):
        size_or_reason = io_method(_size_or_reason)

    app = sandbox.default_app
    named = tmp_path / "media_id.txt"
    named.write_text("not-a-media-id")
    sync_oa = SyncOA(app.appid, app.secret, transport=SandboxTransport(sandbox))
    async_oa = AsyncOA(app.appid, app.secret, transport=AsyncSandboxTransport(sandbox))

    async def both() -> list[str]:
        return [await async_oa.size_or_reason(tmp_path / "missing"),
                await async_oa.size_or_reason(named)]

    sync_answers = [sync_oa.size_or_reason(tmp_path / "missing"), sync_oa.size_or_reason(named)]
    assert sync_answers == asyncio.run(both())
    assert sync_answers[0] == "no file" and sync_answers[1].startswith("refused 40007")
