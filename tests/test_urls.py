"""URLs shown in errors and logs never carry their password."""

from __future__ import annotations

import pytest

from bot.urls import masked_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/sre", "postgresql://app:***@db:5432/sre"),
        ("redis://:s3cret@localhost:6379/0", "redis://:***@localhost:6379/0"),
        ("http://prom:s3cret@[::1]:9090/api", "http://prom:***@[::1]:9090/api"),
        ("postgresql://app@db/sre", "postgresql://app@db/sre"),
        ("sqlite:///var/lib/sre.db", "sqlite:///var/lib/sre.db"),
        ("postgresql://app:s3cret@db:notaport/sre", "postgresql:***"),
    ],
)
def test_the_password_is_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown
