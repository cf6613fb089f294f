"""Named fault points for the fault-injection tests.

``fault_point("ingest:committed")`` does nothing unless the process was started
with ``PFKB_FAULT=ingest:committed`` (tests/test_faults.py), in which case the
process kills itself with SIGKILL right there, as a power cut or the OOM killer
would. This is a test hook, not a setting: it is read here, once per call,
and never from Settings."""
from __future__ import annotations

import os
import signal

POINTS = (
    "ingest:parsed",         # every file parsed, nothing written
    "ingest:source-stored",  # the new source file written, the database not yet committed
    "ingest:committed",      # the database committed, the old source file not yet removed
    "index:written",         # the new index directory complete, CURRENT not yet switched
    "job:accepted",          # an upload's file saved and its job row written, nothing processed
    "job:ingested",          # an upload's records stored, the index not yet rebuilt
)


def fault_point(name: str) -> None:
    if os.environ.get("PFKB_FAULT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
