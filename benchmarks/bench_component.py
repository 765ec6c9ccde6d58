"""Benchmark: memory of many lazily created authorizer clients (a platform's daily shape).

Run by hand: ``python benchmarks/bench_component.py [--n 10000] [--wechatpy PYTHON]``.
Each measurement runs in a fresh process: it creates one component, then ``n`` authorizer
clients (``component.official_account(appid)``) each holding a cached authorizer token,
and reports the growth of the process's resident memory (VmRSS) and the total RSS. The
goal: 10,000 authorizer clients under 100 MB RSS in one process.

``--wechatpy PYTHON`` names a Python that has wechatpy installed (a throwaway venv:
``python -m venv /tmp/wp && /tmp/wp/bin/pip install wechatpy``); the same measurement then
runs with wechatpy's ``WeChatComponent.get_client_by_appid`` (tokens in its memory session)
beside wxcore's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

WXCORE = textwrap.dedent("""
    import json, sys, time
    from wxcore.tokens import Token
    from wxcore.adapters.component import Component
    from wxcore.adapters.credentials import MemoryCredentialStore

    def rss_kb():
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))

    n = int(sys.argv[1])
    component = Component("wx3e9a7c1b5d2f8046", "secret", credential_store=MemoryCredentialStore())
    component.official_account("wx0000000000000000")  # import and warm every class once
    before = rss_kb()
    started = time.perf_counter()
    clients = []
    for i in range(n):
        appid = f"wx{i:016x}"
        component.save_authorizer_refresh_token(appid, f"refreshtoken@@@{i:040d}")
        oa = component.official_account(appid)
        component.authorizer_token_provider(appid).set(
            Token(value=f"81_{i:0120d}", expires_at=time.time() + 7200, issued_at=time.time()))
        clients.append(oa)
    print(json.dumps({"growth_mb": (rss_kb() - before) / 1024, "rss_mb": rss_kb() / 1024,
                      "seconds": time.perf_counter() - started}))
""")

WECHATPY = textwrap.dedent("""
    import json, sys, time
    from wechatpy.component import WeChatComponent
    from wechatpy.session.memorystorage import MemoryStorage

    def rss_kb():
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))

    n = int(sys.argv[1])
    component = WeChatComponent("wx3e9a7c1b5d2f8046", "secret", "token",
                                "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                                session=MemoryStorage())
    before = rss_kb()
    started = time.perf_counter()
    clients = []
    for i in range(n):
        appid = f"wx{i:016x}"
        component.session.set(f"{appid}_refresh_token", f"refreshtoken@@@{i:040d}")
        component.session.set(f"{appid}_access_token", f"81_{i:0120d}", 7200)
        clients.append(component.get_client_by_appid(appid))
    print(json.dumps({"growth_mb": (rss_kb() - before) / 1024, "rss_mb": rss_kb() / 1024,
                      "seconds": time.perf_counter() - started}))
""")


def run(python: str, script: str, n: int) -> dict[str, float]:
    done = subprocess.run([python, "-c", script, str(n)], capture_output=True, text=True,
                          check=True)
    timings: dict[str, float] = json.loads(done.stdout)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="authorizer clients")
    parser.add_argument("--wechatpy", metavar="PYTHON", help="a Python with wechatpy installed")
    args = parser.parse_args()
    rows = [("wxcore Component.official_account", run(sys.executable, WXCORE, args.n))]
    if args.wechatpy:
        rows.append(("wechatpy get_client_by_appid", run(args.wechatpy, WECHATPY, args.n)))
    print(f"{args.n} authorizer clients, each with a cached token (fresh process each):")
    for name, row in rows:
        print(f"  {name:36s} +{row['growth_mb']:6.1f} MB  (RSS {row['rss_mb']:6.1f} MB, "
              f"{row['seconds']:.2f} s)")


if __name__ == "__main__":
    main()
