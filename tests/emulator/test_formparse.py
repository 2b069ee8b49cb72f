"""The message door's form parser is parse_qsl(keep_blank_values=True, errors="strict"), faster."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqinfra.emulator.formparse import form_pairs

pieces = st.text(alphabet=st.sampled_from(list("ab=&+%20C3A9xy;é_.")), max_size=40)


def reference(text: str, max_fields: int) -> list[tuple[str, str]] | type[Exception]:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=max_fields)
    except UnicodeDecodeError:
        return UnicodeDecodeError
    except ValueError:
        return ValueError


def ours(text: str, max_fields: int) -> list[tuple[str, str]] | type[Exception]:
    try:
        return form_pairs(text, max_fields)
    except UnicodeDecodeError:
        return UnicodeDecodeError
    except ValueError:
        return ValueError


@settings(max_examples=500, deadline=None, derandomize=True)
@given(pieces, st.integers(min_value=1, max_value=6))
def test_the_same_pairs_and_errors_as_parse_qsl(text: str, max_fields: int) -> None:
    assert ours(text, max_fields) == reference(text, max_fields)


@pytest.mark.parametrize(
    "text",
    ["a=1&b=x%20y", "a=&b", "a+b=c+d", "&&a=1&", "k=%C3%A9", "k=%E9", "k=%zz", "a=1=2", "=v", "x;y=1"],
)
def test_examples(text: str) -> None:
    assert ours(text, 10) == reference(text, 10)
