from django.urls import path

from campaigns.views import campaigns, messages

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", campaigns.campaign_list, name="index"),
    path("campaigns/new/", campaigns.campaign_create, name="create"),
    path("campaigns/<uuid:public_id>/", campaigns.campaign_detail, name="detail"),
    path("campaigns/<uuid:public_id>/edit/", campaigns.campaign_edit, name="edit"),
    path("campaigns/<uuid:public_id>/estimate/", campaigns.campaign_estimate_view, name="estimate"),
    path("campaigns/<uuid:public_id>/send/", campaigns.campaign_send, name="send"),
    path("campaigns/<uuid:public_id>/test/", campaigns.campaign_test, name="test"),
    path("campaigns/<uuid:public_id>/cancel/", campaigns.campaign_cancel_view, name="cancel"),
    path(
        "campaigns/<uuid:public_id>/unschedule/",
        campaigns.campaign_unschedule_view,
        name="unschedule",
    ),
    path(
        "campaigns/<uuid:public_id>/duplicate/",
        campaigns.campaign_duplicate_view,
        name="duplicate",
    ),
    path("campaigns/<uuid:public_id>/report/", campaigns.campaign_report_view, name="report"),
    path(
        "campaigns/<uuid:public_id>/messages.csv",
        campaigns.campaign_messages_csv,
        name="messages_csv",
    ),
    path("messages/", messages.message_list, name="messages"),
    path("messages/replies/", messages.reply_list, name="replies"),
]
