"""Sums a callgrind profile's self cost (Ir) by shared object, to say where the time goes:
`python3 callgrind_summary.py callgrind.out` (uses callgrind_annotate)."""
import collections
import re
import subprocess
import sys

text = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no", sys.argv[1]],
                      capture_output=True, text=True, check=True).stdout
by_object = collections.Counter()
total = 0
for line in text.splitlines():
    m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(.*)", line)
    if not m or "PROGRAM TOTALS" in line:
        continue
    ir = int(m.group(1).replace(",", ""))
    obj = re.search(r"\[([^\]]+)\]\s*$", m.group(2))
    name = obj.group(1).rsplit("/", 1)[-1] if obj else "?"
    by_object[name] += ir
    total += ir
for name, ir in by_object.most_common(12):
    print(f"{ir / total * 100:5.1f} %  {name}")
