"""Official Account (公众号) APIs as pure builders, one module per API group.

Each module declares its result types, endpoints and builders (see docs/design-notes.md,
"Declaring an endpoint"); :mod:`wxcore.officialaccount.api` derives the facade methods.
"""
