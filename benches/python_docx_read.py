#!/usr/bin/env python3
"""Read every .docx under the given folders with python-docx, as a user of
python-docx would to get a document's text (body paragraphs, then table
cells), and print one JSON line: files, bytes, CPU seconds of the reading
alone (imports excluded). Used by benches/throughput.rs for the .docx ratio."""
import json
import os
import sys
import time

import docx  # python-docx


def files(roots):
    for root in roots:
        if os.path.isfile(root):
            yield root
            continue
        for d, _, names in os.walk(root):
            for n in sorted(names):
                if n.endswith(".docx"):
                    yield os.path.join(d, n)


def main():
    paths = sorted(files(sys.argv[1:]))
    blobs = []
    for p in paths:
        with open(p, "rb") as f:
            blobs.append(f.read())
    import io

    best = None
    chars = 0
    for _ in range(3):
        t = time.process_time()
        chars = 0
        for b in blobs:
            try:
                d = docx.Document(io.BytesIO(b))
            except Exception:
                continue
            parts = [p.text for p in d.paragraphs]
            for table in d.tables:
                for row in table.rows:
                    parts.append("\t".join(c.text for c in row.cells))
            chars += sum(len(s) for s in parts)
        s = time.process_time() - t
        best = s if best is None else min(best, s)
    print(json.dumps({"files": len(blobs), "bytes": sum(len(b) for b in blobs),
                      "chars": chars, "cpu_seconds": best}))


if __name__ == "__main__":
    main()
