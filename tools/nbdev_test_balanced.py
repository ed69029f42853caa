"""`nbdev_test` on two cores with the notebooks split into two balanced halves, longest first.

    python tools/nbdev_test_balanced.py [--skip NB.ipynb ...]

`nbdev_test --n_workers 2` hands the notebooks to its two workers in alphabetical order, so the slowest ones
(03-08) start last and one core often idles while the other finishes a long notebook: in CI's offline pass that
tail was about 20 s of 146. This script splits the notebooks into two halves of about equal cost (the seconds each
took in the last recorded `benchmarks/notebook_times.py` run; a notebook it does not know counts as the
median), greedily, longest first, and runs one `nbdev_test --n_workers 1 --timing` per half at the same time. It
prints each half's whole output, one after the other (the per-notebook times, tracebacks and verdicts that
`nbdev_test` prints), and exits with status 1 if either half failed. The environment passes through, so the
same call serves both of `.ci/run`'s passes.
"""
import argparse, json, statistics, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / 'benchmarks' / 'results' / 'notebook_times.txt'

def recorded_seconds() -> dict:
    "{notebook: seconds}, the larger of its two passes in the last recorded run ({} if none)."
    if not RECORD.is_file(): return {}
    run = next((json.loads(l) for l in reversed(RECORD.read_text(encoding='utf-8').splitlines()) if l.startswith('{')), {})
    out = {}
    for per in run.get('per_notebook_by_pass', {}).values():
        for nb, s in per.items(): out[nb] = max(s, out.get(nb, 0))
    return out

def halves(notebooks, seconds) -> tuple:
    "Two lists of notebooks of about equal total cost: each in turn, costliest first, to the half with less so far."
    known = [seconds[n] for n in notebooks if n in seconds]
    default = statistics.median(known) if known else 1
    cost = {n: seconds.get(n, default) for n in notebooks}
    a, b, ta, tb = [], [], 0, 0
    for n in sorted(notebooks, key=lambda n: (-cost[n], n)):
        if ta <= tb: a.append(n); ta += cost[n]
        else: b.append(n); tb += cost[n]
    return a, b

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--skip', nargs='*', default=[], help='notebook file names to leave out')
    args = p.parse_args()
    notebooks = sorted(n.name for n in (ROOT / 'nbs').glob('*.ipynb') if not n.name.startswith(('_', '.')) and n.name not in args.skip)
    procs = []
    for half in halves(notebooks, recorded_seconds()):
        if not half: continue
        file_re = '^(' + '|'.join(n[:-len('.ipynb')] for n in half) + r')\.ipynb$'
        log = tempfile.TemporaryFile('w+', encoding='utf-8')          # a file, not a pipe: neither half can block on a full pipe
        procs.append((subprocess.Popen(['nbdev_test', '--n_workers', '1', '--timing', '--file_re', file_re], cwd=ROOT,
                                       stdout=log, stderr=subprocess.STDOUT, text=True), log))
    for proc, log in procs:
        proc.wait(); log.seek(0); out = log.read(); log.close()
        sys.stdout.write(out if out.endswith('\n') or not out else out + '\n')
    sys.exit(0 if all(proc.returncode == 0 for proc, _ in procs) else 1)

if __name__ == '__main__': main()
