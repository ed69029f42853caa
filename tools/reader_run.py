"""Run the tutorial notebooks as a reader does: each one alone, in a fresh kernel of a runtime-only install.

    python tools/reader_run.py [--wheel DIST.whl] [--venv DIR] [--jobs 2] [--keep DIR] [--notebooks 01_intuition ...]

1. A virtual environment holding only the package's wheel and `ipykernel` (no nbdev, no dev extras, no checkout on
   the path): `--wheel` names a built wheel, else `python -m build --wheel` builds one from this checkout. `--venv DIR`
   keeps that environment in DIR (an existing one is reused: ipykernel is added and the wheel reinstalled).
2. Each notebook is copied alone into its own empty folder (no fixtures/, no images/, no ../benchmarks) and executed
   top to bottom with nbclient there, in a kernel that runs the runtime environment's python. The kernel gets this
   shell's environment as a reader's shell would give it: IN_TEST unset (full mode), no PYTHONPATH, the runtime
   environment first on PATH, an empty HOME of its own (no cached classifier, Keras data sets or matplotlib font
   cache), and VAE_TUTORIAL_* (VAE_TUTORIAL_DATA: the full data sets) passed through.
3. One line per notebook, `NAME: N s, ok` (with its slowest cells) or `NAME: N s, FAIL ...` with the error's last
   lines indented by `    | `; then a summary. Exit status 1 when a notebook failed or ran over --timeout (600 s).
"""
import argparse, asyncio, datetime, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ['index', '01_*', '02_*', '03_*', '04_*', '04a_*', '05_*', '06_*', '08_*', '09_*']   # the tutorial, in reading order
KERNEL = 'vae-tutorial-reader'
ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')

def sh(*cmd):
    "Run cmd quietly and return its output; if it fails, show the output's end and stop."
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode:
        sys.exit('\n'.join([f"reader_run: {' '.join(map(str, cmd))} failed (exit status {r.returncode}):",
                            *(r.stdout + r.stderr).splitlines()[-30:]]))
    return r.stdout

def notebook_paths(names):
    "nbs/ notebooks matching each name or glob (with or without .ipynb), or notebook files named by their path."
    paths = []
    for n in names:
        if n.endswith('.ipynb') and Path(n).is_file(): paths.append(Path(n).resolve()); continue
        n = n[:-6] if n.endswith('.ipynb') else n
        found = sorted(ROOT.glob(f'nbs/{n}.ipynb'))
        if not found: sys.exit(f"reader_run: no notebook nbs/{n}.ipynb; name one of {', '.join(p.stem for p in sorted(ROOT.glob('nbs/*.ipynb')))}")
        paths += [p for p in found if p not in paths]
    return paths

