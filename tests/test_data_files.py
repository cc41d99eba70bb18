"""The shipped data are the published files, byte for byte."""

import hashlib

from gtzan_helpers.paths import DATA_DIR


def test_shipped_data_match_their_checksums():
    lines = (DATA_DIR / "SHA256SUMS").read_text().split("\n")
    entries = [line.split(maxsplit=1) for line in lines if line.strip()]
    assert len(entries) == 35
    for digest, name in entries:
        path = DATA_DIR / name.strip().lstrip("*")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
