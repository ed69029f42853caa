"""Run the package's VAE on the JAX backend and check it against TensorFlow.

    python benchmarks/jax_backend.py [--python PATH] [--images N] [--epochs E]

The VAE's training logic is written with `keras.ops` and `compute_loss`, so the same class should train with
plain `fit` on any Keras backend. This script proves it for JAX: a child process with `KERAS_BACKEND=jax`
fits a dense and a conv VAE on MNIST (numpy arrays, validation data, Keras' progress bar), evaluates, predicts,
saves a `.keras` file and reloads it. The parent process (TensorFlow, the default backend) then loads the
JAX-saved files and checks that they encode the same images to the same numbers, and trains the same models
itself for comparison. It needs `jax` importable by `--python` (default: this interpreter); without it the
script says so and exits with status 77.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np


def child(work: Path, epochs: int):
    "Runs under KERAS_BACKEND=jax: fit, evaluate, predict, save and reload each architecture."
    import keras
    from vae_tutorial.models import make_vae, save_vae, load_vae
    assert keras.backend.backend() == 'jax', keras.backend.backend()
    d = np.load(work / 'data.npz')
    x, xv = d['x'], d['xv']
    out = {'backend': keras.backend.backend(), 'keras': keras.__version__}
    import jax; out['jax'] = jax.__version__
    for arch in ('dense', 'conv'):
        keras.utils.set_random_seed(0)
        m = make_vae(arch, latent_dim=8, seed=0)
        m.compile(optimizer=keras.optimizers.Adam(1e-3))
        t0 = time.perf_counter()
        h = m.fit(x, epochs=epochs, batch_size=128, validation_data=(xv,), verbose=2)
        secs = time.perf_counter() - t0
        ev = m.evaluate(xv, verbose=0, return_dict=True)
        pred = m.predict(xv[:256], verbose=0)
        save_vae(m, work / f'{arch}.keras')
        again = load_vae(work / f'{arch}.keras')
        mean = m.encode(xv[:100])[0]
        np.save(work / f'{arch}_mean.npy', mean)
        out[arch] = dict(history=h.history, evaluate=ev, seconds=secs, predict_keys=sorted(pred),
                         predict_shape=list(pred['logits'].shape),
                         reload_max_diff=float(np.abs(again.encode(xv[:100])[0] - mean).max()),
                         sample_range=[float(again.sample(16, seed=0).min()), float(again.sample(16, seed=0).max())])
    (work / 'jax.json').write_text(json.dumps(out, default=float))


def parent(args):
    from vae_tutorial.backend import import_tensorflow
    import_tensorflow()
    import keras
    from vae_tutorial.data import load_mnist, binarize
    from vae_tutorial.models import make_vae, load_vae
    py = args.python or sys.executable
    probe = subprocess.run([py, '-c', 'import jax'], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"skipped: JAX is not importable by this Python ({Path(py).name}); `pip install jax` there (or pass --python) to run this check")
        sys.exit(77)
    mnist = load_mnist()
    x = binarize(mnist.train.x[:args.images], seed=0)
    xv = binarize(mnist.test.x[:1000], seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        np.savez(work / 'data.npz', x=x, xv=xv)
        env = {**os.environ, 'KERAS_BACKEND': 'jax', 'TF_CPP_MIN_LOG_LEVEL': '3'}
        r = subprocess.run([py, __file__, '--child', str(work), '--epochs', str(args.epochs)], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-4000:]); sys.exit(1)
        jx = json.loads((work / 'jax.json').read_text())
        print(f"JAX {jx['jax']} with Keras {jx['keras']} (backend {jx['backend']}) vs TensorFlow "
              f"{import_tensorflow().__version__}; {len(x):,} training images, {args.epochs} epochs, MNIST from {mnist.source}\n")
        print(f"{'arch':6s} {'backend':10s} {'train loss by epoch (nats/image)':40s} {'val loss':>9s} {'s/epoch':>8s}")
        ok = True
        for arch in ('dense', 'conv'):
            j = jx[arch]
            keras.utils.set_random_seed(0)
            m = make_vae(arch, latent_dim=8, seed=0)
            m.compile(optimizer=keras.optimizers.Adam(1e-3))
            t0 = time.perf_counter()
            h = m.fit(x, epochs=args.epochs, batch_size=128, validation_data=(xv,), verbose=0).history
            secs = time.perf_counter() - t0
            for name, hist, sec in (('jax', j['history'], j['seconds']), ('tensorflow', h, secs)):
                curve = ' '.join(f"{v:.1f}" for v in hist['loss'])
                print(f"{arch:6s} {name:10s} {curve:40s} {hist['val_loss'][-1]:9.1f} {sec / args.epochs:8.1f}")
            loaded = load_vae(work / f'{arch}.keras')                # saved under JAX, loaded under TensorFlow
            cross = float(np.abs(loaded.encode(xv[:100])[0] - np.load(work / f'{arch}_mean.npy')).max())
            checks = {
                'JAX loss decreased': j['history']['loss'][-1] < j['history']['loss'][0],
                'JAX evaluate is finite and below 543 nats (coin flips)': 0 < j['evaluate']['loss'] < 543,
                'JAX predict returns mean/log_var/z/logits': j['predict_keys'] == ['log_var', 'logits', 'mean', 'z'],
                f"JAX .keras reloads under JAX (max diff {j['reload_max_diff']:.1e})": j['reload_max_diff'] == 0,
                f"JAX .keras loads under TensorFlow, same encodings (max diff {cross:.1e})": cross < 1e-4,
                'JAX and TensorFlow final val loss within 5%': abs(j['history']['val_loss'][-1] - h['val_loss'][-1]) < 0.05 * h['val_loss'][-1],
                'JAX samples in [0, 1]': 0 <= j['sample_range'][0] and j['sample_range'][1] <= 1,
            }
            for k, v in checks.items():
                print(f"   {'PASS' if v else 'FAIL'} {arch}: {k}")
                ok &= v
        print('\nall checks passed' if ok else '\nSOME CHECKS FAILED')
        sys.exit(0 if ok else 1)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--python', help='an interpreter with jax installed (default: this one)')
    ap.add_argument('--images', type=int, default=6000, help='training images')
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--child', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: child(Path(a.child), a.epochs)
    else: parent(a)
