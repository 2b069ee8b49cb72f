"""Terraform configuration text -> blocks and attributes, each with the file:line:col it was
written at. python-hcl2 parses; its rule tree keeps the positions its dict output drops.

Values stay as python-hcl2 serialises expressions: numbers, booleans and null as Python values,
strings with their quotes (``'"orders"'``), anything else as ``"${...}"``; lists and objects
as lists and dicts. ``cmqinfra.migrate.resolve`` gives them meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.migrate.bounds import MAX_DEPTH, too_deep
from cmqinfra.model import SourceLocation


@dataclass(frozen=True)
class Located:
    raw: object
    location: SourceLocation


@dataclass(frozen=True)
class Block:
    type: str
    labels: tuple[str, ...]
    attributes: tuple[tuple[str, Located], ...]
    blocks: tuple[Block, ...]
    location: SourceLocation

    def get(self, name: str) -> Located | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None

    def nested(self, block_type: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.type == block_type)


@dataclass(frozen=True)
class HclFile:
    blocks: tuple[Block, ...]
    attributes: tuple[tuple[str, Located], ...]  # top-level ones: what a .tfvars file holds


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _location(file: str, rule: object) -> SourceLocation:
    meta = getattr(rule, "_meta", None)  # python-hcl2 keeps Lark's Meta here and offers no getter
    line = getattr(meta, "line", None) or 1
    column = getattr(meta, "column", None) or 1
    return SourceLocation(file, int(line), int(column))


def _body(file: str, body: object) -> tuple[tuple[tuple[str, Located], ...], tuple[Block, ...]]:
    from hcl2.rules.base import AttributeRule, BlockRule
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(with_comments=False, explicit_blocks=False)
    attributes: list[tuple[str, Located]] = []
    blocks: list[Block] = []
    for child in getattr(body, "children", ()):
        if isinstance(child, AttributeRule):
            name = _unquote(str(child.identifier.serialize(options)))
            attributes.append((name, Located(child.expression.serialize(options), _location(file, child))))
        elif isinstance(child, BlockRule):
            labels = [_unquote(str(label.serialize(options))) for label in child.labels]
            inner_attributes, inner_blocks = _body(file, child.body)
            blocks.append(
                Block(labels[0], tuple(labels[1:]), inner_attributes, inner_blocks, _location(file, child))
            )
    return tuple(attributes), tuple(blocks)


def parse_hcl(file: str, text: str) -> tuple[HclFile | None, list[Diagnostic]]:
    """The blocks of one .tf (or .tfvars) file, or the located syntax error."""
    import hcl2
    from lark.exceptions import LarkError, UnexpectedInput

    deep = too_deep(file, text)
    if deep is not None:
        return None, [Diagnostic(f"not read: brackets nested deeper than {MAX_DEPTH} levels", deep)]
    try:
        tree = hcl2.parses(text)
        attributes, blocks = _body(file, tree.body)
    except RecursionError:
        return None, [Diagnostic("not read: nested too deeply", SourceLocation(file, 1, 1))]
    except UnexpectedInput as exc:
        where = SourceLocation(file, int(getattr(exc, "line", 1) or 1), int(getattr(exc, "column", 1) or 1))
        return None, [Diagnostic("not valid HCL: unexpected input", where)]
    except (LarkError, RuntimeError, ValueError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, [Diagnostic(f"not valid HCL: {first_line}", SourceLocation(file, 1, 1))]
    return HclFile(blocks, attributes), []
