"""Receiving WeChat pushes: signatures, safe-mode crypto, safe XML, typed messages, replies.

Everything here is pure (no clock, no randomness, no I/O); the server helper with clocks,
``secrets``, de-duplication stores and a WSGI app is ``wxcore.adapters.message_server``.
See docs/messages.md.
"""

from __future__ import annotations

from wxcore.messages.crypto import MessageCrypto, decode_aes_key
from wxcore.messages.errors import (
    AppIdMismatchError,
    Base64Error,
    BodyTooLargeError,
    CiphertextLengthError,
    DecryptError,
    DedupUnavailableError,
    EncryptionModeError,
    EncryptionRequiredError,
    IllegalBufferError,
    InvalidAESKeyError,
    MessageError,
    MessageFormatError,
    NestingTooDeepError,
    NonceReusedError,
    NotConfiguredError,
    PaddingError,
    ReplyError,
    SignatureError,
    TimestampError,
    UnsafeXMLError,
    XMLError,
    XMLLimitError,
)
from wxcore.messages.models import (
    AuthorizedPush,
    BaseEvent,
    BaseMessage,
    ClickEvent,
    ComponentPush,
    ComponentVerifyTicketPush,
    FileMessage,
    GenericMessage,
    ImageMessage,
    LinkMessage,
    LocationEvent,
    LocationMessage,
    MediaCheckEvent,
    MiniProgramPageMessage,
    Push,
    ScanEvent,
    ShortVideoMessage,
    SubscribeEvent,
    SubscribeMsgChangeEvent,
    SubscribeMsgPopupEvent,
    SubscribeMsgSentEvent,
    TemplateSendJobFinishEvent,
    TextMessage,
    UnauthorizedPush,
    UnsubscribeEvent,
    UpdateAuthorizedPush,
    UserEnterTempSessionEvent,
    VideoMessage,
    ViewEvent,
    VoiceMessage,
    decode_body,
    dedup_key,
    parse_body,
    parse_message,
)
from wxcore.messages.pipeline import PushPipeline, PushResult, SeenStore
from wxcore.messages.replies import (
    SUCCESS,
    Article,
    ImageReply,
    MusicReply,
    NewsReply,
    Reply,
    TextReply,
    TransferCustomerServiceReply,
    VideoReply,
    VoiceReply,
    render_reply,
    render_reply_json,
)
from wxcore.messages.router import Router
from wxcore.messages.settings import PushSettings
from wxcore.messages.signature import (
    check_msg_signature,
    check_signature,
    check_timestamp,
    sha1_signature,
    verify_request,
    verify_url,
)
from wxcore.messages.xml import cdata, parse_xml, strip_invalid_xml_chars

__all__ = [
    "MessageCrypto", "decode_aes_key",
    "AppIdMismatchError", "Base64Error", "CiphertextLengthError", "DecryptError",
    "EncryptionRequiredError", "IllegalBufferError", "InvalidAESKeyError", "MessageError",
    "MessageFormatError", "NonceReusedError", "NotConfiguredError", "PaddingError",
    "ReplyError", "SignatureError", "TimestampError", "UnsafeXMLError", "XMLError",
    "XMLLimitError",
    "AuthorizedPush", "BaseEvent", "BaseMessage", "ClickEvent", "ComponentPush",
    "ComponentVerifyTicketPush", "FileMessage", "GenericMessage", "ImageMessage",
    "LinkMessage", "LocationEvent", "LocationMessage", "MediaCheckEvent",
    "MiniProgramPageMessage", "Push", "ScanEvent", "ShortVideoMessage", "SubscribeEvent",
    "SubscribeMsgChangeEvent", "SubscribeMsgPopupEvent", "SubscribeMsgSentEvent",
    "TemplateSendJobFinishEvent", "TextMessage", "UnauthorizedPush", "UnsubscribeEvent",
    "UpdateAuthorizedPush", "UserEnterTempSessionEvent", "VideoMessage", "ViewEvent",
    "VoiceMessage", "decode_body", "dedup_key", "parse_body", "parse_message",
    "PushPipeline", "PushResult", "SeenStore",
    "SUCCESS", "Article", "ImageReply", "MusicReply", "NewsReply", "Reply", "TextReply",
    "TransferCustomerServiceReply", "VideoReply", "VoiceReply", "render_reply",
    "render_reply_json",
    "Router", "PushSettings",
    "check_msg_signature", "check_signature", "check_timestamp", "sha1_signature",
    "verify_request", "verify_url",
    "cdata", "parse_xml", "strip_invalid_xml_chars",
]
