"""Secrets never leave the process: everything logged or raised passes through here."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "***"
_SECRET_FIELDS = re.compile(r"(?i)(secret_?key|secretkey|token|signature|authorization|password)")
_SIGNATURE = re.compile(r"(Signature=)[0-9a-fA-F]+")


class Redactor:
    """Replaces known secret values and secret-looking fields in text and parameter dicts."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: object) -> str:
        text = str(value)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _SIGNATURE.sub(r"\1" + REDACTED, text)

    def params(self, params: dict[str, object]) -> dict[str, object]:
        return {k: (REDACTED if _SECRET_FIELDS.search(k) else v) for k, v in params.items()}


class RedactingFilter(logging.Filter):
    """Rewrites a record's message through a Redactor before any handler sees it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.text(record.getMessage())
        record.args = None
        return True


# The SDK's own logger prints request headers (X-TC-Token, Authorization) and bodies at DEBUG.
SDK_LOGGERS = ("tencentcloud_sdk_common", "urllib3")


def guard_sdk_logging(redactor: Redactor) -> None:
    """Keep the SDK's verbose request dumps out of every log, and redact whatever it still logs."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING)
        logger.addFilter(RedactingFilter(redactor))
