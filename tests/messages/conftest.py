"""Fixtures for the message-server tests (sample values live in msgvectors.py)."""

from __future__ import annotations

import pytest
from msgvectors import REF_AES_KEY, REF_APPID, REF_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN

from wxcore.messages import MessageCrypto


@pytest.fixture
def ref_crypto() -> MessageCrypto:
    return MessageCrypto(REF_TOKEN, REF_AES_KEY, REF_APPID)


@pytest.fixture
def sample_crypto() -> MessageCrypto:
    return MessageCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID)
