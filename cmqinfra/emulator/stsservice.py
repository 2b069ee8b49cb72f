"""The STS service (sts, 2018-08-13) call that says whose credentials sign a request.

cmqinfra binds a saved plan to the account it was planned against, and asks
``GetCallerIdentity`` which account that is. The emulator answers as one root account, its
configured ``account_id`` (``cmqinfra emulator --account-id``, default ``DEFAULT_ACCOUNT_ID``).
"""

from __future__ import annotations

from typing import Any

from cmqinfra.emulator.context import Context

DEFAULT_ACCOUNT_ID = "100000000001"


def get_caller_identity(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    uin = ctx.account_id
    return {
        "Arn": f"qcs::cam::uin/{uin}:uin/{uin}",
        "AccountId": uin,
        "UserId": uin,
        "PrincipalId": uin,
        "Type": "RootAccount",
    }
