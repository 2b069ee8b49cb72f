"""The error every part of a run raises for something already worded for the user."""

from __future__ import annotations


class Failure(Exception):
    """An error already worded for the user: one line (or diagnostics), exit 1."""


class Refused(Failure):
    """A refusal the output already showed in full (a plan with errors): one line on stderr only."""
