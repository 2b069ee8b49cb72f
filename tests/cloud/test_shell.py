"""Pacing, retries, credentials and redaction: the client side of reliability."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import replace
from pathlib import Path

import pytest

from cmqinfra.cloud.errors import CloudError, CredentialsError
from cmqinfra.cloud.limiter import DEFAULT_LIMIT, DOCUMENTED_LIMITS, RateLimiter
from cmqinfra.cloud.redact import Redactor
from cmqinfra.cloud.retry import RetryPolicy, is_retryable, will_repeat
from cmqinfra.cloud.target import Target
from cmqinfra.emulator import RATE_LIMITS, Emulator, Faults
from cmqinfra.model import Stack
from cmqinfra.run.targets import open_target as open_api


def test_client_limits_agree_with_the_documented_table_the_emulator_enforces() -> None:
    for action, limit in RATE_LIMITS.items():
        assert DOCUMENTED_LIMITS.get(action, DEFAULT_LIMIT) == limit, action


def test_limiter_never_exceeds_the_window_on_a_virtual_clock() -> None:
    now = [0.0]
    limiter = RateLimiter(scale=1.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    stamps = []
    for _ in range(100):
        limiter.acquire("DescribeCmqQueues")
        stamps.append(now[0])
    allowance = limiter.allowance("DescribeCmqQueues")
    for i in range(len(stamps) - allowance):
        assert stamps[i + allowance] - stamps[i] >= 1.0
    # and it is not much slower than the limit allows
    assert stamps[-1] < 100 / allowance + 0.5


def test_a_burst_stays_under_the_service_limit(tmp_path: Path) -> None:
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=True, rate_scale=5.0)
    try:
        with open_api(Target.endpoint(emu.url), "ap-guangzhou", parallelism=10, rate_scale=5.0) as api:
            api._sleep = lambda s: pytest.fail("a throttled call was retried")  # type: ignore[attr-defined]
            started = time.monotonic()
            for _ in range(3):
                api.read(Stack(name="s"))
            api._call("DescribeCmqTopics", {"Limit": 1})
            elapsed = time.monotonic() - started
        assert elapsed < 5
    finally:
        emu.stop()


def test_retry_policy_backs_off_exponentially_with_jitter_and_classifies_codes() -> None:
    policy = RetryPolicy(base_seconds=0.1, cap_seconds=1.0)
    rng = random.Random(1)
    waits = [policy.backoff(n, rng) for n in range(1, 8)]
    assert all(0 <= w <= min(1.0, 0.1 * 2 ** (n - 1)) for n, w in zip(range(1, 8), waits, strict=True))
    assert (
        is_retryable("RequestLimitExceeded")
        and is_retryable("InternalError")
        and is_retryable("ClientNetworkError")
    )
    assert not is_retryable("ResourceInUse.Queue") and not is_retryable("InvalidParameterValue")


def test_refusals_become_one_line_errors_naming_resource_action_code_and_request(tmp_path: Path) -> None:
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    try:
        with open_api(Target.endpoint(emu.url), "ap-guangzhou") as api:
            with pytest.raises(CloudError) as info:
                api.modify_topic(
                    __import__("cmqinfra.model").model.Topic(name="nope"),
                    __import__("cmqinfra.model").model.Topic(name="nope", trace=True),
                )
    finally:
        emu.stop()
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith("topic/nope: ModifyCmqTopicAttribute failed: ResourceNotFound")
    assert "RequestId" in line


def test_missing_cloud_credentials_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TENCENTCLOUD_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(CredentialsError) as info:
        open_api(Target.cloud(), "ap-guangzhou")
    assert "TENCENTCLOUD_SECRET_ID" in str(info.value)
    assert "\n" not in str(info.value)


def test_secrets_never_reach_logs_or_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret, token = "SuperSecretKey-1234567890", "SessionToken-abcdef-0987"
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDunknownid")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", secret)
    monkeypatch.setenv("TENCENTCLOUD_SESSION_TOKEN", token)
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    caplog.set_level(logging.DEBUG)
    try:
        with open_api(Target.endpoint(emu.url), "ap-guangzhou") as api, pytest.raises(CloudError) as info:
            api.read(Stack(name="s"))
    finally:
        emu.stop()
    assert info.value.code.startswith("AuthFailure")
    text = caplog.text + str(info.value) + repr(info.value)
    assert secret not in text and token not in text
    assert "DescribeCmq" in caplog.text


def test_redactor_masks_known_values_and_secret_fields() -> None:
    redactor = Redactor(["s3cr3t-value"])
    assert redactor.text("key=s3cr3t-value Signature=abcdef0123") == "key=*** Signature=***"
    assert redactor.params({"SecretKey": "x", "QueueName": "q"}) == {"SecretKey": "***", "QueueName": "q"}


@pytest.mark.parametrize(
    "faults",
    [Faults(internal_error_rate=1.0), Faults(drop_connection_rate=1.0)],
    ids=["service-error", "dropped-connection"],
)
@pytest.mark.parametrize("attempts", [1, 3])
def test_a_failing_call_is_sent_exactly_as_many_times_as_configured(
    emulator: Emulator, faults: Faults, attempts: int
) -> None:
    with open_api(Target.endpoint(emulator.url), emulator.region, timeout=2) as api:
        api._policy = RetryPolicy(max_attempts=attempts)  # type: ignore[attr-defined]
        api._sleep = lambda seconds: None  # type: ignore[attr-defined]
        emulator.faults = replace(faults, actions=frozenset({"DeleteCmqTopic"}))
        with pytest.raises(CloudError) as info:
            api.delete_topic("t")
        assert api.call_counts()["DeleteCmqTopic"] == attempts
    assert info.value.attempts == attempts  # type: ignore[attr-defined]


@pytest.mark.parametrize("attempts", [1, 3])
def test_a_failure_outside_the_sdk_is_retried_as_many_times_as_configured(
    emulator: Emulator, attempts: int
) -> None:
    with open_api(Target.endpoint(emulator.url), emulator.region, timeout=2) as api:
        api._policy = RetryPolicy(max_attempts=attempts)  # type: ignore[attr-defined]
        api._sleep = lambda seconds: None  # type: ignore[attr-defined]
        sent: list[str] = []

        def broken(action: str, params: object) -> object:
            sent.append(action)
            raise ConnectionResetError("reset by peer")

        api._tdmq.call_json = broken  # type: ignore[attr-defined]
        with pytest.raises(CloudError) as info:
            api.delete_topic("t")
    assert sent == ["DeleteCmqTopic"] * attempts
    assert info.value.code == "ClientError" and "reset by peer" in info.value.message


def test_refusals_of_the_request_itself_will_repeat_and_transient_faults_will_not() -> None:
    for code in (
        "InvalidParameterValue.Range",
        "MissingParameter",
        "AuthFailure.SignatureFailure",
        "UnauthorizedOperation",
        "LimitExceeded.Queues",
        "UnsupportedOperation",
    ):
        assert will_repeat(code), code
    for code in (None, "", "InternalError", "RequestLimitExceeded", "ResourceInUse", "ClientNetworkError"):
        assert not will_repeat(code), code
