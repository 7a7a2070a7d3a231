"""The reason a download failed, as the rejects file and the log say it."""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, ResponseDataLossError
from twisted.web.client import ResponseFailed


def download_error_reason(error: BaseException, maxsize: int = 0, stopping: bool = False) -> str:
    """'Type: message' for a failed download, never with an empty message: Scrapy
    raises some errors without one, and a reject must say what happened."""
    message = str(error).strip()
    cause = error.__cause__
    if isinstance(error, ResponseDataLossError) and not message:
        message = "the connection closed before the whole body arrived (shorter than its Content-Length)"
    elif isinstance(cause, ResponseFailed) and getattr(cause, "reasons", None):
        # Twisted's list of failures, e.g. [<Failure ConnectionLost: ...>]: their messages.
        message = "; ".join(f"{r.type.__name__}: {r.getErrorMessage()}".rstrip(": ") for r in cause.reasons)
    if not message:
        if isinstance(error, DownloadCancelledError) and stopping:
            message = "cancelled because the crawl was stopping"
        elif isinstance(error, DownloadCancelledError) and maxsize:
            # Scrapy cancels a body that grows past the limit without a message
            # (with a Content-Length over it, it says so itself).
            message = f"response larger than DOWNLOAD_MAXSIZE ({maxsize} bytes), cancelled while it arrived"
        else:
            doc = (type(error).__doc__ or "").strip().splitlines()
            message = f"no message ({doc[0]})" if doc else "no message"
    return f"{type(error).__name__}: {message}"
