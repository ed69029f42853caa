"""Wall-clock to a test −ELBO of 100 nats: keras-io's VAE recipe against `vae_tutorial_train`'s conv recipe, 16-D latent, full MNIST.

    python benchmarks/time_to_quality.py [--target 100] [--max_epochs 12] [--same_arch]
    python benchmarks/time_to_quality.py --summarize results/time_to_quality.txt   # the table again, from a saved run

Images per second (keras_io_race.py) say how fast a step is; this says how soon a model is good. The contenders
train one after the other in one process (run it on a quiet machine: the load average at start and end is
printed), and after every epoch a callback measures the test −ELBO on 2,000 binarized MNIST test
images (one fixed draw, `binarize(x_test, seed=VALIDATION_SEED)`), in nats per image. Only training time counts
towards the clock, not the evaluations. A contender stops when it reaches the target or `--max_epochs`.

- keras-io recipe: its conv encoder and decoder (Conv 32/64 stride 2, Dense 16) with a 16-D latent, its own
  `GradientTape` `train_step` (binary cross-entropy on grey pixels plus the KL, Adam 1e-3), NumPy images into `fit`,
  batch 128 (the recipe in keras_io_race.py). Its −ELBO is scored the same way as ours: Bernoulli on binarized
  test images, from its sigmoid output.
- vae_tutorial: `make_vae('conv', 16)` trained by `train_vae` with its defaults (dynamic binarization, Adam 1e-3,
  batch 128): what `vae_tutorial_train --arch conv --latent_dim 16` does.
- with `--same_arch`, also `train_vae`'s defaults on keras-io's architecture (`make_vae('conv', 16, hidden=(16,))`),
  to separate the recipe's training loop from its network.
"""
from __future__ import annotations
import argparse, json, os, time, warnings


from common import commit, header, machine, result_line, utc_now, versions
from vae_tutorial.backend import import_tensorflow
tf = import_tensorflow()
from vae_tutorial.backend import keras
from vae_tutorial.training import train_vae, VALIDATION_SEED
from vae_tutorial.models import make_vae
from vae_tutorial.data import binarize, load_mnist
from keras_io_race import KerasIOVAE, keras_io_networks, keras_io_neg_elbo, BATCH, TEST_IMAGES


class QualityClock(keras.callbacks.Callback):
    "After each epoch: the test −ELBO and the training seconds so far (evaluation time excluded); stops at the target."
    def __init__(self, neg_elbo, x_test, target, name):
        super().__init__(); self.neg_elbo, self.x_test, self.target, self.name = neg_elbo, x_test, target, name
        self.curve, self.reached, self.seconds = [], None, 0.0
    def on_epoch_begin(self, epoch, logs=None): self.t0 = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds += time.perf_counter() - self.t0
        v = self.neg_elbo(self.x_test)
        self.curve.append((epoch + 1, round(self.seconds, 1), round(v, 2)))
        print(f"  {self.name}: epoch {epoch + 1}, {v:.1f} nats after {self.seconds:.0f} s of training", flush=True)
        if v <= self.target and self.reached is None:
            self.reached = (epoch + 1, self.seconds); self.model.stop_training = True

def train_keras_io(x, latent_dim, epochs, clock_for):
    "keras-io's recipe with a `latent_dim`-D latent, until the clock's target or `epochs`."
    keras.utils.set_random_seed(0)
    model = KerasIOVAE(*keras_io_networks(latent_dim))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    clock = clock_for(keras_io_neg_elbo(model))
    model.fit(x, epochs=epochs, batch_size=BATCH, verbose=0, callbacks=[clock])
    return clock

def train_ours(x, latent_dim, epochs, clock_for, hidden=None):
    "`train_vae` with its defaults on `make_vae('conv', latent_dim)` (or with keras-io's Dense 16 as `hidden`)."
    keras.utils.set_random_seed(0)
    model = make_vae('conv', latent_dim, seed=0, **({'hidden': hidden} if hidden else {}))
    def neg_elbo(xb):
        ev = model.evaluate(xb, batch_size=1000, verbose=0, return_dict=True)
        return float(ev['reconstruction'] + ev['kl'])
    clock = clock_for(neg_elbo)
    train_vae(model, x, epochs=epochs, batch_size=BATCH, verbose=0, callbacks=[clock])
    return clock


def first_at(curve, level):
    "(epoch, seconds) of the first point of `curve` [(epoch, seconds, −ELBO), …] at or below `level`, else None."
    return next(((e, t) for e, t, v in curve if v <= level), None)

