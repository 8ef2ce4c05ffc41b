"""Where the run store lives when ``--store`` is not given.

1. ``$COMPUTELOOP_STORE``, if set and not empty: the database file itself;
2. otherwise a per-user data directory, the usual place on each system:
   ``$XDG_DATA_HOME/computeloop/runs.duckdb`` (Linux and other Unix, with
   ``$XDG_DATA_HOME`` defaulting to ``~/.local/share``),
   ``~/Library/Application Support/computeloop/runs.duckdb`` (macOS),
   ``%LOCALAPPDATA%\\computeloop\\runs.duckdb`` (Windows).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "COMPUTELOOP_STORE"
FILE_NAME = "runs.duckdb"


def default_store_path(
    environ: Mapping[str, str] | None = None, platform: str | None = None, home: Path | None = None
) -> Path:
    """The run store's default location (see the module docstring).

    >>> default_store_path({"COMPUTELOOP_STORE": "/data/runs.duckdb"})
    PosixPath('/data/runs.duckdb')
    >>> default_store_path({}, "linux", Path("/home/ana"))
    PosixPath('/home/ana/.local/share/computeloop/runs.duckdb')
    >>> default_store_path({"XDG_DATA_HOME": "/xdg"}, "linux", Path("/home/ana"))
    PosixPath('/xdg/computeloop/runs.duckdb')
    """
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    base_home = Path.home() if home is None else home
    explicit = env.get(ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if plat.startswith("win"):
        root = Path(env.get("LOCALAPPDATA") or base_home / "AppData" / "Local")
    elif plat == "darwin":
        root = base_home / "Library" / "Application Support"
    else:
        root = Path(env.get("XDG_DATA_HOME") or base_home / ".local" / "share")
    return root / "computeloop" / FILE_NAME
