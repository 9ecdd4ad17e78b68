"""Who is acting, from where: the context an audit event records.

The request middleware fills it for web and API requests; jobs and imports set it with
`acting_as(source=...)`. It lives in a context variable, so threads and requests never share it.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace


class Source:
    WEB = "web"
    API = "api"
    IMPORT = "import"
    JOB = "job"
    SYSTEM = "system"

    CHOICES = [
        (WEB, "web"),
        (API, "api"),
        (IMPORT, "import"),
        (JOB, "job"),
        (SYSTEM, "system"),
    ]


@dataclass(frozen=True)
class RequestContext:
    source: str = Source.SYSTEM
    request_id: str = ""
    ip: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "guanxi_request_context",
    default=RequestContext(),  # noqa: B039 - frozen, never mutated
)


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def acting_as(
    *, source: str | None = None, request_id: str | None = None, ip: str | None = None
) -> Iterator[RequestContext]:
    """Run a block with another source (a job, an import) while keeping what is not given."""
    base = _current.get()
    ctx = replace(
        base,
        source=source or base.source,
        request_id=request_id or base.request_id or new_request_id(),
        ip=ip if ip is not None else base.ip,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
