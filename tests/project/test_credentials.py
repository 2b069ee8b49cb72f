"""An environment's credentials come from the environment variables it names; only the names are
ever shown or saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cmq, write

from cmqinfra.emulator import Emulator

SECRET_KEY = "prod-only-secret-key-value"


def test_an_environment_uses_its_own_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = Emulator.start(tmp_path / "prod.sqlite3", secret_id="AKIDPRODONLY", secret_key=SECRET_KEY,
                         rate_limits=False)
    try:
        write(tmp_path / "repo", {
            "cmqinfra.yaml": f"""
                environments:
                  prod:
                    endpoint: {emu.url}
                    credentials: {{secretId: PROD_SECRET_ID, secretKey: PROD_SECRET_KEY}}
                stacks:
                  shop: {{path: shop}}
                """,
            "shop/shop.yaml": "stack: shop\nqueues:\n  orders: {}\n",
        })
        repo = tmp_path / "repo"
        # The operator allows the endpoint: only then do the environment's credentials go there.
        monkeypatch.setenv("CMQINFRA_ALLOWED_ENDPOINTS", emu.url)
        code, out, err = cmq(repo, "plan")
        assert code == 1
        assert ("shop[prod]: its environment's credentials are read from $PROD_SECRET_ID and "
                "$PROD_SECRET_KEY, and they are not set") in err

        monkeypatch.setenv("PROD_SECRET_ID", "AKIDPRODONLY")
        monkeypatch.setenv("PROD_SECRET_KEY", SECRET_KEY)
        # The default pair is in the environment too: the environment's own names win.
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDCMQINFRALOCAL")
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "cmqinfra-local-secret")
        code, out, err = cmq(repo, "plan", "--out", "p.plan", "--format", "json")
        assert code == 0, err
        code, out2, err2 = cmq(repo, "apply", "--plan", "p.plan")
        assert code == 0, err2
        saved = (repo / "p.plan").read_text()
        assert '"secretKey": "PROD_SECRET_KEY"' in saved
        assert SECRET_KEY not in saved + out + err + out2 + err2
    finally:
        emu.stop()


def test_a_project_plan_is_bound_to_the_account_it_was_made_against(tmp_path: Path) -> None:
    state = tmp_path / "prod.sqlite3"
    emu = Emulator.start(state, account_id="100000000001", rate_limits=False)
    port = emu.port
    write(tmp_path / "repo", {
        "cmqinfra.yaml": f"environments:\n  prod: {{endpoint: {emu.url}}}\nstacks:\n  shop: {{path: shop}}\n",
        "shop/shop.yaml": "stack: shop\nqueues:\n  orders: {}\n",
    })
    repo = tmp_path / "repo"
    try:
        code, _, err = cmq(repo, "plan", "--out", "p.plan")
        assert code == 0, err
    finally:
        emu.stop()
    # The same endpoint now answers for another account (other credentials behind the same URL).
    other = Emulator.start(state, port=port, account_id="100000000002", rate_limits=False)
    try:
        code, out, err = cmq(repo, "apply", "--plan", "p.plan")
        assert code == 1
        assert ("shop[prod] (planned against account 100000000001, these credentials belong to account "
                "100000000002); nothing was changed") in err
        assert "orders" not in out
    finally:
        other.stop()
