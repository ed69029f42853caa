"""Density levers, side by side: each of the package's density options trained for the same number of epochs on
statically binarized MNIST, then its test NLL (importance sampling), −ELBO, KL and active units on the same test images.

The rows change one thing at a time from the dense VAE of the density literature (784-500-500-50 tanh):
the architecture (convolutional networks; an autoregressive pixel decoder where the package has one), KL warm-up,
free bits, a learned mixture prior, and training on the IWAE bound. Model selection uses the validation split only
(the epoch with the best validation loss). The table is written as JSON (`--out`) for 05_evaluation to show.

    export VAE_TUTORIAL_DATA=/path/to/folder/with/binarized_mnist.npz
    python benchmarks/density_levers.py --out vae_tutorial/assets/density_levers.json   # every lever, 20 epochs each
    python benchmarks/density_levers.py --only dense,warmup --epochs 5                   # some of them
    python benchmarks/density_levers.py --quick                                          # tiny subsets: checks it runs
"""
import os, sys, time, json, math, argparse
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
from common import commit, header, machine, result_line, utc_now, versions

def levers(latent=50, hidden=(500, 500)):
    "name -> (what it changes, a function that builds the model); every model seeded the same."
    from vae_tutorial.models import build_density_vae, make_vae
    rows = {
        'dense':   ('dense VAE 784-500-500-50 tanh (the reference)', lambda: build_density_vae(hidden, latent, seed=0)),
        'conv':    ('convolutional encoder and decoder', lambda: make_vae('conv', latent, seed=0)),
        'warmup':  ('KL warm-up over the first 10 epochs', lambda: build_density_vae(hidden, latent, seed=0, kl_warmup=10)),
        'freebits': ('free bits, 0.25 nats per latent dimension', lambda: build_density_vae(hidden, latent, seed=0, free_bits=0.25)),
        'mixture': ('learned mixture prior, 16 Gaussians', lambda: build_density_vae(hidden, latent, seed=0, prior='mixture')),
        'iwae5':   ('trained on the IWAE bound, k = 5', lambda: build_density_vae(hidden, latent, seed=0, k=5)),
        'pixel':   ('autoregressive pixel decoder + free bits 0.5 (32-D z)',
                    lambda: build_density_vae(hidden, 32, seed=0, pixel=True, free_bits=0.5)),
    }
    return rows

def parse():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--epochs', type=int, default=20, help='epochs per lever (the same budget for every row)')
    p.add_argument('--only', default='', help='comma-separated lever names (default: all)')
    p.add_argument('--test_images', type=int, default=1000, help='test images for the NLL, strided over the test split')
    p.add_argument('--eval_k', type=int, default=1000, help='importance samples per test image')
    p.add_argument('--batch_size', type=int, default=100)
    p.add_argument('--out', default=None, help='JSON file for the table (refused if it exists, unless --overwrite)')
    p.add_argument('--overwrite', action='store_true')
    p.add_argument('--merge', action='store_true', help='add these rows to the table already in --out (same epochs and evaluation), replacing rows of the same lever')
    p.add_argument('--quick', action='store_true', help='small subsets, 1 epoch: checks the script runs')
    return p.parse_args()

