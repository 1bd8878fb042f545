from django.apps import AppConfig


class SmsConfig(AppConfig):
    """The SMS core. No models: an app so that its management commands
    (`smpp_connector`) are found."""

    name = "smsmode.sms"
    label = "sms"
    verbose_name = "SMS"
