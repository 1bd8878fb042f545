"""A landing page's statistics (customer area). To be mounted with the page's public id
in the prefix: path("landing-pages/<uuid:public_id>/stats/", include(...))."""

from django.urls import path

from landingpages.views import stats

app_name = "landing_stats"

urlpatterns = [
    path("", stats.overview, name="overview"),
    path("submissions/", stats.submissions, name="submissions"),
    path("submissions.csv", stats.submissions_csv, name="submissions_csv"),
]
