"""Notebook test time: seconds per notebook under `nbdev_test` (quick mode, IN_TEST=1), one notebook at a time.

    python benchmarks/notebook_times.py            # every notebook in nbs/, sequentially (a few minutes)
    python benchmarks/notebook_times.py --parallel # also the whole suite as CI runs it (nbdev_test --n_workers 2)
    python benchmarks/notebook_times.py --ci       # only the two passes CI runs: full data, then offline with the sample

The target is that CI's two passes (with `VAE_TUTORIAL_DATA`, then offline with the bundled sample, each
`tools/nbdev_test_balanced.py`: two halves of equal recorded cost at once) stay under 5 minutes together on these
2-core machines. As in `.ci/run`, the offline pass leaves out the notebooks that read no data set
(`tools/data_free.py`), which the first pass already ran. Sequential times add up the
cost of each notebook alone; CI runs two at a time, so its wall time is shorter than the sum.
"""
import os, re, sys, time, argparse, subprocess
from common import ROOT, commit, header, machine, result_line, utc_now
TARGET_S = 300

def run(args, env=None, command=('nbdev_test',)):
    t = time.perf_counter()
    r = subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, env=env)
    ok = r.returncode == 0 and 'Tests Failed' not in r.stdout + r.stderr
    if not ok: print('\n'.join((r.stdout + r.stderr).splitlines()[-25:]), file=sys.stderr)   # what failed
    run.output = r.stdout + r.stderr
    return time.perf_counter() - t, ok

def ci_passes() -> dict:
    "Both of CI's passes, as `.ci/run` runs them: {pass: (seconds, passed, {notebook: seconds})}."
    offline = {k: v for k, v in os.environ.items() if k != 'VAE_TUTORIAL_DATA'} | {'VAE_TUTORIAL_OFFLINE': '1'}
    passes = ({'full data': None} if os.environ.get('VAE_TUTORIAL_DATA') else {}) | {'offline sample': offline}
    data_free = subprocess.run([sys.executable, str(ROOT / 'tools' / 'data_free.py')], capture_output=True, text=True).stdout.split()
    out = {}
    for name, env in passes.items():   # as .ci/run: two balanced halves at once; a notebook that reads no data set runs in the full-data pass only
        skip = data_free if env is not None and len(passes) == 2 else []
        s, ok = run([str(ROOT / 'tools' / 'nbdev_test_balanced.py'), '--skip', *skip], env=env, command=[sys.executable])
        per = {m[1]: int(m[2]) for m in re.finditer(r'^(\S+\.ipynb): (\d+) secs$', run.output, flags=re.M)}
        out[name] = (s, ok, per)
        print(f"  {name}: {s:.0f} s, {'passed' if ok else 'FAILED'}; slowest: "
              + ', '.join(f"{k} {v} s" for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:5]), flush=True)
    return out

def ci_main():
    "`--ci`: time CI's two passes and record them."
    checkout = commit()
    passes = ci_passes()
    total = sum(s for s, _, _ in passes.values())
    header("nbdev_test as CI runs it (s), vae_tutorial benchmarks/notebook_times.py --ci", date=utc_now(),
           machine=machine(load_at='the end'), commit=checkout)
    print(f"\n| pass | seconds | per notebook (as nbdev_test --timing reports them, two at a time) |\n|---|---:|---|")
    for name, (s, ok, per) in passes.items():
        print(f"| {name} | {s:.0f}{'' if ok else ' (FAILED)'} | {', '.join(f'{k} {v}' for k, v in sorted(per.items(), key=lambda kv: -kv[1]))} |")
    print(f"| **both** | **{total:.0f}** | target < {TARGET_S} s: {'met' if total < TARGET_S else 'NOT met'} |\n")
    result_line({'date': utc_now(), 'commit': checkout, 'ci_passes': {k: round(s, 1) for k, (s, _, _) in passes.items()},
                 'ci_total': round(total, 1), 'all_passed': all(ok for _, ok, _ in passes.values()),
                 'per_notebook_by_pass': {k: per for k, (_, _, per) in passes.items()}})
    sys.exit(0 if all(ok for _, ok, _ in passes.values()) else 1)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--parallel', action='store_true', help='also time the whole suite with --n_workers 2')
    p.add_argument('--ci', action='store_true', help="only CI's two passes: full data (if VAE_TUTORIAL_DATA is set), then offline")
    a = p.parse_args()
    if a.ci: return ci_main()
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
