#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""The user docs cannot drift from the tree and the tools.

Checks, each difference listed, exit status 1 if there is any:

- links: every relative link of README.md, tests/README.md and docs/*.md
  (outside code blocks) names a file or folder that exists; a link with
  '#anchor' to a Markdown file names a heading of that file (GitHub's
  anchors: lower case, punctuation dropped, spaces to '-');
- headers: the table under "### Headers" of docs/usage.md names exactly the
  public headers in core/include/mctx/ (*.hpp, and *.hpp.in as the .hpp it
  generates), whatever they are when the test runs; every <mctx/...> named
  in the user docs (not design.md) is one of them;
- snippets: code between "--- docs/NAME.md begin" and "--- docs/NAME.md end"
  markers in tests/ and examples/ (code the tests compile and run) appears
  in a code block of docs/NAME.md, line for line (indentation ignored);
- tools (when given with --tool NAME=PATH): the options in the tables of
  the section "## NAME" of docs/cli.md are exactly the options that
  `PATH --help` lists, both ways.

Sends nothing. Usage: check_docs.py SOURCE_ROOT [--tool NAME=PATH ...]
"""

import os
import re
import subprocess
import sys

FENCE = re.compile(r'^```.*?^```[ \t]*$', re.M | re.S)
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$', re.M)
HEADER_NAME = re.compile(r'<(mctx/[A-Za-z0-9_/.-]+\.hpp)>')
OPTION = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])')


def prose(path):
    """The file without its fenced code blocks."""
    with open(path, encoding='utf-8') as f:
        return FENCE.sub('', f.read())


def slug(heading):
    s = heading.strip().lower().replace('`', '')
    s = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', s)  # a link in a heading: its text
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def anchors(path):
    seen = {}
    out = set()
    for m in HEADING.finditer(prose(path)):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f'{base}-{n}')
    return out


def user_pages(root):
    pages = [os.path.join(root, 'README.md'), os.path.join(root, 'tests', 'README.md')]
    docs = os.path.join(root, 'docs')
    pages += sorted(os.path.join(docs, f) for f in os.listdir(docs) if f.endswith('.md'))
    return [p for p in pages if os.path.exists(p)]


def check_links(root, errors):
    cache = {}
    for page in user_pages(root):
        rel_page = os.path.relpath(page, root)
        for m in LINK.finditer(prose(page)):
            target = m.group(1)
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):  # http:, https:, mailto:
                continue
            path, _, anchor = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(dest):
                errors.append(f'{rel_page}: link ({target}): {os.path.relpath(dest, root)} does not exist')
                continue
            if anchor and dest.endswith('.md'):
                if dest not in cache:
                    cache[dest] = anchors(dest)
                if anchor not in cache[dest]:
                    errors.append(f'{rel_page}: link ({target}): no heading with anchor '
                                  f"'{anchor}' in {os.path.relpath(dest, root)}")


def public_headers(root):
    top = os.path.join(root, 'core', 'include')
    found = set()
    for d, _, files in os.walk(os.path.join(top, 'mctx')):
        for f in files:
            if f.endswith('.hpp.in'):
                f = f[:-3]
            if f.endswith('.hpp'):
                found.add(os.path.relpath(os.path.join(d, f), top).replace(os.sep, '/'))
    return found


def check_headers(root, errors):
    usage = os.path.join(root, 'docs', 'usage.md')
    text = prose(usage)
    m = re.search(r'^### Headers\n(.*?)(?=^#)', text, re.M | re.S)
    if not m:
        errors.append('docs/usage.md: no section "### Headers"')
        return
    listed = set()
    for line in m.group(1).split('\n'):
        if line.startswith('|'):
            listed.update(HEADER_NAME.findall(line.split('|')[1]))
    have = public_headers(root)
    for h in sorted(have - listed):
        errors.append(f'<{h}>: a public header in core/include/ but not in the header table of docs/usage.md')
    for h in sorted(listed - have):
        errors.append(f'<{h}>: in the header table of docs/usage.md but not in core/include/')
    for page in user_pages(root):
        if os.path.basename(page) == 'design.md':
            continue
        for h in sorted(set(HEADER_NAME.findall(open(page, encoding='utf-8').read())) - have):
            errors.append(f'{os.path.relpath(page, root)}: names <{h}>, which is not a public header')


SNIPPET = re.compile(r'--- (docs/[a-z0-9-]+\.md) begin\n(.*?)\n[^\n]*--- \1 end', re.S)


def code_lines(text):
    return [l.strip() for l in text.split('\n') if l.strip()]


def check_snippets(root, errors):
    for top in ('tests', 'examples'):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                path = os.path.join(d, f)
                try:
                    text = open(path, encoding='utf-8').read()
                except (UnicodeDecodeError, OSError):
                    continue
                for m in SNIPPET.finditer(text):
                    doc = os.path.join(root, m.group(1))
                    want = code_lines(m.group(2))
                    blocks = []
                    if os.path.exists(doc):
                        blocks = [code_lines(b) for b in
                                  re.findall(r'^```[^\n]*\n(.*?)^```', open(doc, encoding='utf-8').read(),
                                             re.M | re.S)]
                    if not any(want == b[i:i + len(want)] for b in blocks for i in range(len(b))):
                        errors.append(f'{os.path.relpath(path, root)}: the snippet marked for '
                                      f'{m.group(1)} is not in a code block of it, line for line')


def help_options(path):
    out = subprocess.run([path, '--help'], capture_output=True, text=True, check=False)
    text = out.stdout + out.stderr
    opts = set()
    for line in text.split('\n'):
        m = re.match(r'^\s{2}(-\S.*?)\s{2,}', line) or re.match(r'^\s{2}(-\S+(?:, -\S+)*)$', line)
        if m:
            opts.update(o.split('=')[0] for o in OPTION.findall(m.group(1)))
    return opts


def doc_options(cli_md, tool):
    text = prose(cli_md)
    parts = re.split(r'^## ', text, flags=re.M)
    for part in parts:
        if part.split('\n', 1)[0].strip() == tool:
            opts = set()
            for line in part.split('\n'):
                if line.startswith('|'):
                    first = line.split('|')[1]
                    if first.strip().startswith('`-'):
                        opts.update(OPTION.findall(first))
            return opts
    return None


def check_tools(root, tools, errors):
    cli_md = os.path.join(root, 'docs', 'cli.md')
    for name, path in tools:
        documented = doc_options(cli_md, name)
        if documented is None:
            errors.append(f'docs/cli.md: no section "## {name}"')
            continue
        listed = help_options(path)
        if not listed:
            errors.append(f'{name} --help lists no options')
            continue
        for o in sorted(listed - documented):
            errors.append(f'{name}: {o} is in --help but not in the option table of docs/cli.md')
        for o in sorted(documented - listed):
            errors.append(f'{name}: {o} is in the option table of docs/cli.md but not in --help')


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    root = argv[1]
    tools = []
    args = argv[2:]
    while args:
        if args[0] == '--tool' and len(args) > 1 and '=' in args[1]:
            tools.append(tuple(args[1].split('=', 1)))
            args = args[2:]
        else:
            print(f'unknown argument {args[0]!r}')
            return 2
    errors = []
    check_links(root, errors)
    check_headers(root, errors)
    check_snippets(root, errors)
    check_tools(root, tools, errors)
    for e in errors:
        print(e)
    checked = 'links, public headers, snippets' + ''.join(f', {n} options' for n, _ in tools)
    print(f'{len(errors)} differences ({checked})')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
