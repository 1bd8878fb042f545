from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        # Delivery reports and replies from any gateway reach the messages here.
        from campaigns import dispatch
        from smsmode.sms import events

        events.on_delivery_report(dispatch.on_delivery_report)
        events.on_inbound(dispatch.on_inbound)
