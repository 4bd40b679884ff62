"""Run a command and write its own peak memory (KiB) to a file: ``python bench/peak.py FILE CMD…``.

A child started straight from the benchmark process would report the benchmark's own memory as
its peak: Linux keeps the larger resident size of the process image replaced by exec, and the
benchmark process holds the large fixtures of the earlier cases. This small launcher is that
process instead, so the figure is the command's own.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    out, command = argv[0], argv[1:]
    process = subprocess.Popen(command)
    _pid, status, usage = os.wait4(process.pid, 0)
    with open(out, "w", encoding="ascii") as f:
        f.write(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
