"""wxcore's pytest plugin, registered through the ``pytest11`` entry point.

It gives tests clients that replay recorded WeChat traffic (cassettes); see
``docs/testing.md``.
"""
