"""The central token service over loopback HTTP, the remote provider, and the CLI."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from wsgiref.util import setup_testing_defaults

import pytest
from support import free_port
from token_helpers import CountingService
import urllib3

from wxcore.errors import TokenError, UsageError
from wxcore.tokens import Token

from wxcore.adapters.cli import build_parser
from wxcore.adapters.cli import token_server as cli
from wxcore.adapters.client import Client
from wxcore.adapters.sandbox import Fault, SandboxServer, SandboxTransport, WeChatSandbox
from wxcore.adapters.token_server import RemoteTokenProvider, TokenServer, TokenService

SECRET = "s3cret-shared-by-the-fleet"
STABLE = "/cgi-bin/stable_token"


@pytest.fixture
def served() -> Iterator[tuple[TokenServer, WeChatSandbox]]:
    """A token server for the sandbox's app (sandbox in-process, service over loopback)."""
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    client = Client(app.appid, app.secret, transport=SandboxTransport(sandbox))
    with TokenServer(TokenService.for_clients([client]), SECRET) as server:
        yield server, sandbox


def _get(url: str, secret: str | None, method: str = "GET",
         body: bytes | None = None) -> urllib3.BaseHTTPResponse:
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    return urllib3.request(method, url, headers=headers, body=body, retries=False, timeout=5)


