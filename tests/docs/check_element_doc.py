#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""docs/element.md cannot drift from the element.

Runs `gst-inspect-1.0 mctxsink` and compares every property mctxsink adds
(all of them except those it inherits from GstBaseSink and GstObject) with
the property table of docs/element.md (section "Properties"):

  | name | type | default | range / values | changeable | meaning |

- the same set of properties, in both directions;
- type: string, boolean, int, uint, int64, uint64, double, an object type
  (GSocket) or a boxed type (GstStructure), as gst-inspect names it, or
  "enum" for an enum (its default then is the value's nick in backquotes),
  or "array of strings" for a GstValueArray of strings (default "empty");
- default: NULL / TRUE / FALSE / a number, exactly as gst-inspect prints it
  ("null", "true", numbers); objects and boxed structures have no default
  in gst-inspect and must say NULL (objects) or name the structure;
- range: numeric properties start the cell with "MIN–MAX" exactly as
  gst-inspect's "Range: MIN - MAX";
- changeable: READY (GST_PARAM_MUTABLE_READY), "any state"
  (GST_PARAM_MUTABLE_PLAYING) or "read-only" (not writable);
- a read-only GstStructure property prints its fields: each must be a field
  of the documented mctx-metrics bus message table;
- the action signals gst-inspect lists ("Element Actions") and the signal
  table of docs/element.md (| signal | arguments | returns | what it does |):
  the same names, in both directions, and the same return type (gboolean,
  GstStructure, or an empty cell for void).

Every difference is listed; the exit status is 1 if there is any.
With --amtsrc AMT_MD: the same for amtsrc's property table in docs/amt.md
(| property | default | meaning |: names both ways, and defaults).

Usage: check_element_doc.py ELEMENT_MD | --amtsrc AMT_MD
(GST_PLUGIN_PATH_1_0 / GST_REGISTRY from the environment.)
"""

import os
import re
import subprocess
import sys

BASE_PROPERTIES_PY = """
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstBase', '1.0')
from gi.repository import GObject, Gst, GstBase
Gst.init(None)
print('\\n'.join(p.name for p in GObject.list_properties(GstBase.%s)))
"""

TYPES = {
    'String': 'string',
    'Boolean': 'boolean',
    'Integer': 'int',
    'Unsigned Integer': 'uint',
    'Integer64': 'int64',
    'Unsigned Integer64': 'uint64',
    'Double': 'double',
}

CHANGEABLE = {
    'changeable only in NULL or READY state': 'READY',
    'changeable in NULL, READY, PAUSED or PLAYING state': 'any state',
}


def base_properties(base='BaseSink'):
    try:
        out = subprocess.run([sys.executable, '-c', BASE_PROPERTIES_PY % base], check=True,
                             capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        print(f'SKIP: cannot list Gst{base} properties with PyGObject: ' + e.stderr.strip())
        sys.exit(77)
    return set(out.split())


def inspect_properties(element='mctxsink'):
    """name -> {type, default, range, changeable, fields} from gst-inspect."""
    out = subprocess.run(['gst-inspect-1.0', element], check=True, capture_output=True,
                         text=True).stdout
    lines = out.split('\n')
    start = lines.index('Element Properties:') + 1
    props = {}
    cur = None
    for line in lines[start:]:
        if line and not line.startswith(' '):
            break  # the next section
        m = re.match(r'^  ([a-z0-9-]+)\s+: ', line)
        if m:
            cur = {'type': None, 'default': None, 'range': None, 'changeable': None,
                   'fields': []}
            props[m.group(1)] = cur
            continue
        if cur is None:
            continue
        text = line.strip()
        if text.startswith('flags:'):
            flags = text[len('flags:'):]
            if 'writable' not in flags:
                cur['changeable'] = 'read-only'
            else:
                cur['changeable'] = 'always (no GST_PARAM_MUTABLE_* flag)'
                for phrase, short in CHANGEABLE.items():
                    if phrase in flags:
                        cur['changeable'] = short
            continue
        if cur['type'] is None and text:
            m = re.match(r'^(Object of type|Boxed pointer of type) "(\w+)"', text)
            if m:
                cur['type'] = m.group(2)
                continue
            m = re.match(r'^Enum "\w+" Default: -?\d+, "([^"]+)"', text)
            if m:  # an enum: the table says "enum" and the default's nick
                cur['type'] = 'enum'
                cur['default'] = f'`{m.group(1)}`'
                continue
            # An array (GstValueArray): its default comes first, on its own
            # line; the table says "array of strings" and "empty".
            m = re.match(r'^Default: (.*?)\s*$', text)
            if m:
                cur['default'] = 'empty' if m.group(1) == '"<  >"' else m.group(1)
                continue
            m = re.match(r'^GstValueArray of GValues of type "gchararray"$', text)
            if m:
                cur['type'] = 'array of strings'
                continue
            m = re.match(r'^(.*?)\. (?:Range: (\S+) - (\S+) )?Default: (.*?)\s*$', text)
            if m:
                cur['type'] = TYPES.get(m.group(1), m.group(1))
                if m.group(2) is not None:
                    cur['range'] = (m.group(2), m.group(3))
                cur['default'] = m.group(4)
                continue
            cur['type'] = text
            continue
        m = re.match(r'^([a-z0-9-]+): ', text)
        if m and cur['type'] == 'GstStructure':
            cur['fields'].append(m.group(1))
    return props


def inspect_actions():
    """signal name -> return type ('' for void) from gst-inspect's Element Actions."""
    out = subprocess.run(['gst-inspect-1.0', 'mctxsink'], check=True, capture_output=True,
                         text=True).stdout
    actions = {}
    if 'Element Actions:' not in out:
        return actions
    section = out.split('Element Actions:', 1)[1]
    for m in re.finditer(r'^  "([a-z0-9-]+)" :\s+(\w+)\*?\s+user_function', section, flags=re.M):
        actions[m.group(1)] = '' if m.group(2) == 'void' else m.group(2)
    return actions


def doc_actions(path):
    """signal name -> return type cell from the signal table of element.md."""
    text = open(path, encoding='utf-8').read()
    actions = {}
    rows = [l for l in text.split('\n') if l.startswith('|')]
    in_table = False
    for r in rows:
        c = cells(r)
        if c[:3] == ['signal', 'arguments', 'returns']:
            in_table = True
            continue
        if in_table and set(r) <= set('|-: '):
            continue
        if in_table and c[0].startswith('`'):
            actions[c[0].strip('`')] = c[2].split(' ')[0] if c[2] else ''
            continue
        in_table = False
    return actions


def cells(row):
    return [c.strip() for c in row.strip().strip('|').split('|')]


def doc_tables(path):
    """(property rows, bus message fields) from element.md."""
    text = open(path, encoding='utf-8').read()
    sections = re.split(r'^## ', text, flags=re.M)
    props = {}
    fields = set()
    for sec in sections:
        title = sec.split('\n', 1)[0]
        rows = [l for l in sec.split('\n') if l.startswith('|')]
        if title.strip() == 'Properties':
            header = cells(rows[0])
            want = ['name', 'type', 'default', 'range / values', 'changeable', 'meaning']
            if header != want:
                raise SystemExit(f'{path}: the property table header is {header}, expected {want}')
            for r in rows[2:]:
                c = cells(r)
                name = c[0].strip('`')
                props[name] = dict(zip(['name', 'type', 'default', 'range', 'changeable'], c))
        elif title.startswith('Bus messages'):
            for r in rows[2:]:
                fields.add(cells(r)[0].strip('`'))
    if not props:
        raise SystemExit(f'{path}: no property table under "## Properties"')
    return props, fields


def doc_default(value):
    return {'NULL': 'null', 'TRUE': 'true', 'FALSE': 'false'}.get(value, value)


def missing_either_way(inspected, documented, path, element):
    """The properties only gst-inspect or only the table of `path` names."""
    return ([f'{n}: reported by gst-inspect-1.0 {element} but not in the table of {path}'
             for n in sorted(set(inspected) - set(documented))] +
            [f'{n}: in the table of {path} but not a property of {element}'
             for n in sorted(set(documented) - set(inspected))])


def check_amtsrc(path):
    """amtsrc: the property table of docs/amt.md (| property | default |
    meaning |) names every property amtsrc adds to GstPushSrc, no other, and
    gives gst-inspect's default (an empty default cell: not compared)."""
    inherited = base_properties('PushSrc')
    inspected = {k: v for k, v in inspect_properties('amtsrc').items() if k not in inherited}
    documented = {}
    rows = [cells(l) for l in open(path, encoding='utf-8').read().split('\n')
            if l.startswith('|')]
    for i, c in enumerate(rows):
        if c == ['property', 'default', 'meaning']:
            for r in rows[i + 2:]:
                if not r[0].startswith('`'):
                    break
                documented[r[0].strip('`')] = r[1]
            break
    if not documented:
        raise SystemExit(f'{path}: no table with the header | property | default | meaning |')
    errors = missing_either_way(inspected, documented, path, 'amtsrc')
    for name in sorted(set(inspected) & set(documented)):
        want, cell = inspected[name]['default'], documented[name]
        if want is None or not cell or cell.startswith('('):
            continue
        if doc_default(cell.split(' ')[0]) != want:
            errors.append(f'{name}: default is {want}, the table says {cell}')
    if errors:
        print(f'{path} differs from gst-inspect-1.0 amtsrc:')
        for e in errors:
            print('  ' + e)
        return 1
    print(f'{path}: all {len(inspected)} properties of amtsrc are in its table, defaults match')
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--amtsrc':
        return check_amtsrc(sys.argv[2])
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    path = sys.argv[1]
    inherited = base_properties()
    inspected = {k: v for k, v in inspect_properties().items() if k not in inherited}
    documented, bus_fields = doc_tables(path)
    errors = missing_either_way(inspected, documented, path, 'mctxsink')
    for name in sorted(set(inspected) & set(documented)):
        g, d = inspected[name], documented[name]
        if d['type'] != g['type']:
            errors.append(f"{name}: type is {g['type']}, the table says {d['type']}")
        if g['default'] is not None:
            if doc_default(d['default']) != g['default']:
                errors.append(f"{name}: default is {g['default']}, the table says {d['default']}")
        elif g['type'] == 'GstStructure':
            if not d['default'].startswith('`mctx-metrics`'):
                errors.append(f"{name}: a GstStructure; the table's default should name the "
                              f"structure (`mctx-metrics` ...), it says {d['default']}")
        elif d['default'] != 'NULL':
            errors.append(f"{name}: an object without default; the table says {d['default']}")
        if g['range'] is not None:
            want = f'{g["range"][0]}–{g["range"][1]}'
            if not re.match(re.escape(want) + r'(\s|$)', d['range']):
                errors.append(f"{name}: range is {g['range'][0]} - {g['range'][1]}, the table "
                              f"says '{d['range']}' (expected it to start with '{want}')")
        if d['changeable'] != g['changeable']:
            errors.append(f"{name}: changeable is '{g['changeable']}', the table says "
                          f"'{d['changeable']}'")
        for f in g['fields']:
            if f not in bus_fields:
                errors.append(f"{name}: field '{f}' is not in the mctx-metrics table of {path}")
    actions, documented_actions = inspect_actions(), doc_actions(path)
    for name in sorted(set(actions) - set(documented_actions)):
        errors.append(f'signal {name}: an action of mctxsink but not in the signal table of {path}')
    for name in sorted(set(documented_actions) - set(actions)):
        errors.append(f'signal {name}: in the signal table of {path} but not an action of mctxsink')
    for name in sorted(set(actions) & set(documented_actions)):
        if actions[name] != documented_actions[name]:
            errors.append(f'signal {name}: returns {actions[name] or "void"}, the table says '
                          f'{documented_actions[name] or "nothing"}')
    checked = len(set(inspected) & set(documented))
    if errors:
        print(f'{path} differs from gst-inspect-1.0 mctxsink:')
        for e in errors:
            print('  ' + e)
        return 1
    print(f'{path}: all {checked} properties of mctxsink match gst-inspect-1.0 '
          f'(type, default, range, changeable), and its {len(actions)} action signals')
    return 0


if __name__ == '__main__':
    sys.exit(main())
