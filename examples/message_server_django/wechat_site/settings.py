"""Settings of the example site: one view and a menu command, no database.

The push endpoint's token, key and appid come from the environment (``WECHAT_TOKEN``,
``WECHAT_AES_KEY``, ``WECHAT_APPID``; without a key the endpoint runs in plain mode). The
``wechat_menu`` command calls WeChat with ``WECHAT_APPID`` and ``WECHAT_SECRET``, or a sandbox
at ``WECHAT_API_BASE``."""

import os
import secrets

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(32)
DEBUG = False
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")
ROOT_URLCONF = "wechat_site.urls"
INSTALLED_APPS = ["menu_admin"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

WECHAT_TOKEN = os.environ.get("WECHAT_TOKEN", "")
WECHAT_AES_KEY = os.environ.get("WECHAT_AES_KEY") or None
WECHAT_APPID = os.environ.get("WECHAT_APPID") or None
WECHAT_SECRET = os.environ.get("WECHAT_SECRET", "")
WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE") or None
