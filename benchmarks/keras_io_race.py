"""keras-io's VAE recipe against `train_vae`'s defaults on the same architecture, side by side, plus the levers behind the defaults.

    python benchmarks/keras_io_race.py [--quick] [--images N] [--passes P]

keras-io's "Variational AutoEncoder" example (fchollet, keras.io/examples/generative/vae) is re-created here in our
own code: its encoder (Conv2D 32 and 64, stride 2, Dense 16, a 2-D latent) and decoder (Dense 7·7·64, Conv2DTranspose
64 and 32 stride 2, a sigmoid Conv2DTranspose), its `train_step` (a `tf.GradientTape`, summed binary cross-entropy
plus the KL, Adam), fed NumPy images in batches of 128 as the example does. The package trains the same
architecture, `make_vae('conv', 2, hidden=(16,))`, with `train_vae` and its defaults at batch 128.

Every configuration gets its own model, is warmed up (tracing and the first steps, not timed), then each of
`--passes` rounds times one epoch of every configuration in turn (interleaved, so that a burst of other load spoils
one pass of several configurations rather than every pass of one); the best pass counts. The levers are `train_vae`
with one setting changed from the old defaults (the loss read after every step by the NaN guard, binarization in the
`tf.data` pipeline, one step per call, float32, no XLA on a CPU); the row "train_vae defaults" is what `train_vae`
does when given nothing but the model, the images and the batch size. The dense rows put the default dense VAE (784-512-256-16) beside this machine's measured float32
matmul peak. The "compute floor" rows run the same model's loss and Adam step, compiled, on one batch already in
memory, with no input pipeline and no `fit`: no setting of the training loop can beat it, so it bounds what the
loop's levers can gain. After the timed passes every model has seen the same images the same number of times, and its test
−ELBO on 2,000 binarized test images (one fixed draw) says whether a faster setting learned as well.
"""
from __future__ import annotations
import argparse, os, time, warnings

import numpy as np

from common import commit, header, machine, result_line, utc_now, versions
from vae_tutorial.backend import import_tensorflow
tf = import_tensorflow()
from vae_tutorial.backend import keras, ops
import vae_tutorial.training as training
from vae_tutorial.training import train_vae, trainable_copy, StopOnNaN, VALIDATION_SEED
from vae_tutorial.models import make_vae
from vae_tutorial.data import binarize, load_mnist
from vae_tutorial.losses import kl_to_standard_normal

BATCH = 128
WARMUP_IMAGES = 20 * BATCH
TEST_IMAGES = 2000


def training_images(n: int) -> tuple[np.ndarray, str]:
    "`n` MNIST training images (n, 28, 28, 1) in [0, 1]: the first n of the full set, or the bundled sample repeated."
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        data = load_mnist()
    x = data.train.x
    return x[np.arange(n) % len(x)], f"{data.source}: {len(x):,} training images" + (f", repeated to {n:,}" if len(x) < n else '')

def dense_train_flops(latent_dim=16) -> tuple[float, float]:
    "(forward, training) FLOPs per image of the dense VAE: 2·in·out per Dense layer; training ≈ 3× forward (backward costs ~2×)."
    model = make_vae('dense', latent_dim=latent_dim, seed=0)
    fwd = sum(2 * int(np.prod(l.kernel.shape)) for m in (model.encoder, model.decoder) for l in m.layers
              if isinstance(l, keras.layers.Dense))
    return float(fwd), 3.0 * fwd

def matmul_peak(sizes=(512, 1024, 2048), seconds=2.0) -> tuple[float, int]:
    "This machine's measured float32 matmul rate (FLOP/s): the best over square sizes, each repeated for ~`seconds`."
    best = (0.0, 0)
    for n in sizes:
        a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
        mm = tf.function(lambda a, b: tf.matmul(a, b))
        mm(a, b).numpy()                                    # trace and warm up
        reps, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds: mm(a, b).numpy(); reps += 1
        best = max(best, (2 * n ** 3 * reps / (time.perf_counter() - t), n))
    return best


