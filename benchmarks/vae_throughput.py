"""Training throughput (images/second) of the package's VAEs: `make_vae` + `fit` against a plain `tf.GradientTape` loop.

    python benchmarks/vae_throughput.py [--quick] [--images N] [--epochs E]

Everything runs in one process on whatever TensorFlow sees (a CPU here). For each configuration a fresh model
is built, warmed up (tracing, XLA compilation, the first steps; not timed), then `--epochs` passes over the same
`--images` images are timed with `time.perf_counter` and the best pass is kept. The data pipeline is the package's
`make_dataset(..., dynamic_binarize=True)`, as in real training; MNIST comes from `$VAE_TUTORIAL_DATA` (or the
bundled 800-image sample, repeated to the needed count).

Phase 1 measures, at batch 128, every arch x implementation x jit_compile; the implementations are `fit`, the tape
loop, and `fit` with `train_vae`'s `StopOnNaN` callback (which reads the loss after every batch). Phase 2 keeps, per arch, the jit setting
under which `fit` was fastest and measures the other batch sizes with both implementations. Within a phase the
timed passes are interleaved (pass 1 of every configuration, then pass 2 ...), so that a burst of other load
on the machine does not spoil every pass of one configuration. The recommendation at
the end is computed from the `fit` numbers: the smallest batch within 10% of the fastest one (smaller batches give
more updates per epoch), with the faster jit setting.

Finally it converts the dense model's rates into achieved FLOP/s (2·in·out per Dense layer forward, ×3 for a
training step) and sets them beside this machine's float32 matmul peak, measured in the same run with square
`tf.matmul`s of 512, 1024 and 2048.
"""
from __future__ import annotations
import argparse, os, sys, time, warnings

import numpy as np

from common import commit, header, machine, result_line, utc_now, versions
from vae_tutorial.backend import import_tensorflow
tf = import_tensorflow()   # before keras: silences TensorFlow's C++ start-up messages
import keras
from keras import ops
from vae_tutorial.data import load_mnist, make_dataset
from vae_tutorial.checks import check_images
from vae_tutorial.networks import build_encoder, build_decoder
from vae_tutorial.models import make_vae
from vae_tutorial.training import StopOnNaN
from vae_tutorial.losses import bernoulli_log_likelihood, kl_to_standard_normal, Sampling

ARCHS = ('conv', 'dense')
LATENT_DIM = 16
FIRST_BATCH = 128
BATCHES = (64, 128, 256)
WARMUP_STEPS = 20
NEAR_BEST = 0.90   # a batch size within 10% of the fastest counts as "as fast"
EPOCH_IMAGES = 60_000


def training_images(n: int) -> tuple[np.ndarray, str]:
    "`n` MNIST training images (n, 28, 28, 1) in [0, 1]: the first n of the full set, or the bundled sample repeated."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        data = load_mnist()
    for w in caught: print(f"note: {w.message}", file=sys.stderr)
    x = check_images(data.train.x)
    where = f"{data.source}: {len(x):,} training images"
    if len(x) < n: where += f", repeated to {n:,}"
    return x[np.arange(n) % len(x)], where


# ---- the package's way: make_vae + compile + fit ------------------------------------------------------------------

def fit_runner(arch, jit, ds, warm, callbacks=()):
    model = make_vae(arch, LATENT_DIM, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit)
    fit = lambda data: model.fit(data, epochs=1, verbose=0, shuffle=False, callbacks=list(callbacks))  # as train_vae
    fit(warm)                                          # traces (and XLA-compiles) train_function
    return lambda: fit(ds)                             # fit returns after the epoch's logs are NumPy: synced


def guarded_fit_runner(arch, jit, ds, warm):
    "fit with train_vae's `StopOnNaN` callback, which reads the loss after every batch (one host sync per step)."
    return fit_runner(arch, jit, ds, warm, callbacks=[StopOnNaN()])


# ---- the same model, trained by a tf.function around a GradientTape ---------------------------------------------

def tape_runner(arch, jit, ds, warm):
    encoder, decoder = build_encoder(arch, LATENT_DIM), build_decoder(arch, LATENT_DIM)
    sampling = Sampling(seed=0)
    optimizer = keras.optimizers.Adam(1e-3)
    variables = encoder.trainable_variables + decoder.trainable_variables
    optimizer.build(variables)

    @tf.function(jit_compile=jit)
    def step(x):
        with tf.GradientTape() as tape:
            mean, log_var = encoder(x, training=True)
            logits = decoder(sampling([mean, log_var]), training=True)
            loss = ops.mean(-bernoulli_log_likelihood(x, logits) + kl_to_standard_normal(mean, log_var))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def one_pass(dataset):
        loss = None
        for x in dataset: loss = step(x)
        return float(loss)                             # waits for the last step

    one_pass(warm)
    return lambda: one_pass(ds)


