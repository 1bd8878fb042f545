"""The API's errors: one JSON shape for every refusal.

    {"code": "INVALID_FIELD", "message": "...", "errors": [{"field": "recipient.to",
     "reason": "..."}]}

`code` is stable (clients switch on it), `message` is for people, `errors` names the
fields at fault (validation errors only).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError


class ApiError(Exception):
    """Raised anywhere under an API operation: answered as `status` with this body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict:
        body: dict = {"code": self.code, "message": self.message, **self.extra}
        if self.field:
            body["errors"] = [{"field": self.field, "reason": self.message}]
        return body


def not_found(what: str = "resource") -> ApiError:
    """Another account's object and a missing one answer alike: nothing leaks."""
    return ApiError(404, "NOT_FOUND", f"No such {what}.")


def _field_name(loc: list) -> str:
    # ninja reports ("body", "payload", "recipient", "to"): keep the client's own path.
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "cookie"}:
        parts = parts[1:]  # where it came from
        if len(parts) > 1 or (parts and parts[0] in {"payload", "filters", "data"}):
            parts = parts[1:]  # the operation's parameter name
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    """Route every error of `api` through the one shape."""

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = api.create_response(request, exc.body(), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field_name(list(error.get("loc", []))), "reason": error.get("msg", "")}
            for error in exc.errors
        ]
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        body = {
            "code": "INVALID_FIELD",
            "message": f"{first['field']}: {first['reason']}",
            "errors": errors,
        }
        return api.create_response(request, body, status=422)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = {
            "code": "UNAUTHORIZED",
            "message": "Missing, unknown or revoked API key (X-Api-Key header or "
            "Authorization: Bearer).",
        }
        response = api.create_response(request, body, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
            exc.status_code, "ERROR"
        )
        return api.create_response(
            request, {"code": code, "message": str(exc)}, status=exc.status_code
        )
