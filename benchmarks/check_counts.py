"""How often one `vae_tutorial_train` run checks each value: the checkers counted on the whole command-line path.

Runs the console script's entry point (`vae_tutorial.cli.train_main`, with `sys.argv` set) in this process on a small
real run (a dense VAE, one epoch, the first 256 MNIST images, into a temporary --out), with every public `check_*` of
`vae_tutorial.checks` and `vae_tutorial.data`, the network-size estimate, `memory_limit`, `TrainConfig.check`,
`is_binary` and `likelihood_for` wrapped by counters in every module namespace that holds them (and in the table of
`check_settings`, `checks.SETTINGS`). A value checked at the boundary and passed down already checked is counted once;
a count above 1 is a check repeated inside, or one checker called for several values (read which with a stack per call).

    python benchmarks/check_counts.py               # $VAE_TUTORIAL_DATA's MNIST, else the bundled sample

It prints one row per checker (calls), then the JSON line that ends every report.
"""
import os, sys, tempfile, functools, importlib, pkgutil, contextlib, io
from collections import Counter
from pathlib import Path
from common import commit, header, machine, result_line, utc_now

ARGS = ['--model', 'vae', '--arch', 'dense', '--latent_dim', '2', '--epochs', '1', '--limit', '256', '--batch_size', '64']
EXTRA = ('network_weights', '_weights', 'check_network_size', 'memory_limit', 'is_binary', 'likelihood_for')   # counted where they exist (_weights: the networks' size estimate)

VALUES = Counter()   # (checker, the value it was given) -> calls: above 1, the same value checked again

def _what(args, kwargs) -> str:
    "A short name for the value a checker was given: its first argument (an array by shape, dtype and sum), and a name argument if any."
    import numpy as np
    v = args[0] if args else next(iter(kwargs.values()), None)
    if hasattr(v, 'shape') and getattr(v, 'size', 0) > 16: v = f"array{tuple(v.shape)} {v.dtype} sum {float(np.asarray(v, np.float64).sum()):.6g}"
    names = [a for a in args[1:] if isinstance(a, str)] + [str(kwargs[k]) for k in ('name', 'what') if k in kwargs]
    return f"{str(v)[:60]}" + (f" ({names[0]})" if names else '')

def _modules():
    "Every module of the package, imported."
    import vae_tutorial
    names = [m.name for m in pkgutil.iter_modules(vae_tutorial.__path__, 'vae_tutorial.') if m.name not in ('vae_tutorial._modidx',)]
    return [importlib.import_module(n) for n in names]

def counted(calls: Counter):
    "Wrap the checkers in every module namespace (and `TrainConfig.check`); return the names counted."
    mods = _modules()
    checks, data, runs = (sys.modules[f'vae_tutorial.{n}'] for n in ('checks', 'data', 'runs'))
    targets = {}
    for m in (checks, data):
        for name, f in vars(m).items():
            if callable(f) and getattr(f, '__module__', None) == m.__name__ and not isinstance(f, type) and (name.startswith('check_') or name in EXTRA):
                targets[id(f)] = (name, f)
    for m in mods:
        for name in EXTRA:
            f = vars(m).get(name)
            if callable(f) and getattr(f, '__module__', None) == m.__name__ and not isinstance(f, type): targets[id(f)] = (name, f)
    wrappers = {}
    for key, (name, f) in targets.items():
        @functools.wraps(f)
        def w(*a, __f=f, __name=name, **k): calls[__name] += 1; VALUES[__name, _what(a, k)] += 1; return __f(*a, **k)
        wrappers[key] = w
    for m in mods:
        for attr, v in list(vars(m).items()):
            if id(v) in wrappers: setattr(m, attr, wrappers[id(v)])
    for name, (f, options) in list(getattr(checks, 'SETTINGS', {}).items()):   # `check_settings` calls the checkers its table holds
        checks.SETTINGS[name] = (wrappers.get(id(f), f), options)
    for cls_name, meth in (('TrainConfig', 'check'), ('TrainConfig', 'resolve')):
        cls = getattr(runs, cls_name, None); f = getattr(cls, meth, None) if cls else None
        if f is None: continue
        label = f'{cls_name}.{meth}'
        @functools.wraps(f)
        def w(self, *a, __f=f, __label=label, **k): calls[__label] += 1; return __f(self, *a, **k)
        setattr(cls, meth, w)
    return sorted({name for name, _ in targets.values()} | {f'TrainConfig.{m}' for m in ('check', 'resolve') if hasattr(runs.TrainConfig, m)})

def main():
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    calls = Counter()
    names = counted(calls)
    from vae_tutorial.cli import train_main
    out = Path(tempfile.mkdtemp(prefix='check_counts_'))/'run'
    argv = ['vae_tutorial_train', *ARGS, '--out', str(out)] + (['--offline'] if not os.environ.get('VAE_TUTORIAL_DATA') else [])
    header('Checks on one vae_tutorial_train run (calls of each checker, from the entry point to the written run)',
           date=utc_now(), commit=commit(), machine=machine(), command=' '.join(argv[:-2] + ['--out', 'DIR']),
           data='$VAE_TUTORIAL_DATA' if os.environ.get('VAE_TUTORIAL_DATA') else 'the bundled sample')
    sys.argv, log = argv, io.StringIO()
    with contextlib.redirect_stdout(log): train_main()
    assert (out/'model.keras').exists(), log.getvalue()[-2000:]
    print()
    print(f"{'checker':<28}{'calls':>7}")
    for name in sorted(names, key=lambda n: (-calls[n], n)):
        if calls[name]: print(f"{name:<28}{calls[name]:>7}")
    print(f"(checkers never called: {', '.join(n for n in names if not calls[n])})")
    again = {f"{c}: {v}": n for (c, v), n in VALUES.items() if n > 1 and c != 'memory_limit'}   # it checks no value: it reads the machine
    print(f"values checked more than once by the same checker: {len(again)}")
    for k, n in sorted(again.items()): print(f"  {n}× {k}")
    result_line({'benchmark': 'check_counts', 'date': utc_now(), 'commit': commit(), 'command': ' '.join(ARGS),
                 'calls': {n: calls[n] for n in names if calls[n]}, 'total': sum(calls.values()), 'checked_again': again})

if __name__ == '__main__': main()
