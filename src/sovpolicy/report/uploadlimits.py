"""What GitHub code scanning accepts from a SARIF upload, and how a log is cut to fit it.

GitHub documents hard limits (over them the upload is rejected) and display limits
(over them only part is shown); figures as of 2026-12-02 from
https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
and .../troubleshooting-sarif-uploads/file-too-large:

* 20 runs per file, 25,000 results per run (only the 5,000 most severe are shown),
  25,000 rules per run, 1,000 locations per result (100 shown), 20 tags per rule (10
  shown), 10,000 thread-flow locations per result, 100 tool extensions per run;
* a gzip-compressed SARIF file of at most 10 MB; the upload API carries it
  base64-encoded (4/3 larger).

:class:`Budget` keeps a log under the results limit and under a gzip size whose base64
form is still under 10 MB whatever "MB" means (10^6 or 2^20 bytes): 7,500,000 bytes of
gzip, measured at compression level 1 (the weakest an uploader would use, so the real
upload is never larger than the estimate).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

RUNS_PER_FILE = 20
RESULTS_PER_RUN = 25_000
RESULTS_SHOWN = 5_000
RULES_PER_RUN = 25_000
LOCATIONS_PER_RESULT = 1_000
TAGS_PER_RULE = 20
GZIP_BYTES = 10_000_000
#: the gzip budget: its base64 encoding (4/3) stays under 10,000,000 bytes
GZIP_BUDGET = GZIP_BYTES * 3 // 4
SLACK = 65_536
DOCS = "https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit"


@dataclass
class Budget:
    """Counts results and their gzip size as they are added; says when the next would not fit.

    ``reserve`` is the uncompressed size of what the log holds besides its results (the
    header and the end): counted as if it did not compress at all. Input zlib holds back
    is counted at its uncompressed size too (a block is written out when zlib's buffer
    fills, so only what came after the last output, and a look-ahead of at most 262
    bytes, is pending; :data:`SLACK` covers that and the gzip trailer).
    """

    reserve: int
    max_results: int = RESULTS_PER_RUN
    max_gzip: int = GZIP_BUDGET

    def __post_init__(self) -> None:
        self._z = zlib.compressobj(1, zlib.DEFLATED, 31)
        self.results = 0
        self.compressed = 0
        self._pending = 0  # bytes given to zlib since it last produced output (at most that much more)

    def add(self, chunk: bytes) -> bool:
        """Count ``chunk`` in when it fits (True), else leave the budget as it was (False)."""
        if self.results >= self.max_results:
            return False
        if self.reserve + SLACK + self.compressed + self._pending + len(chunk) > self.max_gzip:
            return False  # the worst case: nothing of it compresses
        out = len(self._z.compress(chunk))
        self.results += 1
        if out:
            self.compressed += out
            self._pending = len(chunk)
        else:
            self._pending += len(chunk)
        return True