def loss_check(arch) -> float:
    "Largest |VAE.compute_loss - the tape loop's loss| on the same forward pass (should be ~1e-5 or less)."
    model = make_vae(arch, LATENT_DIM, seed=0)
    x = tf.cast(tf.random.stateless_uniform((8, 28, 28, 1), seed=(1, 2)) < 0.3, 'float32')
    out = model(x, training=True)
    a = model.compute_loss(x, y_pred=out)
    b = ops.mean(-bernoulli_log_likelihood(x, out['logits']) + kl_to_standard_normal(out['mean'], out['log_var']))
    return abs(float(a) - float(b))


RUNNERS = {'keras fit': fit_runner, 'GradientTape': tape_runner, 'fit+StopOnNaN': guarded_fit_runner}
MAIN = ('keras fit', 'GradientTape')   # fit+StopOnNaN (what train_vae runs) is measured in phase 1 only


def measure(x, configs, passes, results):
    """Time `configs` [(arch, batch, impl, jit)], interleaved: every configuration is built and warmed up first, then
    each of the `passes` rounds times every configuration once. A burst of other load on the machine then costs one
    pass of several configurations rather than every pass of one. Best images/s and all rates go to `results`."""
    runs, rates = {}, {c: [] for c in configs}
    for arch, batch, impl, jit in configs:
        ds = make_dataset(x, batch_size=batch, seed=0, dynamic_binarize=True)
        runs[arch, batch, impl, jit] = RUNNERS[impl](arch, jit, ds, ds.take(WARMUP_STEPS))
    for _ in range(passes):
        for c in configs:
            t0 = time.perf_counter(); runs[c](); rates[c].append(len(x) / (time.perf_counter() - t0))
    for c in configs:
        results[c] = max(rates[c]), rates[c]
        (arch, batch, impl, jit), best = c, max(rates[c])
        print(f"  {arch:5} batch {batch:3} {impl:13} jit={str(jit):5}  {best:8.0f} images/s  "
              f"(passes: {', '.join(f'{r:.0f}' for r in rates[c])})", flush=True)


def dense_train_flops(latent_dim=LATENT_DIM) -> tuple[float, float]:
    "(forward, training) FLOPs per image of the dense VAE: 2·in·out per Dense layer; training ≈ 3× forward (backward costs ~2×)."
    model = make_vae('dense', latent_dim=latent_dim, seed=0)
    fwd = sum(2 * int(np.prod(l.kernel.shape)) for m in (model.encoder, model.decoder) for l in m.layers
              if isinstance(l, keras.layers.Dense))
    return float(fwd), 3.0 * fwd


