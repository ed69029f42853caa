"""Notebook test time as CI runs it: `nbdev_test` (quick mode, IN_TEST=1) in `.ci/run`'s two passes, timed.

    python benchmarks/notebook_times.py

The passes: with the full data (when `VAE_TUTORIAL_DATA` is set), then offline with the bundled sample, each as
`tools/nbdev_test_balanced.py` runs it (two halves of equal recorded cost at once); the offline pass leaves out the
notebooks that read no data set (`tools/data_free.py`). The target: both under 5 minutes together on a 2-core
machine. The recorded run (`results/notebook_times.txt`) is what `tools/nbdev_test_balanced.py` splits by.
"""
import os, re, sys, time, subprocess
from common import ROOT, commit, header, machine, result_line, utc_now
TARGET_S = 300

def run(args, env=None):
    "Run this Python with `args`: (seconds, passed); its output in `run.output`."
    t = time.perf_counter()
    r = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env)
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
        s, ok = run([str(ROOT / 'tools' / 'nbdev_test_balanced.py'), '--skip', *skip], env=env)
        per = {m[1]: int(m[2]) for m in re.finditer(r'^(\S+\.ipynb): (\d+) secs$', run.output, flags=re.M)}
        out[name] = (s, ok, per)
        print(f"  {name}: {s:.0f} s, {'passed' if ok else 'FAILED'}; slowest: "
              + ', '.join(f"{k} {v} s" for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:5]), flush=True)
    return out

def main():
    "Time CI's two passes and record them."
    checkout = commit()
    passes = ci_passes()
    total = sum(s for s, _, _ in passes.values())
    header("nbdev_test as CI runs it (s), vae_tutorial benchmarks/notebook_times.py", date=utc_now(),
           machine=machine(load_at='the end'), commit=checkout)
    print("\n| pass | seconds | per notebook (as nbdev_test --timing reports them, two at a time) |\n|---|---:|---|")
    for name, (s, ok, per) in passes.items():
        print(f"| {name} | {s:.0f}{'' if ok else ' (FAILED)'} | {', '.join(f'{k} {v}' for k, v in sorted(per.items(), key=lambda kv: -kv[1]))} |")
    print(f"| **both** | **{total:.0f}** | target < {TARGET_S} s: {'met' if total < TARGET_S else 'NOT met'} |\n")
    result_line({'date': utc_now(), 'commit': checkout, 'ci_passes': {k: round(s, 1) for k, (s, _, _) in passes.items()},
                 'ci_total': round(total, 1), 'all_passed': all(ok for _, ok, _ in passes.values()),
                 'per_notebook_by_pass': {k: per for k, (_, _, per) in passes.items()}})
    sys.exit(0 if all(ok for _, ok, _ in passes.values()) else 1)

if __name__ == '__main__': main()
