"""The API: one django-ninja instance mounted at the site root.

- `/sms/v1/messages`: the smsmode-compatible SMS endpoint (campaigns/sms_api.py);
- `/api/v1/...`: our own resources, a router per app (each app's api.py);
- `/api/openapi.json` and `/api/docs`.
"""

from ninja import NinjaAPI

from campaigns.sms_api import router as sms_router
from smsmode.api import errors

api = NinjaAPI(
    title="smsmode API",
    version="1",
    description="Send SMS, follow their delivery, manage contacts, campaigns and short "
    "links. Authenticate with your API key in the `X-Api-Key` header (or "
    "`Authorization: Bearer <key>`). See docs/api.md.",
    openapi_url="api/openapi.json",
    docs_url="api/docs",
    urls_namespace="api",
)
errors.install(api)
api.add_router("sms/v1/messages", sms_router, tags=["SMS (smsmode-compatible)"])
# Our own resources under /api/v1/ (one router per app):
from campaigns.api import router as campaigns_router  # noqa: E402
from contacts.api import router as contacts_router  # noqa: E402
from landingpages.api import router as pages_router  # noqa: E402
from shortener.api import router as links_router  # noqa: E402
from smsmode.billing.api import router as billing_router  # noqa: E402

api.add_router("api/v1/", contacts_router)
api.add_router("api/v1/campaigns", campaigns_router, tags=["Campaigns"])
api.add_router("api/v1/links", links_router, tags=["Short links"])
api.add_router("api/v1/pages", pages_router, tags=["Landing pages"])
api.add_router("api/v1/", billing_router, tags=["Billing"])
