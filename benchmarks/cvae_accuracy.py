"""CVAE conditional accuracy: for each digit d, the fraction of `cvae.generate(d)` images that an MNIST classifier labels d.

Trains two dense CVAEs (784-512-256, latent_dim 4, the 04_cvae notebook's full-run models), one with the standard
prior N(0, I) and one with the learned prior p(z|y), on the 60,000 MNIST training images, then generates
`--per_digit` images of each digit from each and classifies them. The classifier is the package's
(`vae_tutorial.classifier.get_classifier`: trained once on MNIST train and cached, or loaded from the cache); its own
test accuracy is printed too, because the CVAE numbers cannot be read more precisely than it.

    export VAE_TUTORIAL_DATA=/path/to/folder/with/mnist.npz
    python benchmarks/cvae_accuracy.py              # 15 epochs per model, about 5 min here
    python benchmarks/cvae_accuracy.py --quick      # 1 epoch on 10k images, a smoke test
"""
import os, sys, time, argparse
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
from common import commit, header, machine, result_line, utc_now, versions

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--epochs', type=int, default=15)
    p.add_argument('--latent_dim', type=int, default=4)
    p.add_argument('--per_digit', type=int, default=1000, help='images generated per digit')
    p.add_argument('--classifier', default=None, help='classifier cache file (default: the package cache)')
    p.add_argument('--quick', action='store_true')
    a = p.parse_args()
    from vae_tutorial.backend import import_tensorflow
    tf = import_tensorflow()
    import numpy as np, keras
    from vae_tutorial.data import load_mnist
    from vae_tutorial.models import make_cvae
    from vae_tutorial.training import train_vae
    from vae_tutorial.classifier import get_classifier, conditional_accuracy
    mnist = load_mnist()
    if mnist.source == 'sample': sys.exit("cvae_accuracy.py needs full MNIST: set VAE_TUTORIAL_DATA to the folder holding mnist.npz")
    (x, y), (xt, yt) = mnist.train, mnist.test
    if a.quick: x, y, a.epochs, a.per_digit = x[:10000], y[:10000], 1, 100
    t0 = time.time()
    clf = get_classifier(x if not a.quick else mnist.train.x, y if not a.quick else mnist.train.y,
                         path=a.classifier or (Path('/tmp') / 'vae_tutorial_quick_classifier.keras' if a.quick else None))
    clf_acc = float(np.mean(np.argmax(clf.predict(xt, verbose=0), 1) == yt))
    rows = {}
    for prior in ('standard', 'learned'):
        keras.utils.set_random_seed(0)
        cvae = make_cvae('dense', latent_dim=a.latent_dim, prior=prior, seed=0)
        t = time.time()
        h = train_vae(cvae, x, xt, epochs=a.epochs, verbose=0, y=y, y_val=yt)
        acc = conditional_accuracy(cvae, clf, n_per_digit=a.per_digit, seed=0)
        rows[prior] = {'per_digit': [round(float(v), 4) for v in acc['per_digit']], 'overall': round(acc['overall'], 4),
                       'test_neg_elbo': round(float(h.history['val_loss'][-1]), 2), 'train_seconds': round(time.time() - t)}
        print(f"{prior:8} prior: {a.epochs} epochs in {rows[prior]['train_seconds']} s, test −ELBO {rows[prior]['test_neg_elbo']}, "
              f"conditional accuracy {acc['overall']:.2%}", flush=True)
    date = utc_now()
    print()
    header('CVAE conditional accuracy (%), vae_tutorial benchmarks/cvae_accuracy.py', date=date, machine=machine(),
           versions=versions(tf, keras), commit=commit(),
           setup=f"dense CVAE 784-512-256-{a.latent_dim}, {a.epochs} epochs on {len(x):,} MNIST images; {a.per_digit} generated "
                 f"images per digit; classifier test accuracy {clf_acc:.2%}; total {time.time() - t0:.0f} s")
    print()
    print('| prior    | ' + ' | '.join(str(d) for d in range(10)) + ' | overall | test −ELBO |')
    print('|----------|' + '---:|' * 10 + '--------:|-----------:|')
    for prior, r in rows.items():
        print(f"| {prior:8} | " + ' | '.join(f"{100 * v:.1f}" for v in r['per_digit']) + f" | {100 * r['overall']:.1f} | {r['test_neg_elbo']} |")
    print()
    result_line({'date': date, 'commit': commit(), 'classifier_accuracy': round(clf_acc, 4), 'epochs': a.epochs, **rows})

if __name__ == '__main__': main()