# ---- keras-io's recipe, in our own words ------------------------------------------------------------------------

class KerasIOSampling(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw); self.seed_generator = keras.random.SeedGenerator(1337)
    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

def keras_io_networks(latent_dim=2):
    inp = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(32, 3, activation='relu', strides=2, padding='same')(inp)
    h = keras.layers.Conv2D(64, 3, activation='relu', strides=2, padding='same')(h)
    h = keras.layers.Dense(16, activation='relu')(keras.layers.Flatten()(h))
    z_mean, z_log_var = keras.layers.Dense(latent_dim)(h), keras.layers.Dense(latent_dim)(h)
    encoder = keras.Model(inp, [z_mean, z_log_var, KerasIOSampling()([z_mean, z_log_var])])
    z = keras.Input((latent_dim,))
    h = keras.layers.Reshape((7, 7, 64))(keras.layers.Dense(7 * 7 * 64, activation='relu')(z))
    h = keras.layers.Conv2DTranspose(64, 3, activation='relu', strides=2, padding='same')(h)
    h = keras.layers.Conv2DTranspose(32, 3, activation='relu', strides=2, padding='same')(h)
    return encoder, keras.Model(z, keras.layers.Conv2DTranspose(1, 3, activation='sigmoid', padding='same')(h))

class KerasIOVAE(keras.Model):
    def __init__(self, encoder, decoder, **kw):
        super().__init__(**kw)
        self.encoder, self.decoder = encoder, decoder
        self.total_loss_tracker = keras.metrics.Mean(name='total_loss')
    @property
    def metrics(self): return [self.total_loss_tracker]
    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = ops.mean(ops.sum(-0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)), axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        return {'loss': self.total_loss_tracker.result()}

def keras_io_neg_elbo(model):
    "The Bernoulli −ELBO of binarized images under keras-io's model, from its sigmoid output: the same quantity as ours."
    def neg_elbo(xb):
        mean, log_var, z = model.encoder.predict(xb, batch_size=1000, verbose=0)
        p = np.clip(model.decoder.predict(z, batch_size=1000, verbose=0), 1e-7, 1 - 1e-7)
        rec = -(xb * np.log(p) + (1 - xb) * np.log(1 - p)).sum(axis=(1, 2, 3))
        return float(np.mean(rec + np.asarray(kl_to_standard_normal(mean, log_var))))
    return neg_elbo

def keras_io_runner(x, warm):
    keras.utils.set_random_seed(0)
    model = KerasIOVAE(*keras_io_networks())
    model.compile(optimizer=keras.optimizers.Adam())
    model.fit(warm, epochs=1, batch_size=BATCH, verbose=0)
    def one_pass(): model.fit(x, epochs=1, batch_size=BATCH, verbose=0)
    return one_pass, keras_io_neg_elbo(model)


# ---- the package: train_vae, with one lever changed at a time ---------------------------------------------------

class EpochEndGuard(StopOnNaN):
    "StopOnNaN that reads the loss once per epoch instead of after every call into the compiled step."
    on_train_batch_end = keras.callbacks.Callback.on_train_batch_end
    def on_epoch_end(self, epoch, logs=None):
        super().on_train_batch_end(-1, logs)

OLD = dict(steps_per_execution=1, binarize_in_step=False, precision='float32', jit_compile=False, guard='every call')   # before this benchmark

