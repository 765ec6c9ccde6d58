"""The Open Platform third-party platform (开放平台第三方平台 / component): pure builders.

A component manages Official Accounts and Mini Programs ("authorizers") on their owners'
behalf. Its own token (``component_access_token``) comes from the ``component_verify_ticket``
WeChat pushes every 10 minutes; each authorizer's token comes from its refresh token.
Modules: :mod:`.tokens` (component and authorizer tokens), :mod:`.authorization` (pre-auth
code, authorization URLs, query_auth, authorizer info, options and list), :mod:`.oauth`
(web OAuth and Mini Program login on an authorizer's behalf), :mod:`.errors`.
Docs: https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/getting_started/how_to_read.html
"""
