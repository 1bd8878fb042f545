from django.urls import path

from shortener.views import links

app_name = "shortener"

urlpatterns = [
    path("", links.link_index, name="index"),
    path("delete/", links.link_bulk_delete, name="bulk_delete"),
    path("<uuid:public_id>/", links.link_detail, name="detail"),
    path("<uuid:public_id>/edit/", links.link_edit, name="edit"),
    path("<uuid:public_id>/qr.<str:fmt>", links.link_qr, name="qr"),
]
