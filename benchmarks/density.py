"""Density benchmark: test NLL (nats) of a one-stochastic-layer dense VAE (or IWAE) on statically binarized MNIST.

Trains `vae_tutorial.models.build_density_vae` (784-200-200-50 tanh by default, the IWAE paper's one-layer
architecture) on the 50,000 training images for at most `--minutes` of wall time, keeps the weights with the best
validation loss (model selection on the validation split only), then estimates the test NLL with
`evaluate_nll(k=5000)` on all 10,000 test images and prints it beside published numbers.

    export VAE_TUTORIAL_DATA=/path/to/folder/with/binarized_mnist.npz
    python benchmarks/density.py --out runs/density-vae                      # the VAE, 45 min budget
    python benchmarks/density.py --k 50 --minutes 45 --out runs/density-iwae # the IWAE option, k = 50
    python benchmarks/density.py --quick                                     # 1 minute, small subsets: a smoke test

`--recipe NAME` trains a shipped model of the package instead (`vae_tutorial.pretrained`: its seed, network, epochs,
validation-based choice of epoch), writes its rounded weights and manifest entry to `--out` exactly as
`python -m vae_tutorial.pretrained NAME --out DIR` does, and evaluates those weights, the ones that ship:

    python benchmarks/density.py --recipe density_pixel --out vae_tutorial/assets/weights   # 05's density model
"""
import os, sys, time, json, math, argparse
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
from common import commit, header, machine, result_line, utc_now, versions

PUBLISHED = [  # (model, test NLL in nats on static binarized MNIST, source)
    ('VAE, 1 stochastic layer (784-200-200-50)', 88.71, 'Burda et al. 2016, IWAE paper, appendix (static binarization)'),
    ('IWAE k=50, 1 stochastic layer', 87.10, 'Burda et al. 2016, appendix (static binarization)'),
    ('VAE (Rezende & Mohamed setup)', 89.78, "pythae's reproduction of Rezende & Mohamed 2015"),
    ('VAE + VampPrior', 85.57, 'Tomczak & Welling 2018'),
]

