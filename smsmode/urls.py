from django.contrib import admin
from django.urls import include, path

from shortener.views.redirect import follow
from smsmode.api.api import api
from smsmode.dashboard.views import healthz

admin.site.site_header = "smsmode platform"
admin.site.site_title = "smsmode admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("subscription/", include("smsmode.billing.urls")),
    path("contacts/", include("contacts.urls")),
    path("", include("campaigns.urls")),
    path("shortener/", include("shortener.urls")),
    path("s/<str:code>", follow, name="short_link"),
    path("webhooks/", include("smsmode.webhooks.urls")),
    path("landing-pages/<uuid:public_id>/stats/", include("landingpages.stats_urls")),
    path("landing-pages/", include("landingpages.urls")),
    path("p/", include("landingpages.public_urls")),
    path("api-keys/", include("smsmode.api.urls")),
    path("", include("smsmode.dashboard.urls")),
    path("", include("smsmode.accounts.urls")),
    # Last: the API's patterns include a root view of its own.
    path("", api.urls),
]
