from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "smsmode.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"
