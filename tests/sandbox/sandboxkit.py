"""Shared by the sandbox tests: the message server's credentials, the live server's record,
and a small client for the sandbox's JSON control API."""

from __future__ import annotations

from dataclasses import dataclass, field

import urllib3

from wxcore.messages import Push

TOKEN = "consoleToken42"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aQ"  # 43 characters, made up for the tests


@dataclass
class LiveMessageServer:
    url: str
    received: list[Push] = field(default_factory=list)


class Control:
    """POSTs and GETs JSON to a sandbox's control API over loopback HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = urllib3.PoolManager(retries=False, timeout=10)

    def post(self, path: str, body: object = None, *, raw: bytes | None = None,
             ) -> urllib3.BaseHTTPResponse:
        if raw is None and body is not None:
            return self.http.request("POST", self.base_url + path, json=body)
        return self.http.request("POST", self.base_url + path, body=raw or b"")

    def get(self, path: str) -> urllib3.BaseHTTPResponse:
        return self.http.request("GET", self.base_url + path)

    def ok(self, path: str, body: object = None) -> dict:  # type: ignore[type-arg]
        response = self.post(path, body) if path != "/sandbox/state" else self.get(path)
        assert response.status == 200, response.data
        return response.json()  # type: ignore[no-any-return]
