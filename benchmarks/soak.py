"""Reliability soak: random fault mixes, SIGKILLs and stack versions for as long as you like.

Each cycle picks (from the seed) a fault mix for the emulator, a target (manifest v1, v2 or a
destroy) and whether to SIGKILL the apply part-way; after every run it checks the suite's
invariants (nothing twice, nothing outside the stack changed, exit 0 only when converged).
Every few cycles the faults are lifted and one clean run must converge. Any violation stops the
soak with the seed and cycle that reproduce it.

    python benchmarks/soak.py --minutes 10 --seed 1
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from reliability.account import client, read_account  # noqa: E402
from reliability.check import changed_outside, duplicates, outside, problems  # noqa: E402
from reliability.cli import SECRET_ID, SECRET_KEY, popen_cli, run_cli  # noqa: E402
from reliability.manifests import materialize, mixed_stack  # noqa: E402

from cmqinfra.model import Stack  # noqa: E402


def random_faults(rnd: random.Random, seed: int) -> object:
    from cmqinfra.emulator import Faults

    return Faults(
        throttle_rate=rnd.choice([0.0, 0.1, 0.3]),
        internal_error_rate=rnd.choice([0.0, 0.05, 0.1]),
        http_5xx_rate=rnd.choice([0.0, 0.05]),
        drop_connection_rate=rnd.choice([0.0, 0.05]),
        lost_response_rate=rnd.choice([0.0, 0.1]),
        latency=rnd.choice([0.0, 0.01]),
        seed=seed,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--clean-every", type=int, default=4, help="cycles between fault-free convergence checks"
    )
    args = parser.parse_args()

    from cmqinfra.emulator import Emulator, Faults

    rnd = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="cmqinfra-soak-"))
    emulator = Emulator.start(
        work / "emulator.sqlite3", port=0, secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limits=False
    )
    api = client(emulator.url, SECRET_ID, SECRET_KEY)
    versions = mixed_stack("soak", args.seed)
    made = {"v1": materialize(versions.v1, work / "v1"), "v2": materialize(versions.v2, work / "v2")}
    files = {label: path for label, (path, _) in made.items()}
    desired = {label: stack for label, (_, stack) in made.items()}
    baseline = outside(read_account(api), versions.v1, versions.v2)
    stats: Counter[str] = Counter()
    deadline = time.monotonic() + args.minutes * 60
    cycle = 0
    target, stack = "v1", desired["v1"]
    try:
        while time.monotonic() < deadline:
            cycle += 1
            clean = cycle % args.clean_every == 0
            if not clean:
                target = rnd.choice(["v1", "v2", "destroy"])
                stack = Stack(name="soak") if target == "destroy" else desired[target]
            emulator.faults = Faults() if clean else random_faults(rnd, args.seed * 100_000 + cycle)
            verb = ("destroy", str(files["v2"])) if target == "destroy" else ("apply", str(files[target]))
            argv = (*verb, "--endpoint", emulator.url, "--auto-approve")
            kill_after = None if clean or rnd.random() < 0.5 else rnd.uniform(0.3, 2.0)
            if kill_after is None:
                run = run_cli(*argv, cwd=work)
                code, output = run.code, run.output
            else:
                proc = popen_cli(*argv, cwd=work)
                time.sleep(kill_after)
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    stats["killed"] += 1
                out, err = proc.communicate()
                code, output = proc.returncode, out + err
            emulator.faults = Faults()
            account = read_account(api)
            where = f"seed {args.seed}, cycle {cycle}, {target}, clean={clean}, kill_after={kill_after}"
            failures = duplicates(account) + changed_outside(
                baseline, outside(account, versions.v1, versions.v2)
            )
            remaining = problems(stack, account)
            if code == 0 and remaining:
                failures.append(f"exit 0 but not converged: {remaining}")
            if clean and code != 0:
                failures.append(f"a fault-free run failed (exit {code})")
            if "Traceback (most recent call last)" in output:
                failures.append("traceback in output")
            stats[f"{target} exit {code}"] += 1
            if failures:
                print(f"FAILED at {where}:", *failures, output[-4000:], sep="\n", file=sys.stderr)
                return 1
            print(
                f"cycle {cycle:4d} {target:7s} exit {code:4d} {'clean' if clean else 'faults'} "
                f"{'killed' if kill_after else ''}",
                flush=True,
            )
    finally:
        emulator.stop()
    print(f"soak passed: {cycle} cycles in {args.minutes} min, seed {args.seed}: {dict(stats)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
