"""Data-parallel training on 2 logical CPU devices gives what 1 device gives: `python tests/test_distribute.py`
(TensorFlow: MirroredStrategy), `KERAS_BACKEND=jax python tests/test_distribute.py` (keras.distribution.DataParallel).

The checks run in a child process started with `VAE_TUTORIAL_CPU_DEVICES=2`, since a backend's devices can only be
split before it starts them. Exit status 0 when every check passes; one line per check either way."""
from __future__ import annotations
import contextlib, io, os, subprocess, sys, tempfile, time
from pathlib import Path

DEVICES = 2
SGD_TOLERANCE = 1e-3     # relative difference of one SGD step's weight change, 2 replicas vs 1 device (no division: 1.0)
CURVE_TOLERANCE = 0.02   # relative difference of each epoch's mean training loss (the replicas draw their own noise)


def child():
    import numpy as np
    from vae_tutorial.backend import keras, replicas_in_sync
    from vae_tutorial.models import make_vae, make_cvae, save_vae, load_vae
    from vae_tutorial.training import train_vae, data_parallel
    from vae_tutorial.data import load_mnist, binarize
    from vae_tutorial.evaluate import evaluate_nll
    failed = []
    def check(ok, what):
        print(f"{'PASS' if ok else 'FAIL'}  {keras.backend.backend()}: {what}", flush=True)
        if not ok: failed.append(what)

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        d = load_mnist(download=False)
    x = np.concatenate([d.train.x] * (1 + 1024 // len(d.train.x)))[:1024]
    x_bits = binarize(x[:128], seed=1)
    engine = data_parallel(True)
    check(engine.count == DEVICES, f"{engine.engine} sees {engine.count} devices ({DEVICES} asked)")

    # 1. the gradient: one SGD step with the noise switched off (log_var = -40) moves the weights as one device does
    def one_step(distribute):
        keras.utils.set_random_seed(0)
        m = make_vae('dense', 2, hidden=(32,), seed=0)
        head = m.encoder.get_layer('log_var')
        head.set_weights([np.zeros_like(w) for w in head.get_weights()[:1]] + [np.full_like(head.get_weights()[1], -40.0)])
        m.compile(optimizer=keras.optimizers.SGD(0.01))
        before = [w.copy() for w in m.get_weights()]
        train_vae(m, x_bits, epochs=1, batch_size=128, binarize_data=False, distribute=distribute, verbose=0)
        return np.concatenate([(a - b).ravel() for a, b in zip(m.get_weights(), before)])
    one, two = one_step(False), one_step(True)
    rel = float(np.linalg.norm(two - one) / np.linalg.norm(one))
    check(rel < SGD_TOLERANCE, f"one SGD step on {DEVICES} replicas = one device: relative difference {rel:.1e} "
          f"(< {SGD_TOLERANCE:g}; step size ratio {np.linalg.norm(two) / np.linalg.norm(one):.4f})")
    if keras.backend.backend() == 'tensorflow':   # the check can fail: without the division the step is N times too large
        import vae_tutorial.training as training
        training.loss_per_replica, saved = (lambda model: model), training.loss_per_replica
        try: wrong = one_step(True)
        finally: training.loss_per_replica = saved
        ratio = float(np.linalg.norm(wrong) / np.linalg.norm(one))
        check(abs(ratio - DEVICES) < 1e-2, f"without the engine's division (loss_per_replica) the step is {ratio:.4f}× one device's (the check above would fail)")

    # 2. the loss curve: the same seed and global batch, 1 device against all of them
    def curve(distribute, **kw):
        keras.utils.set_random_seed(0)
        m = make_vae('dense', 4, hidden=(64,), seed=0)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            h = train_vae(m, x, epochs=2, batch_size=128, seed=0, distribute=distribute, verbose=2 if distribute else 0, **kw)
        return m, h, out.getvalue()
    _, h1, _ = curve(False)
    m2, h2, log = curve(True)
    diffs = [abs(a - b) / abs(a) for a, b in zip(h1.history['loss'], h2.history['loss'])]
    check(max(diffs) < CURVE_TOLERANCE, f"loss curve on {DEVICES} replicas within {CURVE_TOLERANCE:.0%} of one device's: "
          f"{np.round(h1.history['loss'], 2).tolist()} vs {np.round(h2.history['loss'], 2).tolist()} (max {max(diffs):.2%})")
    check(h2.replicas == DEVICES and f"Training on {DEVICES} replicas" in log, f"the log says how many replicas: {log.splitlines()[0]!r}")

    # 3. the model trained on several devices is an ordinary model: save/load, the IW estimator
    with tempfile.TemporaryDirectory() as t:
        path = save_vae(m2, Path(t)/'model.keras'); back = load_vae(path)
        diff = float(np.abs(back.encode(x[:100])[0] - m2.encode(x[:100])[0]).max())
        check(diff < 1e-5, f"save/load after distributed training: same encodings (max diff {diff:.1e})")
    r = evaluate_nll(m2, binarize(x[:50], seed=1), k=64)
    check(np.isfinite(r.nll) and r.nll <= r.neg_elbo + 1.0, f"IW estimator after distributed training: NLL {r.nll:.1f} ≤ −ELBO {r.neg_elbo:.1f}")

    # 4. a CVAE, and mixed precision on several devices
    keras.utils.set_random_seed(0)
    c = make_cvae('dense', 2, seed=0)
    hc = train_vae(c, x[:512], epochs=1, y=(np.arange(512) % 10), distribute=True, verbose=0)
    check(np.isfinite(hc.history['loss'][-1]), f"a CVAE trains on {DEVICES} replicas (loss {hc.history['loss'][-1]:.1f})")
    for precision in ('mixed_bfloat16', 'mixed_float16'):
        m, h, _ = curve(True, precision=precision)
        ok = np.isfinite(h.history['loss']).all() and all(w.dtype == np.float32 for w in m.get_weights())
        check(ok and max(abs(a - b) / a for a, b in zip(h1.history['loss'], h.history['loss'])) < 0.05,
              f"{precision} on {DEVICES} replicas: loss {np.round(h.history['loss'], 2).tolist()}, within 5% of float32, float32 weights kept")

    # 5. the command line, in this process (its --cpu_devices 2 finds the 2 devices already there)
    if os.environ.get('VAE_TUTORIAL_DATA'):
        from vae_tutorial.cli import vae_tutorial_train
        with tempfile.TemporaryDirectory() as t:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                vae_tutorial_train(arch='dense', latent_dim=2, epochs=1, limit=1024, out=f'{t}/run', distribute=True, cpu_devices=DEVICES)
            text = out.getvalue()
            check(f"on {DEVICES} replicas" in text and 'Test ELBO' in text and (Path(t)/'run'/'model.keras').is_file(),
                  "vae_tutorial_train --distribute --cpu_devices 2 trains, reports the replicas, writes the model")
    return 1 if failed else 0


def main():
    if os.environ.get('VAE_TUTORIAL_DISTRIBUTE_CHILD'): sys.exit(child())
    env = {**os.environ, 'VAE_TUTORIAL_DISTRIBUTE_CHILD': '1', 'VAE_TUTORIAL_CPU_DEVICES': str(DEVICES), 'TF_CPP_MIN_LOG_LEVEL': '2'}
    if env.get('KERAS_BACKEND') == 'jax':
        env['XLA_FLAGS'] = (env.get('XLA_FLAGS', '') + f' --xla_force_host_platform_device_count={DEVICES}').strip()
    root = str(Path(__file__).resolve().parents[1])
    env['PYTHONPATH'] = os.pathsep.join([root, *filter(None, [env.get('PYTHONPATH')])])
    t = time.time()
    rc = subprocess.run([sys.executable, __file__], env=env).returncode
    print(f"{'all checks passed' if rc == 0 else 'some checks FAILED'} ({time.time() - t:.0f} s)")
    sys.exit(rc)


if __name__ == '__main__': main()
