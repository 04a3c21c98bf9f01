"""A DATABASE_URL that cannot work: one clear paragraph, the password masked, exit 2."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from tests.support.cli import invoke
from tests.support.config import CHANNELS_YAML

PASSWORD = "s3cret-pw"
# slo check reaches no verdict without its database: 2, like any "cannot tell"
# (docs/guide.md#deploy-verdict).
SLO_CHECK_CASES = ("wrong port", "unwritable sqlite path")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _bad_urls(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """name -> (DATABASE_URL, what the message must say)."""
    return {
        "missing database": (
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/artisan_no_such_db",
            "artisan_no_such_db",
        ),
        "wrong port": (
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:{_closed_port()}/test",
            "Connection refused",
        ),
        "unknown scheme": (f"mysql://root:{PASSWORD}@127.0.0.1/sre", "unsupported database"),
        "unwritable sqlite path": (
            f"sqlite:///{tmp_path}/no/such/folder/sre.db",
            "unable to open database file",
        ),
    }


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "sre.yaml"
    path.write_text(CHANNELS_YAML, encoding="utf-8")
    return str(path)


async def test_a_bad_database_url_is_one_clear_paragraph(tmp_path: Path, policy: str) -> None:
    cases = [
        (name, url, says, command)
        for name, (url, says) in _bad_urls(tmp_path).items()
        for command in (("incident", "list"), ("slo", "check"))
        if command[0] == "incident" or name in SLO_CHECK_CASES
    ]
    runs = await asyncio.gather(
        *(
            invoke(
                *command,
                env={
                    "DATABASE_URL": url,
                    "SRE_CONFIG": policy,
                    "SLACK_BOT_TOKEN": "",
                    "PROMETHEUS_URL": "",
                },
            )
            for _, url, _, command in cases
        )
    )

    for (name, url, says, command), (code, out, err) in zip(cases, runs, strict=True):
        where = f"{name}, {' '.join(command)}: {err}"
        assert code == 2, where
        assert out == "", where
        assert "Traceback" not in err and "sqlalche.me" not in err, where
        assert len(err.strip().splitlines()) == 1, where
        assert says in err, where
        assert PASSWORD not in err, where
        if "@" in url:
            assert ":***@" in err, where
