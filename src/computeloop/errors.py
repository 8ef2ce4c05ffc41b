"""One exception tree for everything a user can get wrong.

Every error a user can cause derives from :class:`ComputeloopError`. The CLI
catches that base class, prints the message (one line per problem) and exits
non-zero; anything else reaching the CLI is a bug in computeloop itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ComputeloopError(Exception):
    """Base class of all errors caused by user input."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was found, what is allowed."""

    location: str
    message: str

    def render(self, source: str | None) -> str:
        where = f" ({source})" if source else ""
        loc = self.location or "<top level>"
        return f"{loc}: {self.message}{where}"


class ScenarioError(ComputeloopError):
    """A scenario file or object failed to parse or validate.

    ``problems`` lists every problem found, so a user fixes them all at once.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__("\n".join(p.render(source) for p in self.problems))


class UnknownScenarioError(ComputeloopError):
    """A scenario name or path that does not exist."""


class OutputError(ComputeloopError):
    """An output file or directory could not be written."""


class InputError(ComputeloopError):
    """A bad argument to a command or API call (path count, seed, option value)."""
