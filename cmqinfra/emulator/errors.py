"""The one exception every emulator layer raises to answer a request with an error envelope."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as {"Response": {"Error": {"Code", "Message"}, "RequestId"}} with HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def invalid_value(field: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The value of parameter `{field}` is invalid: {why}.")


def not_found(code: str, what: str) -> ApiError:
    return ApiError(code, f"{what} does not exist.")
