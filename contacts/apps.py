from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts"

    def ready(self) -> None:
        # A STOP reply from any gateway opts the number out of every account that
        # wrote to it (see contacts.services.optout_from_inbound).
        from contacts.services import optout_from_inbound
        from smsmode.sms import events

        events.on_inbound(optout_from_inbound)
