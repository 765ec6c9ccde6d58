"""Everything in wxcore that does I/O: transports, retries, token providers and stores,
the client and facades, fixture record/replay, the offline sandbox and the command line.

Installed as ``wxcore.adapters`` (the top-level folder ``adapters/`` is mapped to that name),
so import it only as ``wxcore.adapters...``.
"""

import logging as _logging

# Library logging etiquette: wxcore logs under the "wxcore" logger and never configures the
# root logger; without a handler of the application's, nothing is printed.
_logging.getLogger("wxcore").addHandler(_logging.NullHandler())