def runtime_env(venv, wheel, tmp):
    "Install the wheel and ipykernel into `venv` (created if missing); register its kernel; return the kernel's folder."
    py = venv/'bin'/'python'
    if not py.exists(): sh(sys.executable, '-m', 'venv', venv)
    pip = [py, '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    sh(*pip, f'{wheel}[export]', 'ipykernel')   # with the export extra, as 09's install cell asks for
    sh(*pip, '--force-reinstall', '--no-deps', wheel)   # a rebuilt wheel of the same version replaces the old one
    dev = sh(py, '-c', "import importlib.util as u; print(*[m for m in ('nbdev', 'execnb', 'nbconvert', 'jupyterlab') "
                       "if u.find_spec(m)])").split()
    if dev: sys.exit(f"reader_run: {venv} is not runtime-only: it has {', '.join(dev)}; pass another --venv")
    sh(py, '-m', 'ipykernel', 'install', '--prefix', tmp/'kernel', '--name', KERNEL)
    return tmp/'kernel'/'share'/'jupyter'

def kernel_environ(venv, home):
    "The environment a reader's kernel starts with: this one, less what CI, the dev venv or nbdev_test put there."
    env = {k: v for k, v in os.environ.items()
           if k not in ('IN_TEST', 'PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'JUPYTER_PATH', 'TF_CPP_MIN_LOG_LEVEL',
                        'MPLBACKEND', 'KERAS_HOME', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME')
           and not k.startswith(('PIP_', 'JPY_'))}
    dev_bin = str(Path(os.environ['VIRTUAL_ENV'])/'bin') if 'VIRTUAL_ENV' in os.environ else None
    path = [p for p in env.get('PATH', '/usr/bin:/bin').split(os.pathsep) if p != dev_bin and p != str(Path(sys.executable).parent)]
    env.update(PATH=os.pathsep.join([str(venv/'bin'), *path]), VIRTUAL_ENV=str(venv), HOME=str(home))
    return env

def cell_name(nb, i):
    "'cell I (its first line)': I counts every cell from 0."
    if i is None: return 'no cell (the kernel did not start)'
    lines = [l for l in nb.cells[i].source.splitlines() if l.strip() and not l.startswith('#|')]
    return f"cell {i} ({lines[0][:40] if lines else ''})"

def slowest(nb, n=3):
    "The notebook's n slowest cells that took a second or more, as 'cell I (its first line) S s'."
    def secs(c):
        t = c.get('metadata', {}).get('execution', {})
        try: return (datetime.datetime.fromisoformat(t['shell.execute_reply'].replace('Z', '+00:00'))
                     - datetime.datetime.fromisoformat(t['iopub.execute_input'].replace('Z', '+00:00'))).total_seconds()
        except (KeyError, ValueError): return 0.0
    cells = sorted(((secs(c), i) for i, c in enumerate(nb.cells) if c.cell_type == 'code'), reverse=True)
    return ', '.join(f"{cell_name(nb, i)} {s:.0f} s" for s, i in cells[:n] if s >= 1)

def describe(e, cell, log):   # cell: cell_name(...)
    "The error's name and cell, then the last lines of its traceback (or, if the kernel died, of the kernel's output)."
    from nbclient.exceptions import CellExecutionError
    if isinstance(e, CellExecutionError):   # its text: the cell's source between two lines of dashes, then the traceback
        lines = [l for l in ANSI.sub('', str(e)).split('-' * 18 + '\n')[-1].splitlines() if l.strip() and set(l) != {'-'}]
        return f"{e.ename} in {cell}\n" + '\n'.join('    | ' + l for l in lines[-12:])
    return f"{type(e).__name__}: {e} (in {cell}); the kernel's last output:\n" + '\n'.join(
        '    | ' + l for l in log.read_text().splitlines()[-12:])

async def run_one(path, args, tmp):
    "Execute one notebook alone in an empty folder; print its line; return (name, seconds, ok)."
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config
    work, home = tmp/'run'/path.stem, tmp/'home'/path.stem
    work.mkdir(parents=True); home.mkdir(parents=True)
    shutil.copy(path, work/path.name)
    nb = nbformat.read(work/path.name, as_version=4)
    at = [None]
    def on_cell(cell, cell_index, **kw): at[0] = cell_index
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=None, on_cell_execute=on_cell,   # the limit is per notebook
                            resources={'metadata': {'path': str(work)}},
                            config=Config(KernelManager={'transport': 'ipc', 'ip': str(tmp/'ipc'/path.stem)}))   # TCP ports can clash when kernels start together
    log = tmp/'logs'/f'{path.stem}.log'   # the kernel process's own stdout and stderr (a reader sees them in a terminal, if at all)
    t0, error = time.monotonic(), None
    try:
        with open(log, 'w') as f:
            await asyncio.wait_for(client.async_execute(env=kernel_environ(args.venv, home), stdout=f, stderr=f), args.timeout)
    except Exception as e:
        cell = cell_name(nb, at[0])
        error = describe(e, cell, log) if time.monotonic() - t0 < args.timeout else f"over {args.timeout} s: stopped in {cell}"
    secs = time.monotonic() - t0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True); nbformat.write(nb, args.keep/path.name)
    if error: print(f"{path.name}: {secs:.0f} s, FAIL: {error}", flush=True)
    else: print(f"{path.name}: {secs:.0f} s, ok" + (f" (slowest: {s})" if (s := slowest(nb)) else ''), flush=True)
    return path.name, secs, error is None

async def run_all(paths, args, tmp):
    sem = asyncio.Semaphore(args.jobs)
    async def limited(p):
        async with sem: return await run_one(p, args, tmp)
    return await asyncio.gather(*(limited(p) for p in paths))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--wheel', type=Path, help='the package wheel to install (default: build one from this checkout)')
    ap.add_argument('--venv', type=Path, help='keep the runtime environment here (reused if it exists)')
    ap.add_argument('--jobs', type=int, default=2, help='notebooks run at once (default 2)')
    ap.add_argument('--timeout', type=int, default=600, help='seconds allowed per notebook (default 600)')
    ap.add_argument('--keep', type=Path, help='write the executed notebooks here')
    ap.add_argument('--notebooks', nargs='+', default=NOTEBOOKS, metavar='NAME', help='names or globs in nbs/ (default: the tutorial)')
    args = ap.parse_args()
    paths = notebook_paths(args.notebooks)
    tmp = Path(tempfile.mkdtemp(prefix='reader_run.')); (tmp/'logs').mkdir(); (tmp/'ipc').mkdir()
    try:
        t0 = time.monotonic()
        if args.wheel is None:
            sh(sys.executable, '-m', 'build', '--wheel', '--outdir', tmp/'dist', ROOT)
            args.wheel = next((tmp/'dist').glob('*.whl'))
        args.venv = (args.venv or tmp/'venv').resolve()
        os.environ['JUPYTER_PATH'] = str(runtime_env(args.venv, args.wheel.resolve(), tmp))   # where nbclient finds the kernel
        print(f"runtime environment: {args.wheel.name} + ipykernel ({time.monotonic() - t0:.0f} s); "
              f"VAE_TUTORIAL_DATA={os.environ.get('VAE_TUTORIAL_DATA', '(unset: the package downloads the data sets)')}", flush=True)
        t0 = time.monotonic()
        results = asyncio.run(run_all(paths, args, tmp))
        wall = time.monotonic() - t0
    finally: shutil.rmtree(tmp, ignore_errors=True)
    bad = [n for n, _, ok in results if not ok]
    print(f"reader_run: {len(results) - len(bad)} ok, {len(bad)} failed{': ' + ', '.join(bad) if bad else ''}; "
          f"{wall:.0f} s with {args.jobs} at a time (notebooks: {sum(s for _, s, _ in results):.0f} s)")
    sys.exit(1 if bad else 0)

if __name__ == '__main__': main()
