"""Notebook test time: seconds per notebook under `nbdev_test` (quick mode, IN_TEST=1), one notebook at a time.

    python benchmarks/notebook_times.py            # every notebook in nbs/, sequentially (a few minutes)
    python benchmarks/notebook_times.py --parallel # also the whole suite as CI runs it (nbdev_test --n_workers 2)

The target is that the whole suite stays under 5 minutes on these 2-core machines. Sequential times add up the
cost of each notebook alone; CI runs two at a time, so its wall time is shorter than the sum.
"""
import sys, time, argparse, subprocess
from common import ROOT, commit, header, machine, result_line, utc_now
TARGET_S = 300

def run(args):
    t = time.perf_counter()
    r = subprocess.run(['nbdev_test', *args], cwd=ROOT, capture_output=True, text=True)
    ok = r.returncode == 0 and 'Tests Failed' not in r.stdout + r.stderr
    if not ok: print('\n'.join((r.stdout + r.stderr).splitlines()[-25:]), file=sys.stderr)   # what failed
    return time.perf_counter() - t, ok

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--parallel', action='store_true', help='also time the whole suite with --n_workers 2')
    a = p.parse_args()
    nbs = sorted(n for n in (ROOT / 'nbs').glob('*.ipynb') if not n.name.startswith(('_', '.')))
    checkout = commit()
    rows = []
    for nb in nbs:
        s, ok = run(['--path', str(nb.relative_to(ROOT))])
        rows.append((nb.name, s, ok)); print(f"  {nb.name:24} {s:6.1f} s  {'ok' if ok else 'FAILED'}", flush=True)
    total = sum(s for _, s, _ in rows)
    print()
    header('Notebook test times (s), vae_tutorial benchmarks/notebook_times.py', date=utc_now(), machine=machine(load_at='the end'),
           commit=checkout)
    print()
    print('| notebook | seconds (alone) | share |\n|----------|----------------:|------:|')
    for name, s, ok in sorted(rows, key=lambda r: -r[1]): print(f"| {name} | {s:.1f}{'' if ok else ' (FAILED)'} | {s / total:.0%} |")
    print(f"| **sum** | **{total:.1f}** | target < {TARGET_S} s: {'met' if total < TARGET_S else 'NOT met'} |")
    result = {'date': utc_now(), 'commit': checkout, 'per_notebook': {n: round(s, 1) for n, s, _ in rows}, 'sum': round(total, 1), 'all_passed': all(ok for *_, ok in rows)}
    if a.parallel:
        s, ok = run(['--n_workers', '2'])
        print(f"\nwhole suite as CI runs it (nbdev_test --n_workers 2): {s:.1f} s, {'passed' if ok else 'FAILED'}")
        result['suite_n_workers_2'] = round(s, 1)
    print()
    result_line(result)
    sys.exit(0 if result['all_passed'] else 1)

if __name__ == '__main__': main()
