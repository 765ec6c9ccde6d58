"""Mini Program cassettes beyond the generic replay of tests/fixtures_replay: the multipart
upload scenario, and checks that the recorded requests hold no credential."""

from __future__ import annotations

import pathlib

import pytest

from wxcore.adapters.cassette import CassetteMismatchError, load_cassette, replay_client
from wxcore.adapters.miniprogram import MiniProgram

CASSETTES = pathlib.Path(__file__).resolve().parents[1] / "cassettes" / "miniprogram"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def test_an_upload_replays_as_a_multipart_img_field(tmp_path: pathlib.Path) -> None:
    image = tmp_path / "card.jpg"
    image.write_bytes(JPEG)
    mp = replay_client(MiniProgram, CASSETTES / "ocr_bank_card_upload.json")
    assert load_cassette(CASSETTES / "ocr_bank_card_upload.json").name == \
        "miniprogram/ocr_bank_card_upload"
    assert mp.ocr_bank_card(img=image).number == "6222021234567890123"
    mp.transport.assert_all_used()  # type: ignore[attr-defined]


def test_an_upload_of_other_bytes_does_not_match(tmp_path: pathlib.Path) -> None:
    image = tmp_path / "card.jpg"
    image.write_bytes(JPEG[:-2] + b"\x00\xff\xd9")
    mp = replay_client(MiniProgram, CASSETTES / "ocr_bank_card_upload.json")
    with pytest.raises(CassetteMismatchError):
        mp.ocr_bank_card(img=image)


def test_miniprogram_cassettes_hold_no_credential_in_requests() -> None:
    files = sorted(CASSETTES.glob("*.json"))
    assert len(files) >= 35
    for path in files:
        for interaction in load_cassette(path).interactions:
            request = interaction.request
            assert not {"access_token", "secret"} & set(request.query), path.name
            body = request.body
            if body is not None and isinstance(body.json, dict):
                assert not {"access_token", "secret", "session_key"} & set(body.json), path.name
