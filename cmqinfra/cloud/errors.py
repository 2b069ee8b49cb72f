"""Errors from the cloud, as one clear line each (never a traceback)."""

from __future__ import annotations


class CloudError(Exception):
    """A refusal or failure from the TDMQ / Tag API, after retries."""

    def __init__(
        self,
        action: str,
        code: str,
        message: str,
        request_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        self.action = action
        self.code = code
        self.message = message
        self.request_id = request_id
        self.resource = resource
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.resource}: " if self.resource else ""
        rid = f" (RequestId {self.request_id})" if self.request_id else ""
        return f"{where}{self.action} failed: {self.code}: {self.message}{rid}"


class CredentialsError(Exception):
    """No usable credentials for the real cloud."""
