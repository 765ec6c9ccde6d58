from django.urls import path

from wechat_site import views

urlpatterns = [path("wechat", views.wechat)]