def test_no_token_is_served_without_the_shared_secret(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    url = f"{server.base_url}/token/{sandbox.default_app.appid}/access_token"
    for secret in (None, "", "wrong-secret-of-some-length", SECRET + "x", SECRET[:-1]):
        response = _get(url, secret)
        assert response.status == 401
        assert b"access_token" not in response.data
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _get(url + "/invalidate", None, "POST", b'{"value": "x"}').status == 401
    assert sandbox.calls[STABLE] == 0  # nothing was even fetched
    response = _get(url, SECRET)
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    answer = response.json()
    assert answer["access_token"].startswith("81_") and 7000 < answer["expires_in"] <= 7200
    assert _get(f"{server.base_url}/healthz", None).json() == {"ok": True, "apps": 1}


def test_unknown_apps_kinds_and_paths_are_404(served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    assert _get(f"{server.base_url}/token/wx0000000000000000/access_token", SECRET).status == 404
    assert _get(f"{server.base_url}/token/{sandbox.default_app.appid}/nope", SECRET).status == 404
    assert _get(f"{server.base_url}/elsewhere", SECRET).status == 404


def test_the_secret_is_refused_if_too_short() -> None:
    with pytest.raises(UsageError, match="client secret needs at least 16"):
        TokenServer(TokenService({}), "short")


def test_remote_providers_share_one_token_and_tickets(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    appid = sandbox.default_app.appid
    remotes = [RemoteTokenProvider(server.base_url, appid, secret=SECRET) for _ in range(3)]
    values = {r.get().value for r in remotes}
    assert len(values) == 1 and sandbox.calls[STABLE] == 1
    assert remotes[0].get() is remotes[0].get()  # cached locally: one request per refresh
    ticket = RemoteTokenProvider(server.base_url, appid, "jsapi_ticket", secret=SECRET).get()
    assert ticket.value and ticket.value not in values
    # A client with no app secret calls WeChat with the served token.
    client = Client(appid, token_provider=remotes[1], transport=SandboxTransport(sandbox))
    assert client.get_access_token() in values


def test_a_rejected_token_is_renewed_once_by_the_service(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    appid = sandbox.default_app.appid
    remotes = [RemoteTokenProvider(server.base_url, appid, secret=SECRET) for _ in range(4)]
    old = remotes[0].get()
    for r in remotes[1:]:
        assert r.get().value == old.value
    sandbox.revoke_tokens(appid)
    sandbox.calls.clear()
    for r in remotes:  # every environment saw WeChat reject it
        r.invalidate(old)
    renewed = {r.get().value for r in remotes}
    assert len(renewed) == 1 and old.value not in renewed
    assert sandbox.calls[STABLE] == 1


def test_a_remote_provider_behind_a_stale_cache_fetches_once_across_threads(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    remote = RemoteTokenProvider(server.base_url, sandbox.default_app.appid, secret=SECRET)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(remote.get().value))
               for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and len(seen) == 16 and sandbox.calls[STABLE] == 1


def test_an_unreachable_service_raises_a_clear_token_error() -> None:
    remote = RemoteTokenProvider(f"http://127.0.0.1:{free_port()}", "wx1", secret=SECRET)
    with pytest.raises(TokenError, match="is unreachable .*wxcore token-server") as caught:
        remote.get()
    assert SECRET not in str(caught.value)
    remote.invalidate(Token(value="x"))  # best effort: logs, does not raise


def test_a_silent_service_times_out() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        remote = RemoteTokenProvider(f"http://127.0.0.1:{listener.getsockname()[1]}", "wx1",
                                     secret=SECRET, timeout=urllib3.Timeout(connect=1, read=0.2))
        with pytest.raises(TokenError, match="did not answer within 0.2s"):
            remote.get()
        # A plain float is both timeouts (urllib3 would read it as a total, whose read part
        # cannot be asked for before the request started: TimeoutStateError).
        remote = RemoteTokenProvider(f"http://127.0.0.1:{listener.getsockname()[1]}", "wx1",
                                     secret=SECRET, timeout=0.3)
        with pytest.raises(TokenError, match="did not answer within 0.3s"):
            remote.get()


def test_threads_of_a_remote_provider_share_one_failed_request() -> None:
    sandbox = WeChatSandbox()
    sandbox.inject(Fault("errcode", times=10_000, path=STABLE))  # WeChat busy for everyone
    app = sandbox.default_app
    client = Client(app.appid, app.secret, transport=SandboxTransport(sandbox),
                    sleep=lambda s: time.sleep(s / 10))
    service = CountingService(TokenService.for_clients([client]).providers)
    with TokenServer(service, SECRET) as server:
        remote = RemoteTokenProvider(server.base_url, app.appid, secret=SECRET)
        errors: list[BaseException] = []
        barrier = threading.Barrier(16)

        def get() -> None:
            barrier.wait()
            try:
                remote.get()
            except TokenError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=get) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(errors) == 16 and all("HTTP 502" in str(e) for e in errors)
    assert service.asked == 1 and sandbox.calls[STABLE] == 3


def test_wrong_secret_and_upstream_failures_are_explained(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    appid = sandbox.default_app.appid
    wrong = RemoteTokenProvider(server.base_url, appid, secret="not-the-right-secret!")
    with pytest.raises(TokenError, match="refused the client secret"):
        wrong.get()
    sandbox.inject(Fault("errcode", path=STABLE, errcode=40164, errmsg="invalid ip 10.0.0.9",
                         times=10))
    with pytest.raises(TokenError, match="HTTP 502 .*40164"):
        RemoteTokenProvider(server.base_url, appid, secret=SECRET).get()


# -- the command line -------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["token-server", *argv])


def test_cli_reads_secrets_from_the_environment_and_config_never_argv(
        tmp_path: pathlib.Path) -> None:
    config = tmp_path / "apps.json"
    config.write_text(json.dumps({"apps": {"wxaaa": "secret-a",
                                           "wxbbb": {"secret_env": "B_SECRET",
                                                     "token_api": "token"}}}))
    env = {"WXCORE_APP_SECRET_wxccc": "secret-c", "B_SECRET": "secret-b"}
    apps = cli.load_apps(_args("--config", str(config), "--app", "wxccc"), env)
    assert [(a.appid, a.secret, a.token_api) for a in apps] == [
        ("wxaaa", "secret-a", "stable"), ("wxbbb", "secret-b", "token"),
        ("wxccc", "secret-c", "stable")]
    with pytest.raises(cli.ConfigError, match="WXCORE_APP_SECRET_wxddd"):
        cli.load_apps(_args("--app", "wxddd"), {})
    commands = next(action for action in build_parser()._actions
                    if isinstance(action, argparse._SubParsersAction))
    help_text = commands.choices["token-server"].format_help()
    assert "secret-a" not in help_text and "--secret " not in help_text


def test_cli_refuses_to_serve_without_a_shared_secret(capsys: pytest.CaptureFixture[str]) -> None:
    env_before = os.environ.pop(cli.SECRET_ENV, None)
    os.environ[cli.APP_SECRET_ENV + "wxaaa"] = "secret-a"
    try:
        assert cli.run(_args("--app", "wxaaa", "--port", "0")) == 2
    finally:
        del os.environ[cli.APP_SECRET_ENV + "wxaaa"]
        if env_before is not None:
            os.environ[cli.SECRET_ENV] = env_before
    assert "WXCORE_TOKEN_SERVER_SECRET" in capsys.readouterr().err


def test_cli_fails_at_start_when_its_redis_is_unreachable() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(cli.ConfigError, match="cannot reach Redis"):
        cli.build(_args("--sandbox", "--port", "0", "--redis", url), {cli.SECRET_ENV: SECRET})


def test_cli_sandbox_demo_serves_tokens_through_redis(redis_url: str) -> None:
    env = {cli.SECRET_ENV: SECRET}
    server, closers = cli.build(_args("--sandbox", "--port", "0", "--redis", redis_url), env)
    server.start()
    try:
        appid = server.service.apps()[0]
        token = RemoteTokenProvider(server.base_url, appid, secret=SECRET).get()
        assert token.value.startswith("81_")
    finally:
        server.stop()
        cli.close_all(closers)


def test_the_token_server_command_runs_as_a_process(sandbox_server: SandboxServer,
                                                    tmp_path: pathlib.Path) -> None:
    """End to end: `wxcore token-server` in its own process, apps from the environment."""
    app = sandbox_server.sandbox.default_app
    port = free_port()
    config = {"apps": {app.appid: {"secret_env": "THE_APP_SECRET"}}}
    env = {**os.environ, cli.SECRET_ENV: SECRET, "THE_APP_SECRET": app.secret}
    cfg = tmp_path / "apps.json"
    cfg.write_text(json.dumps(config))
    proc = subprocess.Popen([sys.executable, "-m", "wxcore.adapters.cli", "token-server",
                             "--config", str(cfg), "--port", str(port),
                             "--api-base", sandbox_server.base_url], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if _get(f"http://127.0.0.1:{port}/healthz", None).status == 200:
                    break
            except urllib3.exceptions.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "token-server did not start"
            time.sleep(0.05)
        remote = RemoteTokenProvider(f"http://127.0.0.1:{port}", app.appid, secret=SECRET)
        assert remote.get().value.startswith("81_")
        assert sandbox_server.sandbox.calls[STABLE] == 1
        assert SECRET not in " ".join(proc.args)  # type: ignore[arg-type]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- hardening: timeouts, a bounded pool, authentication before the body, named clients ----

def _raw(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    """Send ``data`` on a fresh connection and read the answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _invalidate(appid: str, length: str, auth: str | None) -> bytes:
    head = f"POST /token/{appid}/access_token/invalidate HTTP/1.1\r\nHost: x\r\n"
    if auth is not None:
        head += f"Authorization: {auth}\r\n"
    return (head + f"Content-Length: {length}\r\n\r\n").encode()


def test_the_body_is_read_only_after_authentication_and_only_with_a_valid_length(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    server, sandbox = served
    appid = sandbox.default_app.appid
    # Content-Length -1 without a secret: refused at once, nothing read (the client keeps
    # its side open; before, the server read until the client closed).
    assert _raw(server.port, _invalidate(appid, "-1", None)).startswith(b"HTTP/1.0 401")
    bearer = f"Bearer {SECRET}"
    for length, status in (("-1", b"400"), ("abc", b"400"), ("+5", b"400"),
                           (str(10**6), b"413")):
        answer = _raw(server.port, _invalidate(appid, length, bearer))
        assert answer.split(b" ")[1] == status, (length, answer)
    no_length = (f"POST /token/{appid}/access_token/invalidate HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: {bearer}\r\n\r\n").encode()
    assert _raw(server.port, no_length).split(b" ")[1] == b"411"
    body = b'{"value": "81_not_current"}'
    ok = _raw(server.port, _invalidate(appid, str(len(body)), bearer) + body)
    assert ok.startswith(b"HTTP/1.0 200") and ok.endswith(b'{"ok":true}')


def test_half_sent_requests_hold_neither_threads_nor_the_service(
        served: tuple[TokenServer, WeChatSandbox]) -> None:
    _, sandbox = served
    app = sandbox.default_app
    client = Client(app.appid, app.secret, transport=SandboxTransport(sandbox))
    threads_before = threading.active_count()
    with TokenServer(TokenService.for_clients([client]), SECRET, workers=2, waiting=2,
                     socket_timeout=0.5) as server:
        stalled = []
        for _ in range(30):  # a request line, then nothing
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            conn.sendall(b"GET /token/x/access_token HTTP/1.1\r\nHost: x\r\n")
            stalled.append(conn)
        time.sleep(0.2)
        assert threading.active_count() <= threads_before + 1 + 2  # serve loop + 2 workers
        refused = 0
        for conn in stalled:  # all dropped: 503 at once past the queue, or after the timeout
            answer = conn.recv(1024)
            refused += answer.startswith(b"HTTP/1.0 503")
            conn.close()
        assert refused == 30 - 4
        remote = RemoteTokenProvider(server.base_url, app.appid, secret=SECRET)
        assert remote.get().value.startswith("81_")


def test_named_client_secrets_are_checked_with_their_scheme_and_revocable() -> None:
    sandbox = WeChatSandbox()
    app = sandbox.default_app
    client = Client(app.appid, app.secret, transport=SandboxTransport(sandbox))
    clients = {"billing": "billing-secret-0123456789", "web": "web-secret-0123456789ab"}
    with TokenServer(TokenService.for_clients([client]), clients) as server:
        url = f"{server.base_url}/token/{app.appid}/access_token"
        for name, secret in clients.items():
            assert _get(url, secret).status == 200
        basic = urllib3.request("GET", url, headers={"Authorization": f"Basic {clients['web']}"},
                                retries=False, timeout=5)
        assert basic.status == 401  # the right secret under the wrong scheme
        assert server.clients.revoke("web") and server.clients.names == ["billing"]
        assert _get(url, clients["web"]).status == 401
        assert _get(url, clients["billing"]).status == 200
        with pytest.raises(UsageError, match="at least 16"):
            server.clients.add("short", "tiny")


def test_the_service_is_a_wsgi_application(monkeypatch: pytest.MonkeyPatch) -> None:
    app = cli.wsgi_app("--sandbox", env={cli.SECRET_ENV: SECRET})
    try:
        def call(path: str, auth: str | None) -> tuple[str, dict[str, object]]:
            environ: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
            if auth:
                environ["HTTP_AUTHORIZATION"] = auth
            setup_testing_defaults(environ)
            seen: list[str] = []
            body = b"".join(app(environ, lambda status, headers: seen.append(status)))
            return seen[0], json.loads(body)

        appid = app.service.apps()[0]
        status, answer = call(f"/token/{appid}/access_token", f"Bearer {SECRET}")
        assert status == "200 OK" and str(answer["access_token"]).startswith("81_")
        assert call(f"/token/{appid}/access_token", None)[0] == "401 Unauthorized"
        assert call("/healthz", None) == ("200 OK", {"ok": True, "apps": 1})
    finally:
        for provider in app.service.providers.values():
            close = getattr(provider, "close", None)
            if close:
                close()


def test_cli_named_clients_from_the_environment_and_config(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "tokens.json"
    config.write_text(json.dumps({"apps": {"wxaaa": "secret-a"},
                                  "clients": {"cron": {"secret_env": "CRON_SECRET"}}}))
    env = {"WXCORE_TOKEN_CLIENT_WEB_FRONT": "w" * 20, "CRON_SECRET": "c" * 20,
           cli.SECRET_ENV: "s" * 20}
    clients = cli.load_clients(_args("--config", str(config), "--client", "web-front"), env)
    assert clients == {"default": "s" * 20, "cron": "c" * 20, "web-front": "w" * 20}
    with pytest.raises(cli.ConfigError, match="WXCORE_TOKEN_CLIENT_OPS"):
        cli.load_clients(_args("--client", "ops"), env)
