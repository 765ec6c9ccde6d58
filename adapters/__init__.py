"""Everything in wxcore that does I/O: transports, retries, token providers and stores,
the client and facades, fixture record/replay, the offline sandbox and the command line.

Installed as ``wxcore.adapters`` (the top-level folder ``adapters/`` is mapped to that name),
so import it only as ``wxcore.adapters...``.
"""
