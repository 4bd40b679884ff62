from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from zhengqian.accounts.permissions import AccessDenied, OutOfScope
from zhengqian.audit import context
from zhengqian.audit.models import EventKind
from zhengqian.audit.services import record


def client_ip(request: HttpRequest) -> str:
    if settings.ZQ_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


class RequestContextMiddleware:
    """Makes the address, browser and a request id available to the audit recorder, and
    records refused requests as denied attempts (after the refused transaction rolled back)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.activate(
            context.RequestContext(
                ip_address=client_ip(request),
                user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:200],
                request_id=uuid.uuid4().hex,
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.deactivate(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        if isinstance(exception, AccessDenied):
            record(
                actor=actor,
                event_type="access.denied",
                kind=EventKind.DENIED,
                project=exception.project_id,
                details={
                    "path": request.path,
                    "method": request.method,
                    "module": exception.module,
                    "action": exception.action,
                    "reason": str(exception.message),
                },
            )
        elif isinstance(exception, OutOfScope):
            record(
                actor=actor,
                event_type="access.out_of_scope",
                kind=EventKind.DENIED,
                target_type=exception.what,
                target_id=str(exception.pk),
                details={"path": request.path, "method": request.method},
            )
        return None
