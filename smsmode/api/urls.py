from django.urls import path

from smsmode.api import views

app_name = "api_keys"

urlpatterns = [
    path("", views.key_index, name="index"),
    path("new/", views.key_create_view, name="create"),
    path("<uuid:public_id>/revoke/", views.key_revoke_view, name="revoke"),
]
