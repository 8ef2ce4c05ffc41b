"""The console entry point, kept apart so that a failure while importing the CLI is
reported like any other internal error (exit 70, no wall of traceback)."""

from __future__ import annotations

import os
import sys

EXIT_INTERNAL = 70


def main() -> None:
    """Import the CLI and run it; an import-time bug is an internal error, exit 70."""
    try:
        from computeloop.cli import main as cli_main
    except Exception as exc:  # a bug in computeloop, not bad input
        if os.environ.get("COMPUTELOOP_DEBUG"):
            raise
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in computeloop; rerun with COMPUTELOOP_DEBUG=1 for details.\n"
        )
        sys.exit(EXIT_INTERNAL)
    cli_main()
