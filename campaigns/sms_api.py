"""The smsmode-compatible SMS endpoint: /sms/v1/messages (being built)."""

from ninja import Router

from smsmode.api.auth import api_auth

router = Router(auth=api_auth)
