"""The one exception every emulator layer raises to answer a request with an error envelope."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as {"Response": {"Error": {"Code", "Message"}, "RequestId"}} with HTTP 200 by the
    API 3.0 door, and as {"code", "message"} by the CMQ door, which uses ``cmq`` (code, module)
    when the raiser knows it and otherwise maps ``code`` (cmqinfra/emulator/cmq_door.py)."""

    def __init__(self, code: str, message: str, cmq: tuple[int, int] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.cmq = cmq


def invalid_value(field: str, why: str) -> ApiError:
    return ApiError("InvalidParameterValue", f"The value of parameter `{field}` is invalid: {why}.")


def not_found(code: str, what: str) -> ApiError:
    return ApiError(code, f"{what} does not exist.")
