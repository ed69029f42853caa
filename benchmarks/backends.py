"""Seconds per epoch of the package's VAE on the three Keras backends, side by side: TensorFlow, JAX and torch (CPU).

    python benchmarks/backends.py --python tensorflow=PY --python jax=PY --python torch=PY [--images 2048] [--epochs 3] [--threads N]

Each backend runs in a child process started by its own interpreter (PY: a Python whose environment has that backend;
default: this one for all three) with `KERAS_BACKEND` set. Each child trains a dense and a conv VAE (8-D latent, the
package's default networks, batch 128, dynamic binarization: what `train_vae` does) on the same MNIST images for a
few epochs, and times every epoch; the first epoch includes compiling, so the table shows the median of the others.
To see where a slow backend spends its time, each child also times one compiled forward pass (encode + decode) and
one training step on a resident batch, outside `fit`. A backend its interpreter cannot import is reported and skipped.
Ends with the JSON line of `common.py`.
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

BACKENDS = ('tensorflow', 'jax', 'torch')


def child(work: Path, epochs: int):
    "Under KERAS_BACKEND: train dense and conv, time each epoch, a forward pass and a training step."
    import numpy as np
    from vae_tutorial.backend import keras
    from vae_tutorial.models import make_vae
    from vae_tutorial.training import train_vae
    backend = keras.backend.backend()
    d = np.load(work / 'data.npz')
    x, xv = d['x'], d['xv']

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None): self.t = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None): self.times.append(time.perf_counter() - self.t)
    out = {'backend': backend, 'version': __import__(backend).__version__, 'keras': keras.__version__}
    for arch in ('dense', 'conv'):
        keras.utils.set_random_seed(0)
        m = make_vae(arch, latent_dim=8, seed=0)
        clock = Clock(); clock.times = []
        h = train_vae(m, x, xv, epochs=epochs, batch_size=128, verbose=0, callbacks=[clock]).history
        batch = (xv[:128] > 0.5).astype('float32')
        forward = lambda: keras.ops.convert_to_numpy(m(batch)['logits'])
        forward()
        t0 = time.perf_counter(); [forward() for _ in range(5)]; fwd = (time.perf_counter() - t0) / 5
        m.train_on_batch(batch)   # the compiled step (built by fit), one resident batch
        t0 = time.perf_counter(); [m.train_on_batch(batch) for _ in range(5)]; step = (time.perf_counter() - t0) / 5
        if backend == 'jax' and arch == 'conv': out['jax_conv_parts_ms'] = jax_parts(m, batch)
        out[arch] = {'epoch_seconds': clock.times, 'loss': h['loss'], 'val_loss': h['val_loss'],
                     'forward_ms': 1000 * fwd, 'train_step_ms': 1000 * step}
    (work / f'{backend}.json').write_text(json.dumps(out))


def jax_parts(m, x):
    "JAX only: milliseconds of the encoder's and the decoder's forward pass, and of each one's gradient for its weights."
    import jax, jax.numpy as jnp, numpy as np
    z = np.random.default_rng(1).standard_normal((len(x), m.latent_dim)).astype('float32')
    def timed(f, *args):
        jax.block_until_ready(f(*args)); t0 = time.perf_counter()
        for _ in range(3): jax.block_until_ready(f(*args))
        return round(1000 * (time.perf_counter() - t0) / 3, 1)
    out = {}
    for name, net, inp in (('encoder', m.encoder, x), ('decoder', m.decoder, z)):
        tv, ntv = [v.value for v in net.trainable_variables], [v.value for v in net.non_trainable_variables]
        total = lambda tv, ntv, inp: sum(jnp.sum(o) for o in jax.tree_util.tree_leaves(net.stateless_call(tv, ntv, inp)[0]))
        out[f'{name} forward'] = timed(jax.jit(total), tv, ntv, inp)
        out[f'{name} weight gradient'] = timed(jax.jit(jax.grad(total)), tv, ntv, inp)
    return out


def threads_env(n):
    "Environment variables that hold each backend to `n` threads for the work inside an op (None: each backend's default)."
    if not n: return {}
    env = {'OMP_NUM_THREADS': str(n), 'TF_NUM_INTRAOP_THREADS': str(n), 'TF_NUM_INTEROP_THREADS': '1'}   # torch reads OMP_NUM_THREADS
    if n == 1: env['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') + ' --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1').strip()
    return env


def parent(a):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import header, commit, utc_now, machine, result_line
    import numpy as np
    from vae_tutorial.data import load_mnist, binarize
    pythons = dict(p.split('=', 1) for p in a.python)
    mnist = load_mnist()
    x, xv = mnist.train.x[:a.images], mnist.test.x[:1000]
    header('Seconds per epoch of the VAE on three Keras backends (CPU)', date=utc_now(), commit=commit(), machine=machine('start'),
           data=f"{len(x):,} MNIST training images ({mnist.source}), validated on 1,000 test images; batch 128; {a.epochs} epochs",
           threads=f"{a.threads} per op (OMP_NUM_THREADS, TF_NUM_INTRAOP_THREADS, XLA_FLAGS)" if a.threads else "each backend's default")
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        np.savez(work / 'data.npz', x=x, xv=binarize(xv, seed=1))
        for b in BACKENDS:
            py = pythons.get(b, sys.executable)
            env = {**os.environ, 'KERAS_BACKEND': b, 'TF_CPP_MIN_LOG_LEVEL': '3', **threads_env(a.threads)}
            probe = subprocess.run([py, '-c', f'import {b}'], capture_output=True, text=True, env=env)
            if probe.returncode != 0:
                print(f"{b:10s} skipped: its interpreter cannot import {b} (pass --python {b}=PATH)"); continue
            t0 = time.perf_counter()
            r = subprocess.run([py, __file__, '--child', str(work), '--epochs', str(a.epochs)], env=env, capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{b:10s} FAILED:\n{r.stderr[-3000:]}"); continue
            runs[b] = json.loads((work / f'{b}.json').read_text())
            runs[b]['wall_seconds'] = time.perf_counter() - t0
    print(f"\nseconds per epoch (median of epochs 2-{a.epochs}; the first, which compiles, in brackets)\n")
    print(f"{'backend':24s} {'dense':>14s} {'conv':>14s}   {'conv forward, ms':>16s} {'conv train step, ms':>20s}   final val loss dense / conv")
    for b, r in runs.items():
        cell = lambda arch: f"{np.median(r[arch]['epoch_seconds'][1:]):6.2f} ({r[arch]['epoch_seconds'][0]:5.1f})"
        print(f"{b + ' ' + r['version']:24s} {cell('dense'):>14s} {cell('conv'):>14s}   {r['conv']['forward_ms']:16.1f} "
              f"{r['conv']['train_step_ms']:20.1f}   {r['dense']['val_loss'][-1]:.1f} / {r['conv']['val_loss'][-1]:.1f}")
    if 'jax' in runs and 'jax_conv_parts_ms' in runs['jax']:
        print("\nJAX, conv VAE, one batch of 128 outside fit (ms): "
              + ', '.join(f"{k} {v:,.1f}" for k, v in runs['jax']['jax_conv_parts_ms'].items()))
    print(f"\nmachine at the end: {machine('the end')}")
    result_line({'benchmark': 'backends', 'date': utc_now(), 'commit': commit(), 'images': len(x), 'epochs': a.epochs, 'threads': a.threads,
                 'keras': next(iter(runs.values()))['keras'] if runs else None,
                 'seconds_per_epoch': {b: {arch: round(float(np.median(r[arch]['epoch_seconds'][1:])), 3) for arch in ('dense', 'conv')}
                                       for b, r in runs.items()},
                 'first_epoch': {b: {arch: round(r[arch]['epoch_seconds'][0], 2) for arch in ('dense', 'conv')} for b, r in runs.items()},
                 'conv_forward_ms': {b: round(r['conv']['forward_ms'], 1) for b, r in runs.items()},
                 'conv_train_step_ms': {b: round(r['conv']['train_step_ms'], 1) for b, r in runs.items()},
                 'val_loss': {b: {arch: round(r[arch]['val_loss'][-1], 2) for arch in ('dense', 'conv')} for b, r in runs.items()},
                 'jax_conv_parts_ms': runs.get('jax', {}).get('jax_conv_parts_ms'),
                 'versions': {b: r['version'] for b, r in runs.items()}})


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--python', action='append', default=[], help='BACKEND=PATH: the interpreter for that backend (repeatable)')
    ap.add_argument('--images', type=int, default=2048, help='training images')
    ap.add_argument('--epochs', type=int, default=3)
    ap.add_argument('--threads', type=int, help="threads per op for every backend (default: each backend's own choice); "
                                                 "torch's default slows down badly when other work shares the cores")
    ap.add_argument('--child', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child: child(Path(a.child), a.epochs)
    else: parent(a)
