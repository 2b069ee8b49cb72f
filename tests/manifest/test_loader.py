"""load_stack: examples, model building with schema defaults, merging, and hostile files."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.manifest import load_stack
from cmqinfra.manifest.schema import manifest_schema
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    SourceLocation,
    Transaction,
)

from .conftest import REPO, messages

EXAMPLES = sorted(p for p in (REPO / "examples").glob("*.yaml") if ".cmqtest." not in p.name)


def test_there_are_exactly_the_three_examples() -> None:
    assert [p.name for p in EXAMPLES] == ["notifications.yaml", "order-events.yaml", "orders.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_with_its_own_stack(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schemas/manifest.schema.json\n")
    result = load_stack([path])
    assert result.diagnostics == []
    assert result.stack is not None
    assert result.stack.name == path.stem


def test_orders_example_builds_the_documented_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    stack = load_stack([Path("examples/orders.yaml")]).stack
    assert stack is not None
    assert stack.region == "ap-guangzhou"
    assert [q.name for q in stack.queues] == ["orders", "orders-deadletter"]
    orders, dlq = stack.queues
    assert orders.dead_letter == DeadLetter("orders-deadletter", max_receive_count=3)
    assert orders.transaction == Transaction(10, 5)
    assert (orders.rewind_seconds, orders.retention_size_in_mb, orders.protect) == (43200, 10240, True)
    assert orders.tags == (("team", "payments"),)
    assert orders.source == SourceLocation("examples/orders.yaml", 9, 3)
    assert stack.source == SourceLocation("examples/orders.yaml", 3, 1)
    # omitted attributes with a documented default get it; the others are left alone (None)
    assert (dlq.visibility_timeout, dlq.polling_wait_seconds, dlq.rewind_seconds) == (30, 0, 0)
    assert (dlq.retention_size_in_mb, dlq.trace, dlq.transaction, dlq.protect) == (0, False, None, False)
    assert (dlq.max_msg_heap_num, dlq.max_msg_size) == (None, None)


def test_defaults_come_from_the_schema(load) -> None:
    queue_props = manifest_schema()["$defs"]["queue"]["properties"]
    topic_props = manifest_schema()["$defs"]["topic"]["properties"]
    stack = load("stack: s\nqueues:\n  q: {}\ntopics:\n  t: {}\n").stack
    q, t = stack.queues[0], stack.topics[0]
    assert q.visibility_timeout == queue_props["visibilityTimeout"]["default"] == 30
    assert q.msg_retention_seconds == queue_props["msgRetentionSeconds"]["default"] == 3600
    assert t.msg_retention_seconds == topic_props["msgRetentionSeconds"]["default"] == 86400
    assert t.filter_type is FilterType.TAG
    assert (t.trace, t.max_msg_size) == (False, None)


def test_subscription_defaults_depend_on_protocol(load) -> None:
    result = load(
        "stack: s\ntopics:\n  t:\n    subscriptions:\n"
        "      q: {protocol: queue, endpoint: work}\n"
        "      h: {protocol: http, endpoint: 'https://x.example'}\n"
    )
    h, q = result.stack.subscriptions
    assert (h.name, h.topic, h.protocol, h.notify_content_format) == (
        "h",
        "t",
        Protocol.HTTP,
        NotifyContentFormat.JSON,
    )
    assert q.notify_content_format is NotifyContentFormat.SIMPLIFIED
    assert q.notify_strategy is NotifyStrategy.EXPONENTIAL_DECAY_RETRY
    assert (q.filter_tags, q.binding_keys) == ((), ())


def test_transaction_forms(load) -> None:
    stack = load(
        "stack: s\nqueues:\n  a: {transaction: true}\n  b: {transaction: false}\n  c: {}\n"
        "  d: {transaction: {maxQueryCount: 4}}\n"
    ).stack
    assert [q.transaction for q in stack.queues] == [Transaction(), None, None, Transaction(None, 4)]


def test_rewind_on_without_size_leaves_size_alone(load) -> None:
    q = load("stack: s\nqueues:\n  q: {rewindSeconds: 600}\n").stack.queues[0]
    assert (q.rewind_seconds, q.retention_size_in_mb) == (600, None)


def test_defaults_block_is_merged_under_resources(load) -> None:
    stack = load(
        "stack: s\ndefaults:\n  queue: {visibilityTimeout: 90, tags: {team: a, env: prod}}\n"
        "  topic: {trace: true}\n  subscription: {notifyStrategy: BACKOFF_RETRY}\n"
        "queues:\n  a: {}\n  b: {visibilityTimeout: 5, tags: {team: b}}\n"
        "topics:\n  t:\n    subscriptions:\n      s: {protocol: queue, endpoint: a}\n"
    ).stack
    a, b = stack.queues
    assert (a.visibility_timeout, a.tags) == (90, (("env", "prod"), ("team", "a")))
    assert (b.visibility_timeout, b.tags) == (5, (("env", "prod"), ("team", "b")))
    assert stack.topics[0].trace is True
    assert stack.subscriptions[0].notify_strategy is NotifyStrategy.BACKOFF_RETRY


def test_directory_merges_sorted_yaml_and_yml(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text("stack: s\ntopics:\n  t: {}\n")
    (tmp_path / "a.yaml").write_text("stack: s\nregion: ap-guangzhou\nqueues:\n  q: {}\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    result = load_stack([tmp_path])
    assert result.diagnostics == []
    stack = result.stack
    assert stack is not None and stack.region == "ap-guangzhou"
    assert ([q.name for q in stack.queues], [t.name for t in stack.topics]) == (["q"], ["t"])


def test_conflicting_stack_names_both_files(load) -> None:
    result = load(**{"a.yaml": "stack: one\n", "b.yaml": "stack: two\n"})
    assert result.stack is None
    [diag] = result.diagnostics
    assert diag.location.file.endswith("b.yaml") and diag.location.line == 1
    assert "a.yaml:1" in diag.message and '"two"' in diag.message and '"one"' in diag.message


def test_same_queue_in_two_files_is_refused(load) -> None:
    result = load(**{"a.yaml": "stack: s\nqueues:\n  q: {}\n", "b.yaml": "stack: s\nqueues:\n\n  Q: {}\n"})
    [diag] = result.diagnostics
    assert diag.location.file.endswith("b.yaml") and diag.location.line == 4
    assert "a.yaml:3:3" in diag.message


def test_relative_paths_stay_relative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = load_stack(["tests/manifest/invalid/wrong-type.yaml"])
    assert result.diagnostics[0].location.file == "tests/manifest/invalid/wrong-type.yaml"


def test_all_problems_are_reported_sorted(load) -> None:
    result = load(
        "stack: s\nqueues:\n  b: {visibilityTimeout: 0}\n  a-dlq: {}\n  c: {pollingWaitSeconds: 99}\n"
    )
    assert [d.location.line for d in result.diagnostics] == [3, 4, 5]


def test_empty_directory_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = load_stack([tmp_path / "empty", tmp_path / "missing.yaml"])
    assert result.stack is None
    assert sorted(messages(result)) == [
        "directory has no *.yaml or *.yml manifests",
        "no such file or directory",
    ]
    assert all(d.location is not None for d in result.diagnostics)


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    link = tmp_path / "dangling.yaml"
    link.symlink_to(tmp_path / "nowhere.yaml")
    result = load_stack([link])
    [diag] = result.diagnostics
    assert diag.message.startswith("cannot read file:") and diag.location.line == 1


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_CAP_VERSION_3 = 0x20080522
# CAP_DAC_OVERRIDE (1) and CAP_DAC_READ_SEARCH (2): what lets root read a file whatever its mode.
_DAC_CAPS = (1 << 1) | (1 << 2)


@contextlib.contextmanager
def _without_file_override() -> Iterator[None]:
    """Lower this thread's effective capabilities so that the kernel applies file modes to it.

    Root reads any file whatever its mode because of two capabilities, not because of its user
    id. Dropping them from the effective set (they stay permitted, so they come back) makes a
    mode-0 file unreadable to root in this very process: no other user, nothing to re-import,
    so it works from a checkout only its owner can read. Capabilities are per thread on Linux,
    and the loader reads on the calling thread.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(_CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    saved = data[0].effective
    data[0].effective = saved & ~_DAC_CAPS
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    try:
        yield
    finally:
        data[0].effective = saved
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset")


def test_permission_denied_is_one_line() -> None:
    # A directory anyone may enter, holding a file no one may read: the loader must say so in
    # one line. As root, the load runs without the capabilities that let root ignore file modes.
    folder = Path(tempfile.mkdtemp(prefix="cmqinfra-perm-"))
    try:
        folder.chmod(0o755)
        path = folder / "secret.yaml"
        path.write_text("stack: s\n")
        path.chmod(0)
        if os.geteuid() != 0:
            found = [(d.message, d.location.line) for d in load_stack([path]).diagnostics]
        else:
            with _without_file_override():
                found = [(d.message, d.location.line) for d in load_stack([path]).diagnostics]
            # the capabilities are back: root reads the same file again
            assert load_stack([path]).ok
    finally:
        shutil.rmtree(folder)
    assert found == [("cannot read file: Permission denied", 1)]


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024)  # sparse: costs nothing to create
    started = time.process_time()
    [diag] = load_stack([path]).diagnostics
    assert time.process_time() - started < 1
    assert diag.message == "file is too large (10485760 bytes; the limit is 5 MB)"
    assert (diag.location.line, diag.location.column) == (1, 1)


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["stack: s", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.process_time()
    [diag] = load_stack([path]).diagnostics
    assert time.process_time() - started < 1
    assert "anchors" in diag.message and diag.location.line == 2
