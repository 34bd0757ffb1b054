#!/usr/bin/env python3
"""Rewrite a pg_dump custom archive of layout 1.14 (pg_dump 12 to 15) as layout 1.16
(pg_dump 17), which Debian 12 cannot produce: the compression becomes one algorithm
byte (1.15), each TOC entry gains a relkind integer after its table access method
(1.16), and every data offset moves by what was inserted before it.  The data blocks
are copied unchanged.  usage: pgdump_as_1_16.py IN OUT"""
import sys

data = open(sys.argv[1], 'rb').read()
pos = 0


def take(n):
    global pos
    out = data[pos:pos + n]
    if len(out) != n:
        sys.exit('the archive ends early')
    pos += n
    return out


assert take(5) == b'PGDMP'
maj, minor, rev, int_size, off_size, fmt = take(6)
assert (maj, minor, fmt) == (1, 14, 1), 'a custom archive of layout 1.14 is wanted'


def take_int():
    sign = take(1)[0]
    value = int.from_bytes(take(int_size), 'little')
    return -value if sign else value


def put_int(value):
    return bytes([1 if value < 0 else 0]) + abs(value).to_bytes(int_size, 'little')


def take_str():
    n = take_int()
    return None if n < 0 else take(n)


def put_str(s):
    return put_int(-1) if s is None else put_int(len(s)) + s


level = take_int()
head = b'PGDMP' + bytes([1, 16, 0, int_size, off_size, fmt]) + bytes([0 if level == 0 else 1])
for _ in range(7):
    head += put_int(take_int())
for _ in range(3):
    head += put_str(take_str())
count = take_int()
entries = []
for _ in range(count):
    e = {'ints': [take_int(), take_int()], 'strs': [take_str() for _ in range(4)]}
    e['section'] = take_int()
    e['more'] = [take_str() for _ in range(6)]      # defn drop copy namespace tablespace tableam
    e['owner'], e['oids'] = take_str(), take_str()
    deps = []
    while (d := take_str()) is not None:
        deps.append(d)
    e['deps'] = deps
    e['flag'] = take(1)[0]
    e['offset'] = int.from_bytes(take(off_size), 'little')
    entries.append(e)
old_toc_end = pos


def toc(shift):
    out = put_int(count)
    for e in entries:
        out += b''.join(put_int(i) for i in e['ints']) + b''.join(put_str(s) for s in e['strs'])
        out += put_int(e['section']) + b''.join(put_str(s) for s in e['more'])
        out += put_int(114 if e['strs'][3] == b'TABLE DATA' else 0)   # relkind: 'r' for a table's data
        out += put_str(e['owner']) + put_str(e['oids'])
        out += b''.join(put_str(d) for d in e['deps']) + put_str(None)
        offset = e['offset'] + shift if e['flag'] == 2 else e['offset']
        out += bytes([e['flag']]) + offset.to_bytes(off_size, 'little')
    return out


shift = len(head) + len(toc(0)) - old_toc_end
open(sys.argv[2], 'wb').write(head + toc(shift) + data[old_toc_end:])
