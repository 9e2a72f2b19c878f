#!/usr/bin/env python3
"""Summarises an async-profiler 'collapsed' CPU profile taken with the 'threads' option.

Prints where the server's CPU time went: by thread kind, by the Posthorn code path that was running
(inclusive), by system call, and the hottest leaf frames. Usage: profile-summary.py FILE [TOP]
"""
import re
import sys
from collections import Counter


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    threads, inclusive, leaves, syscalls = Counter(), Counter(), Counter(), Counter()
    total = 0
    with open(path) as f:
        for line in f:
            line = line.rstrip()
            if not line:
                continue
            stack, count = line.rsplit(' ', 1)
            n = int(count)
            frames = stack.split(';')
            total += n
            kind = re.sub(r'\d+', 'N', re.sub(r' tid=\d+', '', frames[0].strip('[]')))
            threads[kind] += n
            body = frames[1:]
            if body:
                leaves[body[-1]] += n
            for frame in set(body):
                if frame.startswith('dev/posthorn/') or frame.startswith('ch/qos/logback/classic/Logger.'):
                    inclusive[frame] += n
            for frame in body:
                m = re.match(r'__x64_sys_(\w+)_\[k\]', frame)
                if m:
                    syscalls[m.group(1)] += n
                    break
    if total == 0:
        print('no samples')
        return
    pct = lambda n: f'{100.0 * n / total:5.1f}%'
    print(f'samples: {total}')
    print('\nby thread')
    for name, n in threads.most_common(8):
        print(f'  {pct(n)}  {name}')
    print('\nby Posthorn code path (inclusive; nested paths overlap)')
    for name, n in inclusive.most_common(top):
        print(f'  {pct(n)}  {name}')
    print('\nby system call (inclusive)')
    for name, n in syscalls.most_common(12):
        print(f'  {pct(n)}  {name}')
    print('\nhottest leaf frames ([k] = kernel)')
    for name, n in leaves.most_common(top):
        print(f'  {pct(n)}  {name[:110]}')


if __name__ == '__main__':
    main()