def matmul_peak(sizes=(512, 1024, 2048), seconds=2.0) -> tuple[float, int]:
    "This machine's measured float32 matmul rate (FLOP/s): the best over square sizes, each repeated for ~`seconds`."
    best = (0.0, 0)
    for n in sizes:
        a = tf.random.normal((n, n)); b = tf.random.normal((n, n))
        mm = tf.function(lambda a, b: tf.matmul(a, b))
        mm(a, b).numpy()                                    # trace and warm up
        reps, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds:
            mm(a, b).numpy(); reps += 1
        rate = 2 * n ** 3 * reps / (time.perf_counter() - t)
        best = max(best, (rate, n))
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='about 3k images per configuration instead of 15k')
    p.add_argument('--images', type=int, default=None, help='images per timed pass (rounded up to a multiple of 256)')
    p.add_argument('--epochs', type=int, default=2, help='timed passes per configuration; the best is kept (default 2)')
    args = p.parse_args(argv)
    if args.epochs < 1: p.error('--epochs must be at least 1')
    n = args.images or (3_000 if args.quick else 15_000)
    step = int(np.lcm.reduce(BATCHES))
    n = max(step, -(-n // step) * step)          # whole batches at every size: no smaller last batch to retrace for
    started = time.perf_counter()

    x, where = training_images(n)
    header('VAE training throughput (images/s), vae_tutorial benchmarks/vae_throughput.py', date=utc_now(),
           machine=machine(load_at='start'), devices=', '.join(d.device_type for d in tf.config.list_physical_devices()),
           versions=f"{versions(tf, keras)} (backend {keras.backend.backend()})", commit=commit(),
           data=f"MNIST ({where}); dynamic binarization; latent_dim {LATENT_DIM}; Adam(1e-3)",
           method=f"warm-up {WARMUP_STEPS} steps (untimed), then best of {args.epochs} timed passes over {n:,} images")
    for arch in ARCHS: print(f"check     {arch}: |VAE.compute_loss - tape loss| = {loss_check(arch):.2e}")
    print(flush=True)

    results = {}   # (arch, batch, impl, jit) -> (best images/s, [images/s of each pass])
    print(f"phase 1: batch {FIRST_BATCH}, every arch x implementation x jit_compile")
    measure(x, [(a, FIRST_BATCH, i, j) for a in ARCHS for j in (False, True) for i in RUNNERS], args.epochs, results)
    best_jit = {a: max((False, True), key=lambda j: results[a, FIRST_BATCH, 'keras fit', j][0]) for a in ARCHS}
    print(f"phase 2: the other batch sizes, at the jit setting fit was fastest with at batch {FIRST_BATCH} "
          f"({', '.join(f'{a}: {best_jit[a]}' for a in ARCHS)})")
    measure(x, [(a, b, i, best_jit[a]) for a in ARCHS for b in BATCHES if b != FIRST_BATCH for i in MAIN],
            args.epochs, results)

    print('\n| arch  | batch | implementation | jit   | images/s | fit / GradientTape |')
    print('|-------|------:|----------------|-------|---------:|-------------------:|')
    for (arch, batch, impl, jit), (best, _) in sorted(results.items(), key=lambda kv: (
            ARCHS.index(kv[0][0]), kv[0][1], kv[0][3], list(RUNNERS).index(kv[0][2]))):
        tape = results.get((arch, batch, 'GradientTape', jit))
        ratio = f"{best / tape[0]:.2f}" if impl != 'GradientTape' and tape else ''
        print(f"| {arch:5} | {batch:5} | {impl:14} | {str(jit):5} | {best:8.0f} | {ratio:>18} |")

    fwd, train = dense_train_flops()
    peak, peak_n = matmul_peak(seconds=0.5 if args.quick else 2.0)
    print(f"\nachieved FLOP/s of the dense model ({fwd / 1e6:.2f} MFLOP forward, {train / 1e6:.2f} MFLOP per training image), "
          f"against this machine's measured float32 matmul peak {peak / 1e9:.1f} GFLOP/s ({peak_n}x{peak_n} matmuls):")
    print('| batch | implementation | jit   | images/s | GFLOP/s | fraction of matmul peak |')
    print('|------:|----------------|-------|---------:|--------:|------------------------:|')
    for (arch, batch, impl, jit), (best, _) in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][3], list(RUNNERS).index(kv[0][2]))):
        if arch == 'dense': print(f"| {batch:5} | {impl:14} | {str(jit):5} | {best:8.0f} | {best * train / 1e9:7.1f} | {best * train / peak:23.1%} |")

    print('\nrecommended defaults (computed: among the keras fit numbers, the smallest batch within '
          f'{1 - NEAR_BEST:.0%} of the fastest, at its faster jit setting):')
    for arch in ARCHS:
        fits = {(b, j): r[0] for (a, b, i, j), r in results.items() if a == arch and i == 'keras fit'}
        top = max(fits.values())
        batch = min(b for (b, j), r in fits.items() if r >= NEAR_BEST * top)
        jit = max((j for (b, j) in fits if b == batch), key=lambda j: fits[batch, j])
        rate = fits[batch, jit]
        print(f"  {arch:5}: batch_size={batch}, jit_compile={jit}  -> {rate:.0f} images/s, "
              f"about {EPOCH_IMAGES / rate:.0f} s per {EPOCH_IMAGES:,}-image epoch "
              f"(fastest measured: {top:.0f} images/s)")
    if hasattr(os, 'getloadavg'): print(f"\nload average at the end {os.getloadavg()[0]:.2f} (other processes count too)")
    print(f"total run time {time.perf_counter() - started:.0f} s")
    summary = {'date': utc_now(), 'commit': commit(),
               'cpu_count': os.cpu_count(), 'matmul_peak_gflops': round(peak / 1e9, 1), 'dense_train_mflop_per_image': round(train / 1e6, 3)}
    for arch in ARCHS:
        fit = results[arch, FIRST_BATCH, 'keras fit', best_jit[arch]][0]
        tape = results[arch, FIRST_BATCH, 'GradientTape', best_jit[arch]][0]
        summary[arch] = {'batch': FIRST_BATCH, 'jit': best_jit[arch], 'fit_images_per_s': round(fit), 'tape_images_per_s': round(tape),
                         'fit_over_tape': round(fit / tape, 2)}
    d = summary['dense']
    d['gflops'] = round(d['fit_images_per_s'] * train / 1e9, 1); d['fraction_of_peak'] = round(d['fit_images_per_s'] * train / peak, 3)
    result_line(summary)


if __name__ == '__main__': main()
