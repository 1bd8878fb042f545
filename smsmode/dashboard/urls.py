from django.urls import path

from smsmode.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/<slug:chart>.csv", views.chart_csv, name="csv"),
]
