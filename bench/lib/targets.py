#!/usr/bin/env python3
"""Prints the issue's targets against a results directory of bench/run.sh, as a Markdown table.

Usage: targets.py RESULTS_DIR
"""
import re
import sys
from pathlib import Path


def throughput(path):
    rows = {}
    if not path.exists():
        return rows
    for line in path.read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3:
            try:
                rows[parts[0]] = (float(parts[1]), float(parts[2]))
            except ValueError:
                rows[parts[0]] = None
    return rows


def drains(path):
    """Posthorn's drain after each run (seconds from the end of the load to an empty queue), per scenario."""
    rows = {}
    if not path.exists():
        return rows
    for line in path.read_text().splitlines()[1:]:
        parts = line.split('|')
        if len(parts) >= 3 and 'drain' in parts[2]:
            name = parts[0].split()[0] if parts[0].split() else ''
            rows[name] = parts[2].replace('drain', '').split()
    return rows


def field(line, key):
    m = re.search(r'\b' + key + r'=([0-9.]+)', line)
    return float(m.group(1)) if m else None


def main():
    results = Path(sys.argv[1])
    tp = throughput(results / 'throughput.txt')
    dr = drains(results / 'throughput.txt')
    rows = []

    def ratio_target(name, scenario, want):
        r = tp.get(scenario)
        if not r or not r[1]:
            rows.append((name, f'>= {want}x Postfix', 'not measured', ''))
            return
        ratio = r[0] / r[1]
        d = dr.get(scenario)
        drain = f' (drain after each run: {", ".join(d)} s)' if d else ''
        rows.append((name, f'>= {want}x Postfix', f'{r[0]:.0f} vs {r[1]:.0f} msgs/s = {ratio:.2f}x{drain}',
                     'met' if ratio >= want else f'missed ({ratio / want * 100:.0f}% of the target)'))

    ratio_target('1 KiB, 20 sessions, connection per message', '1k-s20-conn', 3)
    ratio_target('1 KiB, 20 sessions, reused connections', '1k-s20-reuse', 10)
    r = tp.get('1k-s20-reuse')
    if r:
        rows.append(('1 KiB, 20 sessions, reused: absolute', '> 10,000 msgs/s', f'{r[0]:.0f} msgs/s',
                     'met' if r[0] > 10000 else f'missed ({r[0] / 100:.0f}% of the target)'))
    ratio_target('100 KiB, 20 sessions, connection per message', '100k-s20-conn', 2)
    ratio_target('100 KiB, 20 sessions, reused connections', '100k-s20-reuse', 2)
    mem = results / 'memory.txt'
    if mem.exists():
        for line in mem.read_text().splitlines():
            if line.startswith('posthorn idle HELD'):
                rss = field(line, 'rss_kb')
                heap = field(line, 'heap_after_gc_kb')
                conns = field(line, 'connections')
                rows.append((f'{conns:.0f} idle connections: server RSS', '< 1 GiB',
                             f'{rss / 1024:.0f} MiB RSS, {heap / 1024:.0f} MiB live heap',
                             'met' if rss < 1024 * 1024 else 'missed'))
            if line.startswith('posthorn busy'):
                rss = field(line, 'max_rss_kb')
                rows.append(('same connections busy at a low rate: peak RSS', '< 1 GiB', f'{rss / 1024:.0f} MiB',
                             'met' if rss < 1024 * 1024 else 'missed'))
    lat = results / 'latency.txt'
    if lat.exists():
        for line in lat.read_text().splitlines():
            if line.startswith('posthorn '):
                kind = line.split()[1]
                p99 = field(line, 'p99_ms')
                rows.append((f'p99 transaction latency, 20 sessions, {kind}', '< 20 ms',
                             f'p50 {field(line, "p50_ms"):.1f} / p99 {p99:.1f} / p99.9 {field(line, "p999_ms"):.1f} ms',
                             'met' if p99 is not None and p99 < 20 else 'missed'))
    print('| target | wanted | measured | |')
    print('|---|---|---|---|')
    for name, want, got, verdict in rows:
        print(f'| {name} | {want} | {got} | {verdict} |')


if __name__ == '__main__':
    main()