def ours_runner(x, warm, arch='conv', batch=BATCH, lr=1e-3, defaults=False, **lever):
    "A one-epoch `train_vae` call on a model of keras-io's architecture (or the dense default), with `lever` changed from OLD."
    s = {} if defaults else {**OLD, **lever}
    keras.utils.set_random_seed(0)
    model = make_vae('conv', 2, hidden=(16,), seed=0) if arch == 'conv' else make_vae('dense', 16, seed=0)
    if s.get('precision', 'float32') != 'float32':      # built once in that policy, so passes time training, not rebuilding
        model = trainable_copy(model, s['precision'])
    kw = {k: s[k] for k in ('steps_per_execution', 'jit_compile', 'binarize_in_step') if k in s}
    if s.get('guard') == 'epoch end': kw['guard'] = EpochEndGuard
    def fit(data):
        train_vae(model, data, epochs=1, batch_size=batch, learning_rate=lr, verbose=0, **kw)
    fit(warm)
    def neg_elbo(xb):
        ev = model.evaluate(xb, batch_size=1000, verbose=0, return_dict=True)
        return float(ev['reconstruction'] + ev['kl'])
    return (lambda: fit(x)), neg_elbo


def floor_runner(x, warm, arch='conv'):
    "The compute floor: our model's own loss and Adam step, compiled, on one batch already in memory, looped; no input pipeline, no fit."
    keras.utils.set_random_seed(0)
    model = make_vae('conv', 2, hidden=(16,), seed=0) if arch == 'conv' else make_vae('dense', 16, seed=0)
    opt = keras.optimizers.Adam(1e-3)
    xb = tf.constant(binarize(warm[:BATCH], seed=0))
    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = model.compute_loss(xb, y_pred=model(xb, training=True))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
    steps = len(x) // BATCH
    def one_pass():
        for _ in range(steps): step()
        float(opt.iterations.numpy())          # wait for the last step
    for _ in range(len(warm) // BATCH): step()
    return one_pass, lambda xt: float('nan')   # it sees one batch only: its test −ELBO means nothing


CONV = {   # name -> (runner, kwargs)
    'keras-io recipe (GradientTape, NumPy)': (keras_io_runner, {}),
    'train_vae defaults':                    (ours_runner, dict(defaults=True)),
    'old defaults':                          (ours_runner, {}),
    '  guard at epoch end':                  (ours_runner, dict(guard='epoch end')),
    '  steps_per_execution=8':               (ours_runner, dict(steps_per_execution=8)),
    '  steps_per_execution=32':              (ours_runner, dict(steps_per_execution=32)),
    '  binarize in the step':                (ours_runner, dict(binarize_in_step=True)),
    '  mixed_bfloat16':                      (ours_runner, dict(precision='mixed_bfloat16')),
    '  jit_compile=True':                    (ours_runner, dict(jit_compile=True)),
    '  batch 256, lr 2e-3':                  (ours_runner, dict(batch=256, lr=2e-3)),
    'compute floor (one resident batch, compiled step)': (floor_runner, {}),
}
DENSE = {
    'dense: train_vae defaults':             (ours_runner, dict(arch='dense', defaults=True)),
    'dense: old defaults':                   (ours_runner, dict(arch='dense')),
    'dense:   jit_compile=True':             (ours_runner, dict(arch='dense', jit_compile=True)),
    'dense:   steps_per_execution=32':       (ours_runner, dict(arch='dense', steps_per_execution=32)),
    'dense:   binarize in the step':         (ours_runner, dict(arch='dense', binarize_in_step=True)),
    'dense:   mixed_bfloat16':               (ours_runner, dict(arch='dense', precision='mixed_bfloat16')),
    'dense:   batch 256, lr 2e-3':           (ours_runner, dict(arch='dense', batch=256, lr=2e-3)),
    'dense: compute floor':                  (floor_runner, dict(arch='dense')),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='3,840 images per pass, 2 passes')
    p.add_argument('--images', type=int, default=None, help='images per timed pass (default 15,360)')
    p.add_argument('--passes', type=int, default=None, help='timed passes per configuration; the best counts (default 3)')
    p.add_argument('--only', default='', help='comma-separated substrings: run only the configurations whose names contain one')
    args = p.parse_args(argv)
    n = args.images or (3_840 if args.quick else 15_360)
    n = -(-n // 256) * 256
    passes = args.passes or (2 if args.quick else 3)
    started = time.perf_counter()
    x, where = training_images(n)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        x_test = binarize(load_mnist().test.x[:TEST_IMAGES], seed=VALIDATION_SEED)
    configs = {**CONV, **DENSE}
    if args.only: configs = {k: v for k, v in configs.items() if any(s in k for s in args.only.split(',')) or k.startswith('keras-io')}
    header("keras-io's VAE recipe against train_vae's defaults (images/s), vae_tutorial benchmarks/keras_io_race.py", date=utc_now(),
           machine=machine(load_at='start'), devices=', '.join(d.device_type for d in tf.config.list_physical_devices()),
           versions=f"{versions(tf, keras)} (backend {keras.backend.backend()})", commit=commit(),
           data=f"MNIST ({where}); keras-io: grey images, NumPy into fit; ours: dynamically binarized",
           defaults=f"train_vae: steps_per_execution={training.STEPS_PER_EXECUTION}, binarize_in_step={training.BINARIZE_IN_STEP}, "
                    f"precision float32, jit_compile='auto' (auto_jit_compile: conv {training.auto_jit_compile(make_vae('conv', 2))}, "
                    f"dense {training.auto_jit_compile(make_vae('dense', 2))})",
           method=f"warm-up {WARMUP_IMAGES:,} images (untimed), then the best of {passes} interleaved passes over {n:,} images")
    runs, rates = {}, {c: [] for c in configs}
    for name, (runner, kw) in configs.items():
        runs[name] = runner(x, x[:WARMUP_IMAGES], **kw)
    for _ in range(passes):
        for name in configs:
            t0 = time.perf_counter(); runs[name][0](); rates[name].append(n / (time.perf_counter() - t0))
        print(f"  pass done ({time.perf_counter() - started:.0f} s)", flush=True)
    best = {k: max(v) for k, v in rates.items()}
    quality = {k: runs[k][1](x_test) for k in configs}
    io = best['keras-io recipe (GradientTape, NumPy)']
    fwd, train_flops = dense_train_flops()
    peak, peak_n = matmul_peak(seconds=0.5 if args.quick else 2.0)
    print(f"\n| configuration | images/s (best) | passes | × keras-io | test −ELBO after {1 + passes} epochs of {n:,} |")
    print('|---|---:|---|---:|---:|')
    for k in configs:
        print(f"| {k.strip() if not k.startswith('  ') else '↳ ' + k.strip()} | {best[k]:,.0f} | {', '.join(f'{r:.0f}' for r in rates[k])} | "
              f"{best[k] / io:.2f} | {quality[k]:.1f} |")
    print(f"\ndense VAE: {train_flops / 1e6:.2f} MFLOP per training image; float32 matmul peak {peak / 1e9:.1f} GFLOP/s ({peak_n}³)")
    for k in configs:
        if k.startswith('dense'): print(f"  {k:34} {best[k] * train_flops / 1e9:6.1f} GFLOP/s = {best[k] * train_flops / peak:5.1%} of peak")
    ratio = best.get('train_vae defaults', float('nan')) / io
    print(f"\ntrain_vae defaults / keras-io recipe: {ratio:.2f}× (target ≥ 1.25×)")
    if hasattr(os, 'getloadavg'): print(f"load average at the end {os.getloadavg()[0]:.2f} (other processes count too)")
    print(f"total run time {time.perf_counter() - started:.0f} s")
    summary = {'date': utc_now(), 'commit': commit(), 'cpu_count': os.cpu_count(), 'images_per_pass': n, 'passes': passes,
               'keras_io_images_per_s': round(io), 'ratio': round(ratio, 2), 'matmul_peak_gflops': round(peak / 1e9, 1),
               'rates': {k.strip(): round(v) for k, v in best.items()}, 'test_neg_elbo': {k.strip(): round(v, 1) for k, v in quality.items()}}
    if 'dense: train_vae defaults' in best:
        summary['dense_fraction_of_peak'] = round(best['dense: train_vae defaults'] * train_flops / peak, 3)
    result_line(summary)


if __name__ == '__main__': main()
