"""Running ``python -m bot`` as a separate process, as a person or a pipeline does."""

from __future__ import annotations

import asyncio
import os
import sys


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python -m bot <args>`` with ``env`` added."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
