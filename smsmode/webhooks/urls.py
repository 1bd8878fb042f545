from django.urls import path

from smsmode.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_index, name="index"),
    path("rotate/", views.webhook_secret_rotate_view, name="rotate"),
    path("deliveries/<uuid:public_id>/", views.delivery_detail, name="detail"),
    path("deliveries/<uuid:public_id>/resend/", views.delivery_resend_view, name="resend"),
]
