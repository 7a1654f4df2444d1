"""The reproducible draw behind ``{sample: {of: key, percent: p, salt: s}}``.

The batch path (:mod:`policyengine.batch.compile`) draws with the same function, so a case is in
the sample on both paths or on neither.
"""

from __future__ import annotations

import hashlib


def in_sample(key: str, salt: str, hundredths_of_percent: int) -> bool:
    """A reproducible draw: SHA-256 of salt and key, read as a number from 0 to 9999."""
    # surrogatepass: a key an app passed as text that is not valid Unicode still draws (and the
    # same way every time) rather than crash the decision
    digest = hashlib.sha256(f"{salt}\x00{key}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < hundredths_of_percent
