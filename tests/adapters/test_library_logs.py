"""Secrets stay out of the logs of the HTTP library under the transport, even at DEBUG."""

from __future__ import annotations

import logging

import pytest

from wxcore.adapters.logredact import URLLIB3_LOGGERS, RedactingFilter
from wxcore.adapters.miniprogram import MiniProgram
from wxcore.adapters.sandbox import SandboxServer, login_code, phone_code
from wxcore.adapters.transport import Urllib3Transport


def test_root_logger_at_debug_shows_urllib3_request_lines_without_secrets(
        sandbox_server: SandboxServer, caplog: pytest.LogCaptureFixture) -> None:
    for name in URLLIB3_LOGGERS:  # as in a fresh process: the transport must install it
        for installed in [f for f in logging.getLogger(name).filters
                          if isinstance(f, RedactingFilter)]:
            logging.getLogger(name).removeFilter(installed)
    sandbox = sandbox_server.sandbox
    app = sandbox.default_app
    mp = MiniProgram(app.appid, app.secret, transport=Urllib3Transport.for_base_url(
        sandbox_server.base_url, proxy=False))
    caplog.set_level(logging.DEBUG)  # the root logger, as logging.basicConfig(level=DEBUG)
    mp.code2session(login_code(sandbox, "alice"))
    mp.get_phone_number(phone_code(sandbox))
    token = mp.get_access_token()
    pool_lines = [r.getMessage() for r in caplog.records if r.name == "urllib3.connectionpool"]
    # urllib3 did log the request lines, with the secrets' names but not their values.
    assert any("/sns/jscode2session?" in line and "secret=***" in line for line in pool_lines)
    assert any("access_token=***" in line for line in pool_lines)
    assert app.secret not in caplog.text and token not in caplog.text


def test_the_filter_redacts_arguments_and_leaves_other_records_alone() -> None:
    record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
                               '%s "%s"', ("http://h:1", "GET /x?access_token=TOKEN&a=1"), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == 'http://h:1 "GET /x?access_token=***&a=1"'
    plain = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, "%d pools", (3,), None)
    RedactingFilter().filter(plain)
    assert plain.getMessage() == "3 pools"
