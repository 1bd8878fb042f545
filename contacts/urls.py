from django.urls import path

from contacts.views import contacts, imports, lists, optouts

app_name = "contacts"

urlpatterns = [
    path("", contacts.contact_list, name="index"),
    path("new/", contacts.contact_create, name="create"),
    path("bulk/", contacts.contact_bulk, name="bulk"),
    path("export/", contacts.contact_export, name="export"),
    path("<uuid:public_id>/", contacts.contact_detail, name="detail"),
    path("<uuid:public_id>/edit/", contacts.contact_edit, name="edit"),
    path("<uuid:public_id>/delete/", contacts.contact_delete, name="delete"),
    path("import/", imports.import_upload, name="import_upload"),
    path("imports/", imports.import_index, name="import_index"),
    path("imports/<uuid:public_id>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/<uuid:public_id>/cancel/", imports.import_cancel, name="import_cancel"),
    path("imports/<uuid:public_id>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<uuid:public_id>/retry/", imports.import_retry_view, name="import_retry"),
    path(
        "imports/<uuid:public_id>/rejected.csv",
        imports.import_rejected_csv,
        name="import_rejected",
    ),
    path("lists/", lists.list_index, name="lists"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<uuid:public_id>/", lists.list_detail, name="list_detail"),
    path("lists/<uuid:public_id>/edit/", lists.list_edit, name="list_edit"),
    path("lists/<uuid:public_id>/delete/", lists.list_delete, name="list_delete"),
    path("opt-outs/", optouts.optout_list, name="optouts"),
    path("opt-outs/add/", optouts.optout_add_view, name="optout_add"),
    path("opt-outs/upload/", optouts.optout_upload, name="optout_upload"),
    path("opt-outs/<uuid:public_id>/remove/", optouts.optout_remove_view, name="optout_remove"),
]
