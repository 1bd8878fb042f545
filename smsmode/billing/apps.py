from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "smsmode.billing"
    label = "billing"
    verbose_name = "Billing"