def report(curve, target):
    "The table of a run's curves {recipe: [(epoch, training seconds, test −ELBO), …]}: time to `target`, and to each other's best."
    print(f"\n| recipe | epochs to ≤ {target:g} nats | training seconds to ≤ {target:g} nats | s per epoch | best test −ELBO |")
    print('|---|---:|---:|---:|---:|')
    for k, c in curve.items():
        got, (e_last, t_last, _) = first_at(c, target), c[-1]
        print(f"| {k} | {got[0] if got else f'> {e_last}'} | {f'{got[1]:.0f}' if got else f'> {t_last:.0f}'} | "
              f"{t_last / e_last:.1f} | {min(v for *_, v in c):.1f} |")
    io, ours = curve.get('keras-io recipe'), curve.get('vae_tutorial (train_vae defaults, conv)')
    if not (io and ours): return
    a, b = first_at(io, target), first_at(ours, target)
    if a and b: print(f"\nkeras-io / vae_tutorial time to {target:g} nats: {a[1] / b[1]:.2f}× (above 1: ours is sooner)")
    elif b: print(f"\nkeras-io's recipe did not reach {target:g} nats in {io[-1][0]} epochs ({io[-1][1]:.0f} s of training); ours did in {b[1]:.0f} s")
    best_io = min(v for *_, v in io)
    c = first_at(ours, best_io)
    if c: print(f"keras-io's best, {best_io:.1f} nats after {first_at(io, best_io)[1]:.0f} s: ours reached it after {c[1]:.0f} s "
                f"(epoch {c[0]}), {first_at(io, best_io)[1] / c[1]:.1f}× sooner")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--target', type=float, default=100.0, help='test −ELBO to reach, nats per image (default 100)')
    p.add_argument('--max_epochs', type=int, default=12, help='give up after this many epochs (default 12)')
    p.add_argument('--latent_dim', type=int, default=16)
    p.add_argument('--limit', type=int, default=0, help='train on the first N training images (0: all; for a quick try)')
    p.add_argument('--same_arch', action='store_true', help="also train_vae on keras-io's architecture")
    p.add_argument('--summarize', metavar='FILE', help="print the table again from a saved run's output (its JSON line); trains nothing")
    args = p.parse_args(argv)
    if args.summarize:
        r = next(json.loads(l) for l in reversed(open(args.summarize, encoding='utf-8').read().splitlines()) if l.startswith('{'))
        print(f"(the table of the run of {r['date']}, {r['commit']}, from its recorded curves)"); report(r['curves'], r['target_nats'])
        return
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        mnist = load_mnist()
    x = mnist.train.x[:args.limit] if args.limit else mnist.train.x
    x_test = binarize(mnist.test.x[:TEST_IMAGES], seed=VALIDATION_SEED)
    contenders = {'keras-io recipe': lambda clock_for: train_keras_io(x, args.latent_dim, args.max_epochs, clock_for),
                  'vae_tutorial (train_vae defaults, conv)': lambda clock_for: train_ours(x, args.latent_dim, args.max_epochs, clock_for)}
    if args.same_arch:
        contenders["train_vae defaults, keras-io's network"] = lambda clock_for: train_ours(x, args.latent_dim, args.max_epochs, clock_for, hidden=(16,))
    header(f"Time to a test −ELBO of {args.target:g} nats (conv, {args.latent_dim}-D latent, MNIST), vae_tutorial benchmarks/time_to_quality.py",
           date=utc_now(), machine=machine(load_at='start'), devices=', '.join(d.device_type for d in tf.config.list_physical_devices()),
           versions=f"{versions(tf, keras)} (backend {keras.backend.backend()})", commit=commit(),
           data=f"MNIST ({mnist.source}: {len(x):,} training images); test −ELBO on {TEST_IMAGES:,} binarized test images (one fixed draw)",
           method=f"each contender in turn, test −ELBO after every epoch; training time only; at most {args.max_epochs} epochs, batch {BATCH}")
    clocks = {}
    for name, train in contenders.items():          # one after the other: the load average below says how quiet it was
        clocks[name] = train(lambda neg_elbo: QualityClock(neg_elbo, x_test, args.target, name))
    curve = {k: c.curve for k, c in clocks.items()}
    reached = {k: c.reached for k, c in clocks.items()}
    report(curve, args.target)
    if hasattr(os, 'getloadavg'): print(f"load average at the end {os.getloadavg()[0]:.2f} (other processes count too)")
    print(f"total run time {time.perf_counter() - started:.0f} s")
    result_line({'date': utc_now(), 'commit': commit(), 'target_nats': args.target, 'train_images': len(x),
                 'reached': {k: (None if v is None else {'epochs': v[0], 'seconds': round(v[1], 1)}) for k, v in reached.items()},
                 'curves': curve})


if __name__ == '__main__': main()
