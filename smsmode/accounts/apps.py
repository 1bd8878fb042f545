from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "smsmode.accounts"
    label = "accounts"
    verbose_name = "Accounts"
