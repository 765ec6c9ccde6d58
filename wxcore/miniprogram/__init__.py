"""Mini Program (小程序) server-side APIs: one module per API group, builders and results.

* :mod:`~wxcore.miniprogram.login` -- code2session, phone numbers, paid unionid, plugin openpid
* :mod:`~wxcore.miniprogram.datacrypt` -- encryptedData decryption, rawData signatures
* :mod:`~wxcore.miniprogram.analysis` -- datacube retention, summary and visit trends
* :mod:`~wxcore.miniprogram.images` -- image processing, OCR, temporary media
* :mod:`~wxcore.miniprogram.security` -- content security v2, the media-check push, risk rank
* :mod:`~wxcore.miniprogram.updatable` -- updatable (dynamic) messages
* :mod:`~wxcore.miniprogram.subscribe` -- subscribe messages
* :mod:`~wxcore.miniprogram.wxacode` -- Mini Program codes and QR codes (image bytes)
* :mod:`~wxcore.miniprogram.links` -- Short Link, URL Link, URL Scheme
* :mod:`~wxcore.miniprogram.soter` -- SOTER biometric signatures
* :mod:`~wxcore.miniprogram.errors` -- the errcodes these endpoints document, typed

See docs/miniprogram.md.
"""
