"""The landing pages screens: the editor (`editor`), a page's statistics (`stats`) and
the public side (`public`).

What the customer-area screens show to an account whose plan has no landing pages
lives here, for every screen of the tab to use.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

LOCKED_INFO = {
    "title": _("Landing pages"),
    "help": _("Mobile pages reached from your SMS, personalised for each recipient."),
    "promise": _(
        "Build a page from blocks (text, images, buttons, coupons, forms) and "
        "measure views and conversions."
    ),
    "icon": "phone",
}


def locked_response(request: HttpRequest, *, status: int = 403) -> HttpResponse:
    """What landing pages do, and an upgrade button (owners) or whom to ask (others)."""
    return render(
        request, "dashboard/coming_soon.html", {"info": LOCKED_INFO, "locked": True}, status=status
    )
