from django.urls import path

from smsmode.accounts import views

app_name = "accounts"

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/invite/", views.invite, name="invite"),
    path("team/leave/", views.leave, name="leave"),
    path("team/members/<uuid:public_id>/role/", views.change_role, name="change_role"),
    path("team/members/<uuid:public_id>/remove/", views.remove_member, name="remove_member"),
    path(
        "team/invitations/<uuid:public_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("settings/", views.account_settings, name="settings"),
    path("account/switch/", views.switch_account, name="switch"),
    path("account/new/", views.create_account, name="create"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
]
