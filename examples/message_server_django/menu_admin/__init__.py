"""The example's menu admin: ``python manage.py wechat_menu push|show|delete``."""
