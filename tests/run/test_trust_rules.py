"""What a repository may choose about where credentials go: the pure rules (the CLI tests in
tests/security/test_endpoints.py count what a catcher behind a repository-named host receives)."""

from __future__ import annotations

import pytest

from cmqinfra.run.trust import (
    allowed_endpoints,
    credential_name_problem,
    endpoint_problem,
    is_loopback,
    normalise,
)


@pytest.mark.parametrize(("field", "name"), [
    ("secretId", "PROD_SECRET_ID"), ("secretKey", "PROD_SECRET_KEY"), ("sessionToken", "P2_SESSION_TOKEN"),
])
def test_credential_variables_named_like_credentials_are_fine(field: str, name: str) -> None:
    assert credential_name_problem(field, name) is None


@pytest.mark.parametrize(("field", "name"), [
    ("secretId", "_SECRET_ID"),  # the suffix alone
    ("secretId", "PROD_SECRET_KEY"),  # the key where the id goes
    ("secretId", "prod_SECRET_ID"),
    ("secretId", "1PROD_SECRET_ID"),
    ("secretKey", "GITHUB_TOKEN"),
])
def test_other_variables_are_refused_with_the_rule(field: str, name: str) -> None:
    suffix = {"secretId": "_SECRET_ID", "secretKey": "_SECRET_KEY"}[field]
    assert credential_name_problem(field, name) == (
        f"credentials.{field} names the variable {name!r}; a {field} variable's name must be "
        f"upper case and end in {suffix} (e.g. PROD{suffix}), so no other variable is ever sent"
    )


@pytest.mark.parametrize(("url", "normal"), [
    (" HTTP://Emu.Example:9470/ ", "http://emu.example:9470"),
    ("https://emu.example/api/", "https://emu.example/api"),
    ("https://emu.example/apiX/", "https://emu.example/apiX"),  # only slashes go, nothing else at the end
    ("http://[::1]:9470", "http://[::1]:9470"),
    ("http://emu.example:99999", "http://emu.example:99999"),  # malformed port: as written
])
def test_urls_are_compared_normalised(url: str, normal: str) -> None:
    assert normalise(url) == normal


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9470", "https://LOCALHOST:1", "http://[::1]:2", " http://127.0.0.2 "])
def test_loopback(url: str) -> None:
    assert is_loopback(url)


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1", "http://user@127.0.0.1:1", "http://127.0.0.1:99999", "http://10.0.0.1", "http://",
    "http://localhost.example", "127.0.0.1:9470",
])
def test_not_loopback(url: str) -> None:
    assert not is_loopback(url)


def test_allowances_come_from_the_flag_and_the_variable() -> None:
    environ = {"CMQINFRA_ALLOWED_ENDPOINTS": "https://a.example/, HTTPS://B.example  ,,"}
    assert allowed_endpoints(["https://c.example", "https://a.example"], environ) == (
        "https://a.example", "https://b.example", "https://c.example")
    assert allowed_endpoints([], {}) == ()


def test_an_endpoint_is_refused_unless_loopback_or_allowed() -> None:
    assert endpoint_problem("http://127.0.0.1:1", ()) is None
    assert endpoint_problem("https://A.example/", ("https://a.example",)) is None
    assert endpoint_problem("https://a.example", ("https://b.example",)) == (
        "endpoint 'https://a.example' comes from the repository and is not a local emulator on a loopback "
        "address; nothing was sent to it. If the operator trusts it: --allow-endpoint https://a.example "
        "or CMQINFRA_ALLOWED_ENDPOINTS"
    )
