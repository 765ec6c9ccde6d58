"""Mini Program (小程序) server-side APIs: one module per API group, builders and results."""
