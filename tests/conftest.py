"""Suite-wide settings: every server a test starts (in-process or ``spaps local`` as a
subprocess, which inherits the environment) hashes passwords with the cheap argon2id test
profile. Benchmarks measure the production profile instead."""

from __future__ import annotations

import os

os.environ.setdefault("SPAPS_PASSWORD_PROFILE", "test")
# A repository call that opens a second pooled connection inside a unit of work is a bug.
os.environ.setdefault("SPAPS_STRICT_CONNECTIONS", "1")
