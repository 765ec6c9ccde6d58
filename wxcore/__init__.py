"""wxcore: a WeChat server-side SDK with a pure functional core.

``wxcore`` (this package) builds requests and parses responses with no I/O;
``wxcore.adapters`` sends them (transports, retries, token providers, clients, the sandbox).
"""

__version__ = "0.1.0"
