"""Middleware of the API paths (/api/..., /sms/...): the rate-limit headers on every
answer, and `Idempotency-Key` on POST.

Idempotency: the first POST with a key runs and its answer is kept for 24 hours under
(API credential, key); the same key with the same body gets that answer again (with
`Idempotent-Replayed: true`), with another body 422 IDEMPOTENCY_KEY_REUSED, and while
the first is still running 409 IDEMPOTENCY_IN_PROGRESS. Server errors are not kept:
the client may try again with the same key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from smsmode.api import ratelimit

PREFIXES = ("/api/", "/sms/")
KEEP_SECONDS = 24 * 3600
PENDING_SECONDS = 60
_REPLAYED_HEADERS = ("Content-Type", "Location")


def _redis():
    from shortener.clicks import redis_client

    return redis_client()


def _credential(request: HttpRequest) -> str:
    raw = request.headers.get("X-Api-Key") or request.headers.get("Authorization", "")
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIXES):
            return self.get_response(request)
        # The API answers in English whatever Accept-Language says (the services'
        # messages are translated for the web screens).
        with translation.override("en"):
            key = request.headers.get("Idempotency-Key", "")
            if request.method == "POST" and key:
                response = self._idempotent(request, key)
            else:
                response = self.get_response(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response = _error(
                405, "METHOD_NOT_ALLOWED", f"Method not allowed here; allowed: {allowed}."
            )
            if allowed:
                response["Allow"] = allowed
        ratelimit.add_headers(request, response)
        return response

    def _idempotent(self, request: HttpRequest, key: str) -> HttpResponse:
        if len(key) > 255:
            return _error(
                400, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key: 255 characters at most."
            )
        # The same key names one request: method, path and body.
        body_hash = hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
        ).hexdigest()
        name = f"api:idem:{_credential(request)}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        redis = _redis()
        pending = json.dumps({"state": "pending", "body": body_hash})
        if not redis.set(name, pending, nx=True, ex=PENDING_SECONDS):
            stored = redis.get(name)
            record = json.loads(stored) if stored else None
            if record is None:  # expired between the two calls: run it
                return self.get_response(request)
            if record["body"] != body_hash:
                return _error(
                    422,
                    "IDEMPOTENCY_KEY_REUSED",
                    "This Idempotency-Key was used for another request (body or path).",
                )
            if record["state"] == "pending":
                return _error(
                    409,
                    "IDEMPOTENCY_IN_PROGRESS",
                    "A request with this Idempotency-Key is still being processed.",
                )
            replay = HttpResponse(record["content"].encode(), status=record["status"])
            for header, value in record["headers"].items():
                replay[header] = value
            replay["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = self.get_response(request)
        except Exception:
            redis.delete(name)
            raise
        if (
            response.status_code >= 500
            or response.status_code in (401, 429)
            or (getattr(response, "streaming", False))
        ):
            redis.delete(name)
            return response
        record = {
            "state": "done",
            "body": body_hash,
            "status": response.status_code,
            "content": response.content.decode(),
            "headers": {h: response[h] for h in _REPLAYED_HEADERS if response.has_header(h)},
        }
        redis.set(name, json.dumps(record), ex=KEEP_SECONDS)
        return response