def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--k', type=int, default=1, help='importance samples in the training loss: 1 = VAE (ELBO), >1 = IWAE')
    p.add_argument('--hidden', default='200,200', help='encoder widths, comma-separated (the decoder mirrors them)')
    p.add_argument('--latent_dim', type=int, default=50)
    p.add_argument('--activation', default='tanh')
    p.add_argument('--minutes', type=float, default=45.0, help='training budget (wall clock)')
    p.add_argument('--max_epochs', type=int, default=100000)
    p.add_argument('--patience', type=int, default=50, help='stop after this many epochs without a better validation loss')
    p.add_argument('--batch_size', type=int, default=100)
    p.add_argument('--lr', type=float, default=1e-3, help='initial Adam learning rate')
    p.add_argument('--lr_end', type=float, default=1e-4, help='learning rate at the end of the budget (exponential decay in time)')
    p.add_argument('--eval_k', type=int, default=5000, help='importance samples for the test NLL')
    p.add_argument('--test_images', type=int, default=10000, help='test images for the NLL, strided over the test split (10000: all)')
    p.add_argument('--init', default=None, help='start from the weights of this model.keras (same architecture)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default=None, help='folder for model.keras, history.json and results.json')
    p.add_argument('--quick', action='store_true', help='small subsets and a 1-minute budget: checks the script runs')
    p.add_argument('--recipe', default=None, help="train this recipe of vae_tutorial.pretrained (e.g. density_pixel) into --out, then evaluate its shipped-format weights")
    p.add_argument('--overwrite', action='store_true', help='--recipe: train again although --out already has the model (else it is only evaluated)')
    return p.parse_args()

def main():
    a = parse()
    commit()   # read now: a run reports the commit it started from
    from vae_tutorial.backend import import_tensorflow
    tf = import_tensorflow()
    import keras
    from vae_tutorial.data import load_binarized_mnist
    from vae_tutorial.models import build_density_vae, save_vae, load_vae, ModelFileError
    from vae_tutorial.training import train_vae
    if a.quick: a.minutes, a.eval_k = min(a.minutes, 1.0), min(a.eval_k, 100)
    data = load_binarized_mnist()
    if data.source == 'sample': sys.exit("density.py needs the real binarized MNIST: set VAE_TUTORIAL_DATA to the folder holding binarized_mnist.npz")
    x_train, x_valid, x_test = data.train.x, data.valid.x, data.test.x
    if a.quick: x_train, x_valid, x_test = x_train[:5000], x_valid[:1000], x_test[::50]
    elif a.test_images < len(x_test): x_test = x_test[::len(x_test) // a.test_images][:a.test_images]
    if a.recipe: return from_recipe(a, x_test, tf, keras)
    hidden = tuple(int(h) for h in a.hidden.split(','))
    keras.utils.set_random_seed(a.seed)
    model = build_density_vae(hidden, a.latent_dim, a.activation, k=a.k, seed=a.seed)
    if a.init:
        try: src = load_vae(a.init)
        except ModelFileError as e: sys.exit(f"--init: {e}")
        try: model.encoder.set_weights(src.encoder.get_weights()); model.decoder.set_weights(src.decoder.get_weights())
        except ValueError: sys.exit(f"--init {a.init}: its networks differ from 784-{a.hidden.replace(',', '-')}-{a.latent_dim}; "
                                    f"pass the --hidden and --latent_dim it was trained with")
    model.compile(optimizer=keras.optimizers.Adam(a.lr), jit_compile=True)
    budget, t0 = a.minutes * 60, time.time()

    class Control(keras.callbacks.Callback):
        "Learning-rate decay in wall time, best-validation weights, patience and the time budget."
        def __init__(self): super().__init__(); self.best, self.best_epoch, self.weights, self.epochs, self.log = math.inf, 0, None, 0, []
        def on_epoch_begin(self, epoch, logs=None):
            frac = min(1.0, (time.time() - t0) / budget)
            self.model.optimizer.learning_rate.assign(a.lr * (a.lr_end / a.lr) ** frac)
        def on_epoch_end(self, epoch, logs=None):
            self.epochs = epoch + 1
            row = {'epoch': epoch + 1, 'seconds': round(time.time() - t0, 1), 'loss': float(logs['loss']), 'val_loss': float(logs['val_loss']),
                   'lr': float(self.model.optimizer.learning_rate)}
            self.log.append(row)
            if logs['val_loss'] < self.best:
                self.best, self.best_epoch, self.weights = float(logs['val_loss']), epoch + 1, self.model.get_weights()
            if epoch % 10 == 0: print(f"  epoch {epoch + 1:4d}  {row['seconds']:6.0f} s  loss {row['loss']:7.2f}  val {row['val_loss']:7.2f}  "
                                      f"best {self.best:7.2f} (epoch {self.best_epoch})  lr {row['lr']:.1e}", flush=True)
            if time.time() - t0 > budget or epoch + 1 - self.best_epoch > a.patience and self.best_epoch: self.model.stop_training = True

    name = f"{'IWAE k=' + str(a.k) if a.k > 1 else 'VAE'} 784-{'-'.join(map(str, hidden))}-{a.latent_dim} {a.activation}"
    print(f"density benchmark: {name}, batch {a.batch_size}, Adam {a.lr:g}→{a.lr_end:g}, "
          f"budget {a.minutes:g} min{', from ' + a.init if a.init else ''}; {len(x_train):,}/{len(x_valid):,}/{len(x_test):,} images", flush=True)
    ctl = Control()
    train_vae(model, x_train, x_valid, epochs=a.max_epochs, batch_size=a.batch_size, learning_rate=a.lr, seed=a.seed,
              callbacks=[ctl], verbose=0)
    train_s = time.time() - t0
    model.set_weights(ctl.weights)
    print(f"trained {ctl.epochs} epochs in {train_s / 60:.1f} min; best validation loss {ctl.best:.2f} at epoch {ctl.best_epoch}", flush=True)
    out = Path(a.out) if a.out else None
    if out:   # the trained model first: evaluation takes a while, and a later run can start from it (--init)
        out.mkdir(parents=True, exist_ok=True)
        save_vae(model, out / 'model.keras')
        (out / 'history.json').write_text(json.dumps(ctl.log, indent=1))
    report(a, model, name, x_test, tf, keras, epochs=ctl.epochs, best_epoch=ctl.best_epoch, best_val_loss=round(ctl.best, 2),
           train_minutes=round(train_s / 60, 1), init=a.init)

def from_recipe(a, x_test, tf, keras):
    "--recipe: train the package's recipe into --out (its .npz and manifest entry, as `python -m vae_tutorial.pretrained` writes them), then evaluate the weights as shipped."
    from vae_tutorial.pretrained import RECIPES, read_manifest, ship, write_manifest, load_pretrained
    if a.recipe not in RECIPES: sys.exit(f"--recipe {a.recipe}: no such recipe; the names are: {', '.join(RECIPES)}")
    if a.quick: sys.exit("--recipe trains the full recipe; for a smoke test use --quick without it")
    out = Path(a.out or f'runs/{a.recipe}')
    models = read_manifest(out)
    if a.recipe in models and not a.overwrite: print(f"{out.name}/ already has {a.recipe}: evaluating it (add --overwrite to train it again)", flush=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
        print(f"training recipe {a.recipe} ({RECIPES[a.recipe].epochs} epochs) into {out.name}/", flush=True)
        models[a.recipe] = ship(a.recipe, out, judges={})
        write_manifest(out, models)
    entry, run = models[a.recipe], load_pretrained(a.recipe, out)
    val = entry['history'].get('val_loss') or [math.nan]
    best = min(range(len(val)), key=val.__getitem__)
    report(a, run.model, f"{a.recipe}: {entry['what']}", x_test, tf, keras, epochs=entry['epochs'], best_epoch=best + 1,
           best_val_loss=round(val[best], 2), train_minutes=round(entry['seconds'] / 60, 1), init=None, recipe=a.recipe, weights_sha256=entry['sha256'])

def report(a, model, name, x_test, tf, keras, **training):
    "Estimate the test NLL of `model`, print the table beside the published figures, and write results.json to --out."
    from vae_tutorial.evaluate import evaluate_nll, active_units
    nll = evaluate_nll(model, x_test, k=a.eval_k, seed=a.seed)
    units = active_units(model, x_test)
    result = {'model': name, 'test_nll': round(nll.nll, 2), 'stderr': round(nll.stderr, 2), 'test_neg_elbo': round(nll.neg_elbo, 2),
              'bits_per_dim': round(nll.bits_per_dim, 4), 'eval_k': a.eval_k, 'test_images': nll.n, 'eval_seconds': round(nll.seconds),
              **training, 'active_units': units, 'args': vars(a), 'date': utc_now(),
              'machine': machine(), 'commit': commit(), 'versions': versions(tf, keras)}
    out = Path(a.out) if a.out else None
    if out and not a.recipe: (out / 'results.json').write_text(json.dumps(result, indent=1))   # a recipe's folder holds weights only (it may be the package's)
    print()
    header(f"Test NLL on static binarized MNIST (k={a.eval_k}, {nll.n:,} test images), vae_tutorial benchmarks/density.py",
           **{k: result[k] for k in ('date', 'machine', 'versions', 'commit')},
           training=f"{training['epochs']} epochs, {training['train_minutes']} min (best validation at epoch {training['best_epoch']}); evaluation {nll.seconds / 60:.1f} min")
    print()
    print(f"| {'model':48} | test NLL (nats) | source |")
    print(f"|{'-' * 50}|----------------:|--------|")
    print(f"| **{name} (this run)**{' ' * max(0, 48 - len(name) - 15)} | **{nll.nll:.2f} ± {nll.stderr:.2f}** | {nll.bits_per_dim:.4f} bits/dim; −ELBO {nll.neg_elbo:.2f}; {units} active units |")
    for model_name, value, source in PUBLISHED: print(f"| {model_name:48} | {value:15.2f} | {source} |")
    print()
    result_line({k: v for k, v in result.items() if k != 'args'})

if __name__ == '__main__': main()
