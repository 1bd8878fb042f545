from django.http import HttpRequest

from smsmode.accounts.models import Membership


def current_account(request: HttpRequest) -> dict[str, object]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"account": None, "membership": None}

    def other_memberships() -> list[Membership]:
        return list(
            Membership.objects.select_related("account")
            .filter(user=request.user)
            .exclude(pk=membership.pk)
            .order_by("account__name")
        )

    return {
        "account": membership.account,
        "membership": membership,
        "other_memberships": other_memberships,
    }
