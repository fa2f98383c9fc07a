#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Checks the relative links of trap's Markdown pages.

Usage: check_links.py ROOT

For README.md, CONTRIBUTING.md, ARCHITECTURE.md, CHANGELOG.md and
docs/*.md under ROOT, every link `[text](target)` that is not a URL or an
anchor must name a Markdown file of the tree, relative to the page: such a
link works on a repository host and in the API reference, where doxygen
turns it into a link to that page. A link to any other file would stay raw
`[text](target)` text in the reference: name such files as `code` instead.
Exits 1 listing each bad link with its file and line.
"""
import glob
import os
import re
import sys

LINK = re.compile(r"(?<!\!)\[([^\]\n]+)\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")
CODE_SPAN = re.compile(r"`[^`\n]*`")
URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def pages(root):
    names = ["README.md", "CONTRIBUTING.md", "ARCHITECTURE.md", "CHANGELOG.md"]
    found = [os.path.join(root, n) for n in names if os.path.exists(os.path.join(root, n))]
    return found + sorted(glob.glob(os.path.join(root, "docs", "*.md")))


def bad_links(page):
    """(line number, target, why) of each bad link of @p page."""
    bad, in_fence = [], False
    with open(page, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            for _, target in LINK.findall(CODE_SPAN.sub("", line)):
                if URL.match(target) or target.startswith("#"):
                    continue
                path = os.path.normpath(os.path.join(os.path.dirname(page), target))
                if not os.path.exists(path):
                    bad.append((number, target, "no such file"))
                elif not path.endswith(".md"):
                    bad.append((number, target, "not a Markdown page: doxygen leaves the link"
                                " as raw text; write the file name as `code`"))
    return bad


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    found = pages(argv[1])
    errors = [(p, n, t, why) for p in found for n, t, why in bad_links(p)]
    for page, number, target, why in errors:
        print("%s:%d: link to %s: %s" % (os.path.relpath(page, argv[1]), number, target, why))
    if errors:
        return 1
    print("check_links.py: the links of %d pages are good" % len(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
