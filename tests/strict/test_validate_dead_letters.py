"""`cmqinfra validate` refuses offline the dead-letter setups the cloud refuses: a dead-letter
queue with its own dead-letter queue, and a 7th source queue on one dead-letter queue; in a
single stack and in a project (stacks x environments)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cmqinfra.cli import cli
from tests.project.helpers import cmq, write


def _queues(sources: int, nested: bool) -> str:
    lines = ["queues:", "  dead: {}"]
    if nested:
        lines[1] = "  dead: {deadLetter: {queue: graveyard, maxReceiveCount: 3}}"
        lines.append("  graveyard: {}")
    for index in range(sources):
        lines.append(f"  src{index}: {{deadLetter: {{queue: dead, maxReceiveCount: 5}}}}")
    return "\n".join(lines) + "\n"


def _stack(tmp_path: Path, sources: int, nested: bool) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text("stack: s\nregion: ap-guangzhou\n" + _queues(sources, nested), encoding="utf-8")
    return path


def _validate(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", str(path)], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_six_sources_are_fine_and_a_seventh_is_refused_at_its_line(tmp_path: Path) -> None:
    code, out, err = _validate(_stack(tmp_path, 6, nested=False))
    assert code == 0, err
    code, out, err = _validate(_stack(tmp_path, 7, nested=False))
    assert code == 1
    # src6 is on line 11 (stack, region, queues:, dead, src0..src6); its deadLetter.queue value.
    assert "stack.yaml:11:30: error: " in err
    assert 'dead-letter queue "dead" would serve 7 source queues; the service allows at most 6' in err
    assert err.count("would serve") == 1


def test_a_dead_letter_queue_with_its_own_dead_letter_queue_is_refused(tmp_path: Path) -> None:
    code, out, err = _validate(_stack(tmp_path, 1, nested=True))
    assert code == 1
    assert "stack.yaml:6:30: error: " in err  # src0's deadLetter.queue
    assert 'uses "dead" as its dead-letter queue, but "dead" has a dead-letter queue itself' in err


CONFIG = """
version: 1
environments:
  dev: {region: ap-guangzhou, nameSuffix: -dev}
  prod: {region: ap-shanghai}
stacks:
  shop: {path: shop}
"""


def test_project_validate_refuses_both_rules_per_environment(tmp_path: Path) -> None:
    write(tmp_path, {"cmqinfra.yaml": CONFIG, "shop/queues.yaml": "stack: shop\n" + _queues(7, nested=True)})
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert "shop/queues.yaml:5:30: error: " in err and "dead-letter queues do not nest" in err
    assert "shop/queues.yaml:11:30: error: dead-letter queue \"dead\" would serve 7" in err
    assert "failed: shop[dev]" in err and "failed: shop[prod]" in err
    write(tmp_path, {"shop/queues.yaml": "stack: shop\n" + _queues(6, nested=False)})
    code, out, err = cmq(tmp_path, "validate")
    assert code == 0, err
