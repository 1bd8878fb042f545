"""RQ entry points of campaigns. Thin: they take ids and call services."""

from campaigns import dispatch, services


def campaign_launch_job(campaign_id: int) -> str:
    """Launch a due campaign. Idempotent: a second run (double click, retried job)
    finds it no longer scheduled and does nothing."""
    return services.campaign_launch(campaign_id=campaign_id)


def campaign_dispatch_job(campaign_id: int) -> int:
    """Submit a campaign's queued messages. Any number may run at once; a retried job
    never submits a message twice (each is claimed by a conditional update)."""
    return dispatch.campaign_dispatch(campaign_id=campaign_id)


def campaigns_launch_due() -> int:
    """Every minute: launch the scheduled campaigns whose time has come."""
    return services.campaigns_launch_due()


def messages_sweep_stale() -> int:
    """Every minute: messages left in submitting by a dead worker become unknown, and
    campaigns left without a dispatcher get one."""
    return dispatch.messages_sweep_stale()


def api_dispatch_job() -> int:
    """Submit the API's due messages (any account); any number may run at once."""
    return dispatch.api_dispatch()


def api_messages_due() -> int:
    """Every minute: the API's held and scheduled messages that are due get sent."""
    return dispatch.api_messages_due()
