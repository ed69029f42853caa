"""How long each command takes to refuse a bad argument, or to print --help: the start of every console script.

A mistake (a wrong path, a size too small, a label the model does not have) should end in one line within a second,
not after TensorFlow's start of several seconds. Each case runs the console script's entry point in a fresh Python
process, as the installed script does, and the wall time of the whole process is measured. The cases are run
interleaved, `--repeats` rounds, and the median is reported; `--before DIR` times another checkout (e.g. a worktree of
the commit before a change) in the same rounds, so that both see the same load.

    python benchmarks/cli_start.py                                      # this checkout
    python benchmarks/cli_start.py --before /path/to/older/checkout     # and an older one, interleaved

Each error case must exit with status 2 and end with its error line on stderr, each --help with status 0; a case that does not is
reported as such. It prints one row per case, then the JSON line that ends every report.
"""
import os, sys, time, argparse, statistics, subprocess, tempfile, configparser
from pathlib import Path
from common import ROOT, commit, header, machine, result_line, utc_now

def entry_points(root: Path) -> dict:
    "{'train': ('vae_tutorial.cli', 'train_main'), ...}: the console scripts a checkout's settings.ini names."
    c = configparser.ConfigParser(); c.read(root/'settings.ini')
    pairs = (s.split('=') for s in c['DEFAULT']['console_scripts'].split())
    return {name.removeprefix('vae_tutorial_'): tuple(target.split(':')) for name, target in pairs}

def cases(work: Path) -> list:
    "(name, command, arguments, exit status expected); files named relative to `work`."
    return [('train --image_size 7', 'train', ['--image_size', '7', '--out', str(work/'run')], 2),
            ('generate --model missing.keras', 'generate', ['--model', str(work/'missing.keras'), '--out', str(work/'g.png')], 2),
            ('generate --label nosuch (a real CVAE)', 'generate', ['--model', str(work/'cvae.keras'), '--label', 'nosuch', '--out', str(work/'g.png')], 2),
            ('demo --bogus (an unknown flag)', 'demo', ['--bogus'], 2),
            ('complete, neither --quadrants nor --mask', 'complete', [str(work/'digit.png'), '--out', str(work/'c.png')], 2),
            ('train --help', 'train', ['--help'], 0),
            ('generate --help', 'generate', ['--help'], 0),
            ('demo --help', 'demo', ['--help'], 0),
            ('complete --help', 'complete', ['--help'], 0)]

def run_once(root: Path, cmd: str, args: list, work: Path) -> tuple:
    "(seconds, exit status, stderr) of one console script in a fresh process importing the package from `root`."
    module, func = entry_points(root)[cmd]
    code = f"import sys; sys.argv[0] = 'vae_tutorial_{cmd}'; from {module} import {func}; sys.exit({func}())"
    env = {**os.environ, 'PYTHONPATH': str(root), 'TF_CPP_MIN_LOG_LEVEL': '3', 'VAE_TUTORIAL_OFFLINE': '1'}
    t = time.perf_counter()
    p = subprocess.run([sys.executable, '-c', code, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    return time.perf_counter() - t, p.returncode, p.stderr.strip()

def short_commit(root: Path) -> str:
    "The commit a checkout has checked out (its path would name this machine's folders)."
    p = subprocess.run(['git', '-C', str(root), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True)
    return p.stdout.strip() or 'unknown'

def make_inputs(work: Path):
    "A small CVAE saved as cvae.keras (three named classes), and a 28×28 digit.png."
    from PIL import Image
    Image.new('L', (28, 28), 0).save(work/'digit.png')
    code = ("from vae_tutorial.models import make_cvae, save_vae; import sys; "
            "save_vae(make_cvae('dense', latent_dim=2, class_names=('blue', 'green', 'red')), sys.argv[1])")
    subprocess.run([sys.executable, '-c', code, str(work/'cvae.keras')], check=True, env={**os.environ, 'PYTHONPATH': str(ROOT), 'TF_CPP_MIN_LOG_LEVEL': '3'})

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=5, help='rounds over all cases (the median is reported)')
    ap.add_argument('--before', default=None, help='another checkout to time in the same rounds (e.g. the commit before a change)')
    a = ap.parse_args()
    roots = {'after': ROOT} | ({'before': Path(a.before).resolve()} if a.before else {})
    header('Start of each console script: a bad argument refused, or --help (seconds, median of fresh processes)',
           date=utc_now(), commit=commit(), machine=machine('start'), python=sys.version.split()[0],
           checkouts=', '.join(f"{k} {short_commit(v)}" for k, v in roots.items()), repeats=a.repeats)
    work = Path(tempfile.mkdtemp(prefix='cli_start_'))
    make_inputs(work)
    times = {k: {name: [] for name, *_ in cases(work)} for k in roots}
    problems = {}
    for _ in range(a.repeats):
        for name, cmd, args, status in cases(work):
            for k, root in roots.items():
                s, rc, err = run_once(root, cmd, args, work)
                times[k][name].append(s)
                if rc != status or (status and 'error' not in (err.splitlines() or [''])[-1]):   # argparse's usage lines come before its error
                    problems[f'{k}: {name}'] = f"exit status {rc}, stderr {err[-200:]!r}"
    med = {k: {n: round(statistics.median(v), 2) for n, v in t.items()} for k, t in times.items()}
    print()
    print(f"{'case':<44}" + ''.join(f"{k:>9}" for k in roots) + ('   after/before' if 'before' in roots else ''))
    for name, *_ in cases(work):
        row = f"{name:<44}" + ''.join(f"{med[k][name]:>9.2f}" for k in roots)
        if 'before' in roots: row += f"{med['after'][name] / med['before'][name]:>14.2f}×"
        print(row)
    for k, why in problems.items(): print(f"NOT AS EXPECTED  {k}: {why}")
    print(f"(wall seconds of the whole process, median of {a.repeats}; {machine('the end')})")
    result_line({'benchmark': 'cli_start', 'date': utc_now(), 'commit': commit(), 'repeats': a.repeats,
                 'seconds': med['after'], **({'before': med['before']} if 'before' in med else {}), 'problems': problems})

if __name__ == '__main__': main()