def main():
    a = parse()
    commit()   # read now: a run reports the commit it started from
    out = Path(a.out) if a.out else None
    if out and out.exists() and not (a.overwrite or a.merge): sys.exit(f"{out} exists; pass --overwrite to replace it, --merge to add rows to it, or another --out")
    if a.merge and not (out and out.exists()): sys.exit('--merge adds rows to an existing --out table; name one')
    from vae_tutorial.backend import import_tensorflow
    tf = import_tensorflow()
    tf.get_logger().setLevel('ERROR')   # one model after another: TensorFlow's retracing notes are expected
    import numpy as np, keras
    from vae_tutorial.data import load_binarized_mnist
    from vae_tutorial.training import train_vae
    from vae_tutorial.evaluate import evaluate_nll, active_units
    data = load_binarized_mnist()
    if data.source == 'sample' and not a.quick: sys.exit("density_levers.py needs the real binarized MNIST: set VAE_TUTORIAL_DATA to the folder holding binarized_mnist.npz")
    x_train, x_valid, x_test = data.train.x, data.valid.x, data.test.x
    if a.quick: x_train, x_valid, a.epochs, a.test_images, a.eval_k = x_train[:3000], x_valid[:500], 1, 100, 50
    test = x_test[::len(x_test) // a.test_images][:a.test_images]
    table = levers()
    names = [n for n in a.only.split(',') if n] or list(table)
    unknown = [n for n in names if n not in table]
    if unknown: sys.exit(f"unknown lever {unknown[0]!r}; choose from {', '.join(table)}")
    rows = []
    print(f"density levers: {a.epochs} epochs each, batch {a.batch_size}, Adam 1e-3; NLL with k={a.eval_k} on {len(test):,} test images", flush=True)
    for name in names:
        what, build = table[name]
        keras.backend.clear_session()   # one model after another: free the previous one's graphs
        keras.utils.set_random_seed(0)
        model = build()

        class Best(keras.callbacks.Callback):
            "Keep the weights of the epoch with the best validation loss (once any KL warm-up is over)."
            best, epoch, weights = math.inf, 0, None
            def on_epoch_end(self, epoch, logs=None):
                warm = getattr(self.model, 'kl_warmup', 0)
                if epoch + 1 > warm and logs['val_loss'] < self.best:
                    self.best, self.epoch, self.weights = float(logs['val_loss']), epoch + 1, self.model.get_weights()
        best, t0 = Best(), time.time()
        train_vae(model, x_train, x_valid, epochs=a.epochs, batch_size=a.batch_size, seed=0, callbacks=[best], verbose=0)
        minutes = (time.time() - t0) / 60
        if best.weights is not None: model.set_weights(best.weights)   # else (a run shorter than its warm-up): the last epoch's
        r = evaluate_nll(model, test, k=a.eval_k, seed=0)
        kl = float(np.mean(keras.ops.convert_to_numpy(model.kl(*model.encode(test), None))))
        row = {'lever': name, 'what': what, 'nll': round(r.nll, 2), 'stderr': round(r.stderr, 2), 'neg_elbo': round(r.neg_elbo, 2),
               'kl': round(kl, 2), 'active_units': active_units(model, test), 'latent_dim': model.latent_dim,
               'best_epoch': best.epoch, 'best_val_loss': round(best.best, 2), 'train_minutes': round(minutes, 1)}
        rows.append(row)
        print(f"  {name:9} NLL {r.nll:6.2f} ± {r.stderr:.2f}  −ELBO {r.neg_elbo:6.2f}  KL {kl:5.2f}  active {row['active_units']:2d}/{model.latent_dim}"
              f"  best epoch {best.epoch}  {minutes:.1f} min", flush=True)
    result = {'benchmark': 'density levers', 'epochs': a.epochs, 'batch_size': a.batch_size, 'eval_k': a.eval_k, 'test_images': len(test),
              'rows': rows, 'date': utc_now(), 'machine': machine('the end'), 'commit': commit(), 'versions': versions(tf, keras), 'quick': a.quick}
    print()
    header(f"Density levers on static binarized MNIST ({a.epochs} epochs each; NLL k={a.eval_k} on {len(test):,} test images)",
           **{k: result[k] for k in ('date', 'machine', 'versions', 'commit')})
    print("\n| lever | test NLL (nats) | −ELBO | KL | active units | minutes |\n|---|---:|---:|---:|---:|---:|")
    for r in rows: print(f"| {r['what']} | {r['nll']:.2f} ± {r['stderr']:.2f} | {r['neg_elbo']:.2f} | {r['kl']:.2f} | {r['active_units']}/{r['latent_dim']} | {r['train_minutes']} |")
    if a.merge:   # the other rows as they were recorded, each with its own commit and date
        old = json.loads(out.read_text())
        if (old['epochs'], old['eval_k'], old['test_images']) != (a.epochs, a.eval_k, len(test)): sys.exit('--merge: the table in --out used other epochs or evaluation; rerun all of it')
        for r in rows: r.update(date=result['date'], commit=result['commit'])
        new = {r['lever'] for r in rows}
        result['rows'] = [r for r in old['rows'] if r['lever'] not in new] + rows
        for k in ('date', 'commit', 'machine'): result[k] = old[k]
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + '\n')
    print()
    result_line({k: v for k, v in result.items() if k != 'rows'} | {'levers': {r['lever']: r['nll'] for r in rows}})

if __name__ == '__main__': main()
