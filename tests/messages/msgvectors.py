"""WeChat's published sample values and push bodies in the shapes WeChat documents, shared by
the message-server tests. The shapes come from WeChat's pages on receiving messages
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html),
events (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html),
passive replies (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html)
and message encryption (https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Technical_Plan.html)."""

from __future__ import annotations

# WeChat's official WXBizMsgCrypt sample (the same values appear in its Python, Go and Node
# samples): a compatible-mode body whose Encrypt carries a text message.
SAMPLE_TOKEN = "spamtest"
SAMPLE_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APPID = "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHF"
    "VAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVti"
    "cbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpA"
    "e+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCu"
    "mEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["
    "oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType>"
    "<![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728"
    f"</MsgId><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
).encode()

# A fixed safe-mode vector of our own (fixed random bytes), checked both ways against
# independent_crypto.py.
REF_TOKEN = "mytoken"
REF_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
REF_APPID = "wx1234567890abcdef"
REF_RANDOM = b"0123456789abcdef"
REF_TIMESTAMP = "1700000000"
REF_NONCE = "123456789"
REF_MSG = (
    "<xml><ToUserName><![CDATA[gh_abc]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]>"
    "</Content><MsgId>1</MsgId></xml>"
)
REF_ENCRYPT = (
    "Q3stYC6hdFzMh9T8HCvyDNsaqyrD/A96lyL1WhvUyNBDpf172sPPDmNZFAt45fpa1xq03oKH1Ml6BA4gXuz3r0CPtmzx"
    "C0uqKoefTluPmX1xELdEzuZZuwb5X7CWVDSFR2towCd5JKmlPNHeydxm7rUAXdsniervMvcfIqZwhxtQXbQzrUhd7j0kuL"
    "+c88Fp4YaquLs5DWgIK4XI+yC+0reCCzdDTSZlYmNIjE/V8n6HbaZ5ZvlmEogwes1jkJIyZTcI/SBXrwI6b28MB0Hv3xoR"
    "ycb/v3feLzqG0LKfD3Gsx2EZ93i1b9+18mY6GR+iW/RXkNwBU8Ofc6goSwUMl4QWIZPa1ysIfjMeQ78rZJJjMLBNz3Pdp2"
    "oIQU8WvyE2"
)
REF_MSG_SIGNATURE = "9f95bf418911114407b3b436955311c7f2b8e483"

# An Official Account (gh_ original id) and one of its users (openid).
OA_ID = "gh_3f1c2b9a7e0d"
USER = "o9xQk2LmN7pR4tVw1ZbY6cDs3EfU"
TEXT_PUSH = (
    f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]>"
    "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[hello]]></Content><MsgId>24312345678901234</MsgId></xml>"
).encode()


def event_push(event: str, extra: str = "", create_time: int = 1700000000) -> bytes:
    """An event push body in WeChat's documented shape."""
    return (
        f"<xml><ToUserName><![CDATA[{OA_ID}]]></ToUserName><FromUserName><![CDATA[{USER}]]>"
        f"</FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{extra}</xml>"
    ).encode()

