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
