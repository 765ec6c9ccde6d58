"""One value holding a push endpoint's settings, shared by every piece that needs them.

:class:`PushSettings` is what WeChat's console shows for the message server (Token,
EncodingAESKey, the appid) plus wxcore's own checks (timestamp window, size and depth
limits, "safe mode only"). ``PushPipeline``, ``MessageServer`` and the sandbox's
``PushSender`` all take this one value, so the settings are written (and validated) once.
The repr never shows the token or the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wxcore.errors import UsageError
from wxcore.messages.crypto import MessageCrypto, decode_aes_key
from wxcore.messages.signature import DEFAULT_TIMESTAMP_WINDOW
from wxcore.messages.xml import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH

__all__ = ["PushSettings"]


@dataclass(frozen=True)
class PushSettings:
    """A push endpoint's settings (frozen; build it once at start-up).

    ``encoding_aes_key`` and ``appid`` enable safe mode (both or neither); ``appid`` is the
    component appid for Open Platform pushes. ``timestamp_window`` (seconds, ``None`` to
    disable) bounds how old or new a push's timestamp may be; ``require_encryption``
    refuses plaintext pushes; ``max_bytes``/``max_depth`` bound every body, XML or JSON.
    """

    token: str = field(repr=False)
    encoding_aes_key: str | None = field(default=None, repr=False)
    appid: str | None = None
    timestamp_window: float | None = DEFAULT_TIMESTAMP_WINDOW
    require_encryption: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH

    def __post_init__(self) -> None:
        if not self.token:
            raise UsageError("token is required")
        if (self.encoding_aes_key is None) != (self.appid is None):
            raise UsageError("encoding_aes_key and appid go together (safe mode needs both)")
        if self.encoding_aes_key is not None:
            decode_aes_key(self.encoding_aes_key)  # InvalidAESKeyError now, not at the first push
            if not self.appid:
                raise UsageError("appid is required to check decrypted messages")
        if self.require_encryption and self.encoding_aes_key is None:
            raise UsageError("require_encryption needs encoding_aes_key and appid")
        if self.max_bytes < 1 or self.max_depth < 1:
            raise UsageError("max_bytes and max_depth must be positive")

    @property
    def safe_mode(self) -> bool:
        """Whether a key is configured (pushes can be decrypted and replies encrypted)."""
        return self.encoding_aes_key is not None

    def crypto(self) -> MessageCrypto | None:
        """The message crypto for these settings, or ``None`` in plain mode."""
        if self.encoding_aes_key is None or self.appid is None:
            return None
        return MessageCrypto(self.token, self.encoding_aes_key, self.appid)
