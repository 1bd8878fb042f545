from django.urls import path

from landingpages.views import editor

app_name = "landingpages"

urlpatterns = [
    path("", editor.page_list, name="index"),
    path("new/", editor.page_new, name="create"),
    path("images/<uuid:image_id>/", editor.image_view, name="image"),
    path("<uuid:public_id>/", editor.page_edit, name="edit"),
    path("<uuid:public_id>/preview/", editor.page_preview, name="preview"),
    path("<uuid:public_id>/settings/", editor.page_settings, name="settings"),
    path("<uuid:public_id>/publish/", editor.page_publish_view, name="publish"),
    path("<uuid:public_id>/unpublish/", editor.page_unpublish_view, name="unpublish"),
    path("<uuid:public_id>/duplicate/", editor.page_duplicate_view, name="duplicate"),
    path("<uuid:public_id>/delete/", editor.page_delete_view, name="delete"),
    path("<uuid:public_id>/blocks/add/", editor.block_add_view, name="block_add"),
    path("<uuid:public_id>/blocks/<slug:block_id>/", editor.block_update_view, name="block_update"),
    path(
        "<uuid:public_id>/blocks/<slug:block_id>/move/", editor.block_move_view, name="block_move"
    ),
    path(
        "<uuid:public_id>/blocks/<slug:block_id>/delete/",
        editor.block_delete_view,
        name="block_delete",
    ),
]
