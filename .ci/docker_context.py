#!/usr/bin/env python3
"""Copies into DEST exactly the files the Dockerfile's build-context COPY lines name, minus what
.dockerignore excludes (its patterns in order, `!` re-including, the last match deciding, a
match on a directory covering what is under it), and fails if a named source is missing or
excluded: then a build in DEST is the image's build.

    docker_context.py Dockerfile .dockerignore DEST
"""
import fnmatch
import os
import shlex
import shutil
import sys

dockerfile, ignore_file, dest = sys.argv[1:4]

patterns = []
for line in open(ignore_file):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    negate = line.startswith("!")
    pattern = line[1:] if negate else line
    patterns.append((negate, os.path.normpath(pattern.strip("/"))))


def excluded(path):
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for negate, pattern in patterns:
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            verdict = not negate
    return verdict


sources = []
for raw in open(dockerfile).read().replace("\\\n", " ").splitlines():
    words = shlex.split(raw, comments=True) if raw.strip() else []
    if not words or words[0].upper() not in ("COPY", "ADD"):
        continue
    args = [w for w in words[1:] if not w.startswith("--")]
    if any(w.startswith("--from") for w in words[1:]):
        continue  # from another stage, not from the context
    sources.extend(args[:-1])

if not sources:
    sys.exit("no COPY from the build context in " + dockerfile)
os.makedirs(dest, exist_ok=True)
copied = 0
for source in sources:
    source = os.path.normpath(source)
    if not os.path.exists(source):
        sys.exit(f"COPY names {source}, which does not exist")
    if excluded(source):
        sys.exit(f"COPY names {source}, which .dockerignore excludes: the image build would fail")
    files = [source] if os.path.isfile(source) else [
        os.path.join(root, f) for root, _, names in os.walk(source) for f in names
    ]
    for f in files:
        f = os.path.normpath(f)
        if excluded(f):
            continue
        os.makedirs(os.path.join(dest, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(f, os.path.join(dest, f))
        copied += 1
print(f"{copied} files from {len(sources)} COPY sources into {dest}")
