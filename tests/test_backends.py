"""The model family on whichever Keras backend `KERAS_BACKEND` names (tensorflow, jax or torch), and across backends.

    KERAS_BACKEND=jax python tests/test_backends.py [--save DIR] [--load DIR] [--cross_only] [--json FILE]

One PASS/FAIL line per check; exit status 0 when all pass. On the backend it runs on: an unknown backend name and a
missing backend package give one line (library and command line), the TensorFlow-only parts say so in one line where
TensorFlow is not installed, and VAE, CVAE and IWAE (dense and conv, the three likelihoods, the mixture prior, free
bits with KL warm-up, the pixel decoder) train with `train_vae`, save and load with the same encodings, generate and
give finite importance-weighted log-likelihoods. It prints the seconds per epoch of a dense and a conv VAE
(a benchmark line, not a timed check: benchmarks/backends.py times them properly).

--save DIR writes some trained models, their inputs and their outputs into DIR/<backend>/; --load DIR loads every
other backend's folder in DIR and checks that this backend computes the same outputs from the same files, within
`TOLERANCE` (measured: benchmarks/results/backends_cross.txt).
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, tempfile, time, warnings
from pathlib import Path

# max |difference| between backends on the same .keras file and the same inputs (float32 on a CPU); the largest
# measured difference (benchmarks/results/backends_cross.txt: at most 1.4e-6, 2.1e-7 and 4.3e-4) was well below these
TOLERANCE = {'encoder mean': 1e-5, 'encoder log_var': 1e-5, 'decoded pixel means': 1e-5,
             'log-likelihood (nats)': 5e-3}
CROSS = ('vae_dense', 'vae_conv', 'cvae_dense', 'iwae_dense', 'vae_mixture')   # the models saved for --load

failed = []


def check(ok, what):
    from vae_tutorial.backend import check_backend
    print(f"{'PASS' if ok else 'FAIL'}  {check_backend()}: {what}", flush=True)
    if not ok: failed.append(what)
    return ok


def one_line(fn, *contains):
    "The error `fn` raises is one line that holds every string of `contains`."
    try: fn()
    except Exception as e:
        msg = str(e)
        return '\n' not in msg and all(c in msg for c in contains), msg
    return False, 'no error'


def bad_input():
    "Unknown backend, missing package, TensorFlow-only parts: one line each."
    from vae_tutorial.backend import check_backend, installed_backends, BACKENDS
    ok, msg = one_line(lambda: check_backend('theano'), "KERAS_BACKEND='theano'", 'tensorflow, jax or torch')
    check(ok, f"an unknown backend name is one line: {msg}")
    for b in BACKENDS:
        if b in installed_backends(): continue
        ok, msg = one_line(lambda: check_backend(b), f'{b} is not installed', BACKENDS[b])
        check(ok, f"a missing backend package is one line: {msg}")
    prog = "import sys; from vae_tutorial.cli import generate_main; sys.argv = ['vae_tutorial_generate']; generate_main()"
    for name in ('theano', *[b for b in BACKENDS if b not in installed_backends()]):
        r = subprocess.run([sys.executable, '-c', prog], capture_output=True, text=True, env={**os.environ, 'KERAS_BACKEND': name})
        check(r.returncode == 2 and r.stderr.count('\n') == 1 and r.stderr.startswith('vae_tutorial_generate: error: '),
              f"the command line with KERAS_BACKEND={name}: status {r.returncode}, {r.stderr.count(chr(10))} line")
    if 'tensorflow' not in installed_backends():
        import numpy as np
        from vae_tutorial.data import make_dataset
        ok, msg = one_line(lambda: make_dataset(np.zeros((4, 28, 28, 1), 'float32')), 'pip install tensorflow')
        check(ok, f"make_dataset (tf.data) without TensorFlow is one line: {msg}")
    if check_backend() == 'torch':
        import numpy as np
        from vae_tutorial.training import train_vae
        from vae_tutorial.models import make_vae
        ok, msg = one_line(lambda: train_vae(make_vae('dense', 2, hidden=(8,)), np.zeros((4, 28, 28, 1), 'float32'),
                                             epochs=1, verbose=0, distribute=True),
                           'distribute')
        check(ok, f"train_vae(distribute=True) here is one line: {msg}")


def family(x, y, xv, yv, save_to=None):
    "Each model of the family: train_vae, save/load, generate, IW log-likelihood."
    import numpy as np
    from vae_tutorial.backend import keras
    from vae_tutorial.models import make_vae, make_cvae, make_iwae, save_vae, load_vae
    from vae_tutorial.training import train_vae
    from vae_tutorial.evaluate import iw_log_likelihood
    from vae_tutorial.data import binarize
    cases = {
        'vae_dense': lambda: make_vae('dense', 4, hidden=(64,), seed=0),
        'vae_conv': lambda: make_vae('conv', 4, seed=0),
        'vae_dense_gaussian': lambda: make_vae('dense', 4, hidden=(64,), likelihood='gaussian', seed=0),
        'vae_dense_continuous_bernoulli': lambda: make_vae('dense', 4, hidden=(64,), likelihood='continuous_bernoulli', seed=0),
        'vae_mixture': lambda: make_vae('dense', 4, hidden=(64,), prior='mixture', seed=0),
        'vae_free_bits_warmup': lambda: make_vae('dense', 4, hidden=(64,), free_bits=0.5, kl_warmup=2, seed=0),
        'vae_pixel': lambda: make_vae('dense', 4, hidden=(32,), pixel=True, free_bits=0.5, seed=0),
        'cvae_dense': lambda: make_cvae('dense', 4, hidden=(64,), prior='learned', seed=0),
        'cvae_conv': lambda: make_cvae('conv', 4, seed=0),
        'iwae_dense': lambda: make_iwae('dense', 4, k=5, hidden=(64,), seed=0),
    }
    xb = binarize(xv[:32], seed=1)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in cases.items():
            t0 = time.perf_counter()
            keras.utils.set_random_seed(0)
            m = make()
            lab = (y, yv) if m.conditional else (None, None)
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                h = train_vae(m, x, xv, epochs=2, batch_size=128, verbose=0, y=lab[0], y_val=lab[1]).history
            loss = h['loss']
            ok_train = bool(np.isfinite(loss).all() and np.isfinite(h['val_loss']).all())
            path = save_vae(m, Path(tmp) / f'{name}.keras')
            again = load_vae(path)
            yy = yv[:32] if m.conditional else None
            mean = m.encode(xb, yy)[0]
            reload = float(np.abs(again.encode(xb, yy)[0] - mean).max())
            drawn = again.generate(3, n=4, seed=0) if m.conditional else again.sample(4, seed=0)
            data = xb if m.pixel_likelihood.binary else xv[:32]
            ll = iw_log_likelihood(again, data[:8], None if yy is None else yy[:8], k=16, seed=0)
            ok = (ok_train and reload < 1e-6 and drawn.shape == (4, *m.image_shape) and 0 <= drawn.min() and drawn.max() <= 1
                  and np.isfinite(ll).all())
            check(ok, f"{name}: train_vae 2 epochs (loss {loss[0]:.1f} → {loss[-1]:.1f}), reload max diff {reload:.0e}, "
                      f"{'generate' if m.conditional else 'sample'} {drawn.shape[0]} in [0, 1], IW log-likelihood "
                      f"{float(ll.mean()):.1f} ({time.perf_counter() - t0:.1f} s)")
            if save_to and name in CROSS:
                save_vae(m, Path(save_to) / f'{name}.keras')
                out[name] = outputs(again, xb, yy, data)
    if save_to:
        np.savez(Path(save_to) / 'inputs.npz', x=xb, xv=xv[:32], y=yv[:32], z=_codes())
        np.savez(Path(save_to) / 'outputs.npz', **{f'{n}|{k}': v for n, d in out.items() for k, v in d.items()})


def _codes():
    import numpy as np
    return np.random.default_rng(5).standard_normal((16, 4)).astype('float32')


def outputs(m, xb, y, data):
    "What the cross-backend check compares: encodings, decoded means of fixed codes, IW log-likelihoods (fixed noise)."
    import numpy as np
    from vae_tutorial.evaluate import iw_log_likelihood
    mean, log_var = m.encode(xb, y)
    z = _codes()
    return {'encoder mean': mean, 'encoder log_var': log_var,
            'decoded pixel means': m.decode(z, None if y is None else np.arange(len(z)) % m.num_classes),
            'log-likelihood (nats)': iw_log_likelihood(m, data[:8], None if y is None else y[:8], k=16, seed=0)}


def cross(folder):
    "Load each other backend's files; the same outputs within TOLERANCE. Returns {(from, to): {quantity: max diff}}."
    import numpy as np
    from vae_tutorial.backend import keras
    from vae_tutorial.models import load_vae
    here, diffs = keras.backend.backend(), {}
    for src in sorted(p for p in Path(folder).iterdir() if p.is_dir() and p.name != here and (p / 'outputs.npz').exists()):
        inp, ref = np.load(src / 'inputs.npz'), np.load(src / 'outputs.npz')
        worst = {}
        for name in CROSS:
            m = load_vae(src / f'{name}.keras')
            y = inp['y'] if m.conditional else None
            mine = outputs(m, inp['x'], y, inp['x'] if m.pixel_likelihood.binary else inp['xv'])
            for k, v in mine.items():
                d = float(np.abs(np.asarray(v, np.float64) - ref[f'{name}|{k}']).max())
                worst[k] = max(worst.get(k, 0.0), d)
        diffs[(src.name, here)] = worst
        check(all(worst[k] <= TOLERANCE[k] for k in worst),
              f"the {len(CROSS)} models saved under {src.name} load here with the same outputs: "
              + ', '.join(f"{k} max |Δ| {v:.1e} (≤ {TOLERANCE[k]:.0e})" for k, v in worst.items()))
    return diffs


def seconds_per_epoch(x, epochs=3):
    "Seconds per epoch of a dense and a conv VAE (8-D latent, batch 128), after the first epoch (which compiles)."
    import numpy as np
    from vae_tutorial.backend import keras
    from vae_tutorial.models import make_vae
    from vae_tutorial.training import train_vae

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None): self.t = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None): self.times.append(time.perf_counter() - self.t)
    res = {}
    for arch in ('dense', 'conv'):
        keras.utils.set_random_seed(0)
        clock = Clock(); clock.times = []
        train_vae(make_vae(arch, 8, seed=0), x, epochs=epochs, batch_size=128, verbose=0, callbacks=[clock])
        res[arch] = {'first': clock.times[0], 'later': float(np.median(clock.times[1:]))}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--save', help='write trained models and their outputs into SAVE/<backend>/')
    ap.add_argument('--load', help='check the files other backends wrote into LOAD/<backend>/')
    ap.add_argument('--json', help='write the seconds per epoch and the cross-backend differences to this file')
    ap.add_argument('--images', type=int, default=512, help='images per epoch of the timing (the family trains on 256)')
    ap.add_argument('--cross_only', action='store_true', help='only the --load check (and the bad-input lines)')
    a = ap.parse_args()
    from vae_tutorial.backend import check_backend, installed_backends, BackendError
    try: backend = check_backend()
    except BackendError as e: print(f"test_backends: {e}"); sys.exit(2)
    import numpy as np
    from vae_tutorial.backend import keras, import_tensorflow
    from vae_tutorial.data import load_mnist
    if backend == 'tensorflow': import_tensorflow().get_logger().setLevel('ERROR')   # its retracing notes: many small models here
    t0 = time.perf_counter()
    versions = {'keras': keras.__version__, backend: __import__(backend).__version__}
    print(f"backend {backend} ({', '.join(f'{k} {v}' for k, v in versions.items())}); "
          f"installed backends: {', '.join(installed_backends())}", flush=True)
    bad_input()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        d = load_mnist(download=False)
    reps = 1 + a.images // len(d.train.x)
    x = np.concatenate([d.train.x] * reps)[:a.images]; y = np.concatenate([d.train.y] * reps)[:a.images]
    xv, yv = d.test.x[:256], d.test.y[:256]
    save = None
    if a.save:
        save = Path(a.save) / backend; save.mkdir(parents=True, exist_ok=True)
    if not a.cross_only: family(x[:256], y[:256], xv, yv, save)
    diffs = cross(a.load) if a.load else {}
    spe = {} if a.cross_only else seconds_per_epoch(x)
    if spe: print(f"seconds per epoch on {backend} ({len(x)} images, batch 128; the first epoch includes compiling): "
          + ', '.join(f"{arch} {s['later']:.2f} (first {s['first']:.1f})" for arch, s in spe.items()))
    if a.json:
        Path(a.json).write_text(json.dumps({'backend': backend, 'versions': versions, 'seconds_per_epoch': spe,
                                            'cross': {f'{s}->{t}': v for (s, t), v in diffs.items()},
                                            'seconds': time.perf_counter() - t0}, indent=1))
    print(f"{backend}: {'all checks passed' if not failed else f'{len(failed)} FAILED'} in {time.perf_counter() - t0:.0f} s")
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
