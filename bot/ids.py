"""Timestamp IDs such as ``INC-20261016-170000`` and ``RUN-20261016-170000``.

The n-th one made within the same second gets ``-n`` (``...-170000-2``); the primary key
refuses a writer that picked a suffix someone else took meanwhile, and that writer looks again.
"""

from __future__ import annotations

from collections.abc import Sequence


def next_free_id(base_id: str, taken: Sequence[str]) -> str:
    """``base_id`` if it is not taken, else one suffix past the highest taken (first ``-2``).

    ``taken`` is ``base_id`` and the IDs suffixed from it (what storage finds by prefix);
    anything else in it is ignored.
    """
    if base_id not in taken:
        return base_id
    suffixes = [1]
    for existing in taken:
        tail = existing[len(base_id) + 1 :]
        if existing.startswith(base_id + "-") and tail.isdigit():
            suffixes.append(int(tail))
    return f"{base_id}-{max(suffixes) + 1}"
