"""Concurrency: two applies of one stack at once converge or one fails cleanly; applies of two
different stacks at once never disturb each other."""

from __future__ import annotations

import subprocess

from .check import changed_outside, duplicates, outside, problems
from .cli import ADDRESS, popen_cli
from .conftest import World
from .convergence import judge_run
from .manifests import materialize, mixed_stack


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=90)
    return proc.returncode, out, err


def _args(world: World, manifest: object) -> tuple[str, ...]:
    return ("apply", str(manifest), "--endpoint", world.endpoint, "--auto-approve")


def test_two_applies_of_the_same_stack_at_once(world: World) -> None:
    generated = mixed_stack("same", 7).v1
    world.make_sentinel(generated)
    manifest, stack = materialize(generated, world.tmp / "m")
    procs = [popen_cli(*_args(world, manifest), cwd=world.tmp) for _ in range(2)]
    results = [_finish(p) for p in procs]
    account = world.account()
    assert duplicates(account) == []
    assert changed_outside(world.sentinel, outside(account, stack)) == []  # type: ignore[arg-type]
    for code, out, err in results:
        assert code in (0, 1), out + err
        assert "Traceback (most recent call last)" not in out + err
        if code == 1:
            # a clean failure names what it could not do
            assert ADDRESS.search(out + err) or "error" in (out + err).lower(), out + err
    print("same-stack concurrent apply exit codes:", [code for code, _, _ in results])
    if all(code == 0 for code, _, _ in results):
        assert problems(stack, account) == []
    else:
        rerun = world.apply(manifest)
        assert rerun.code == 0, rerun.describe()
        judge_run(world, stack, rerun)


def test_two_different_stacks_at_once_do_not_disturb_each_other(world: World) -> None:
    a = mixed_stack("alpha", 11)
    b = mixed_stack("beta", 12)
    world.make_sentinel(a.v1, a.v2, b.v1, b.v2)
    for version in ("v1", "v2"):
        ma, sa = materialize(getattr(a, version), world.tmp / f"a-{version}")
        mb, sb = materialize(getattr(b, version), world.tmp / f"b-{version}")
        procs = [popen_cli(*_args(world, ma), cwd=world.tmp), popen_cli(*_args(world, mb), cwd=world.tmp)]
        outs = [_finish(p) for p in procs]
        for code, out, err in outs:
            assert code == 0, out + err
        account = world.account()
        assert problems(sa, account) == [] and problems(sb, account) == []
        assert changed_outside(world.sentinel, outside(account, sa, sb)) == []  # type: ignore[arg-type]
