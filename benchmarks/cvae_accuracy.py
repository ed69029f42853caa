"""CVAE conditional accuracy against latent size: the fraction of `cvae.generate(d)` images that an MNIST classifier labels d.

For each architecture and latent size, trains one CVAE with the default recipe (`make_cvae(arch, latent_dim, prior)`,
`train_vae` with its defaults: Adam 1e-3, batch 128, dynamic binarization) on the 60,000 MNIST training images, then
generates `--per_digit` images of each digit in several ways from the *same* trained model and classifies them:

- `prior`: z ~ p(z|y), the prior the model was trained with (what `generate` did before the class Gaussians);
- `class_diag`: z from a diagonal Gaussian per class, matched to the codes the encoder gives that class's training images;
- `class_full`: z from the full-covariance Gaussian per class that `fit` stores (`fit_class_codes`), N(μ_y, Σ_y);
- `class_full_0.9` and `generate`: the same Gaussian at temperature τ, N(μ_y, τ²Σ_y), with τ = 0.9 and with
  τ = `models.TEMPERATURE` (what `generate` does);
- `aggregate`: z drawn from the encoder's own mixture Σ_i q(z|x_i,y)/n_y (a training image of the class, then its
  posterior), the reference that a single Gaussian per class can at best approach.

It also restyles the 10,000 test digits (`restyle`, each to another digit) and reports how many read as their new label.
The classifier is the package's (`vae_tutorial.classifier.get_classifier`: trained once and cached); its own test
accuracy is printed, because the CVAE numbers cannot be read more precisely than it.

    export VAE_TUTORIAL_DATA=/path/to/folder/with/mnist.npz
    python benchmarks/cvae_accuracy.py --arch dense,conv --latent_dims 2,4,8,16,32 --epochs dense:15,conv:8 --models runs/cvae
    python benchmarks/cvae_accuracy.py --quick      # 1 epoch on 10k images, 4-D, a smoke test
"""
import os, sys, time, argparse
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
from common import commit, header, machine, result_line, utc_now, versions

def accuracy(classifier, images, digits) -> float:
    import numpy as np
    return float(np.mean(np.argmax(classifier.predict(images, verbose=0, batch_size=1000), 1) == digits))

def candidates(cvae, classifier, x, y, per_digit, seed=0) -> dict:
    "Conditional accuracy of each way of drawing z, per digit averaged; `x`, `y` are the (binarized) training images the class Gaussians came from."
    import numpy as np
    from vae_tutorial.models import fit_class_gaussians
    mean, log_var = cvae.encode(x, y)
    fitted = cvae.class_codes
    diag = fit_class_gaussians(mean, log_var, y, cvae.num_classes)
    out = {k: [] for k in ('prior', 'class_diag', 'class_full', 'class_full_0.9', 'generate', 'aggregate')}
    for d in range(cvae.num_classes):
        rng = np.random.default_rng(seed + d)
        eps = rng.standard_normal((per_digit, cvae.latent_dim)).astype(np.float32)
        codes = np.flatnonzero(y == d)[rng.integers(0, np.sum(y == d), per_digit)]
        cvae.set_class_codes(None)
        z = {'prior': cvae.code_of_style(eps, d)}
        cvae.set_class_codes({'mean': diag['mean'], 'scale': np.sqrt(np.sum(diag['scale'] ** 2, 2))[:, :, None] * np.eye(cvae.latent_dim, dtype=np.float32)})
        z['class_diag'] = cvae.code_of_style(eps, d)
        for key, tau in (('class_full', 1.0), ('class_full_0.9', 0.9)):
            cvae.set_class_codes(fitted | {'temperature': tau})
            z[key] = cvae.code_of_style(eps, d)
        cvae.set_class_codes(fitted)
        z['aggregate'] = mean[codes] + np.exp(0.5 * log_var[codes]) * eps
        for k, v in z.items(): out[k].append(accuracy(classifier, cvae.decode(v, d), d))
        out['generate'].append(accuracy(classifier, cvae.generate(d, per_digit, seed=seed + d), d))
    return {k: round(float(np.mean(v)), 4) for k, v in out.items()} | {'generate_per_digit': [round(v, 3) for v in out['generate']]}

def report(rows, epoch_text, setup_tail, runs, machine_line, versions_line, classifier_accuracy, temperature, per_digit, prior):
    "Print the header, the markdown table and the closing JSON line for `rows`."
    date = utc_now()
    print()
    header('CVAE conditional accuracy (%) against latent size, vae_tutorial benchmarks/cvae_accuracy.py', date=date,
           machine=machine_line, versions=versions_line, commit=commit(),
           setup=f"make_cvae(arch, latent_dim, prior='{prior}'), {epoch_text} epochs on 60,000 MNIST images; {per_digit} images "
                 f"per digit and way of drawing z; classifier test accuracy {classifier_accuracy:.2%}; {setup_tail}")
    print()
    print(f'| arch | latent | epochs | z ~ prior | diagonal Gaussian per class | full Gaussian per class | full, τ = 0.9 | `generate` (full, τ = {temperature}) | encoder mixture | restyle |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for r in sorted(rows, key=lambda r: (r['arch'] != 'dense', r['latent_dim'])):
        print(f"| {r['arch']} | {r['latent_dim']} | {r['epochs']} | " + ' | '.join(f"{100 * r[k]:.1f}" for k in ('prior', 'class_diag', 'class_full', 'class_full_0.9', 'generate', 'aggregate', 'restyle')) + ' |')
    print()
    result_line({'date': date, 'commit': commit(), 'machine': machine_line, 'versions': versions_line,
                 'classifier_accuracy': classifier_accuracy, 'epochs': epoch_text, 'prior': prior, 'temperature': temperature, 'per_digit': per_digit, 'runs': runs, 'rows': rows})

def epochs_text(rows) -> str:
    used = {r['arch']: r['epochs'] for r in rows}
    return str(next(iter(used.values()))) if len(set(used.values())) == 1 else ', '.join(f"{n} ({arch})" for arch, n in used.items())

def join(files):
    "One report from the closing JSON lines of several saved runs (same classifier, temperature and prior)."
    import json
    def last_run(path):        # the closing JSON line, with the machine and versions lines of the header where it lacks them
        lines = Path(path).read_text(encoding='utf-8').splitlines()
        run = next(json.loads(l) for l in reversed(lines) if l.startswith('{'))
        for key in ('machine', 'versions'): run.setdefault(key, next((l[10:] for l in lines if l.startswith(f"{key:<9} ")), ''))
        return run
    runs = [last_run(f) for f in files]
    for key in ('classifier_accuracy', 'temperature', 'prior', 'per_digit'):
        if len({json.dumps(r[key]) for r in runs}) > 1: sys.exit(f"cvae_accuracy.py --join: the runs differ in {key}; join only runs of one setting")
    rows = [row for r in runs for row in r['rows']]
    r0 = runs[0]
    report(rows, epochs_text(rows), f"joined from {len(runs)} runs", [f"{r['date']}, {r['commit']}" for r in runs],
           r0['machine'], r0['versions'], r0['classifier_accuracy'], r0['temperature'], r0['per_digit'], r0['prior'])

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--arch', default='dense', help="'dense', 'conv' or both: 'dense,conv'")
    p.add_argument('--latent_dims', default='2,4,8,16,32')
    p.add_argument('--prior', default='standard', help="the prior trained with: 'standard' or 'learned'")
    p.add_argument('--epochs', default='15', help="training epochs: one number for all, or per architecture, e.g. 'dense:15,conv:8'")
    p.add_argument('--per_digit', type=int, default=500, help='images generated per digit and way of drawing')
    p.add_argument('--models', default=None, help='folder to save the trained models in, and to load them from when there')
    p.add_argument('--classifier', default=None, help='classifier cache file (default: the package cache)')
    p.add_argument('--join', nargs='+', default=None, metavar='FILE', help="join the rows of saved runs (their outputs) into one table; trains nothing")
    p.add_argument('--quick', action='store_true')
    a = p.parse_args()
    if a.join: return join(a.join)
    from vae_tutorial.backend import import_tensorflow
    tf = import_tensorflow()
    import numpy as np, keras
    from vae_tutorial.data import load_mnist, binarize
    from vae_tutorial.models import make_cvae, save_vae, load_vae, TEMPERATURE
    from vae_tutorial.training import train_vae
    from vae_tutorial.classifier import get_classifier
    mnist = load_mnist()
    if mnist.source == 'sample': sys.exit("cvae_accuracy.py needs full MNIST: set VAE_TUTORIAL_DATA to the folder holding mnist.npz")
    (x, y), (xt, yt) = mnist.train, mnist.test
    archs, dims = a.arch.split(','), [int(d) for d in a.latent_dims.split(',')]
    epochs = ({k: int(v) for k, v in (kv.split(':') for kv in a.epochs.split(','))} if ':' in a.epochs
              else {arch: int(a.epochs) for arch in archs})
    if a.quick: x, y, epochs, a.per_digit, dims = x[:10000], y[:10000], {arch: 1 for arch in archs}, 100, [4]
    t0 = time.time()
    clf = get_classifier(x, y, path=a.classifier or (Path('/tmp') / 'vae_tutorial_quick_classifier.keras' if a.quick else None))
    clf_acc = accuracy(clf, xt, yt)
    x_bin = binarize(x, seed=0)
    new = (yt + 1 + np.arange(len(yt)) % 9) % 10          # every test digit restyled as another digit, all nine evenly
    rows = []
    for arch in archs:
        for d in dims:
            path = a.models and Path(a.models) / f'{arch}_{d}_{a.prior}_{epochs[arch]}.keras'
            t = time.time()
            if path and path.is_file():
                cvae, trained = load_vae(path), 'loaded'
                cvae.fit_class_codes(x_bin, y)        # with this version's defaults
            else:
                keras.utils.set_random_seed(0)
                cvae = make_cvae(arch, latent_dim=d, prior=a.prior, seed=0)
                h = train_vae(cvae, x, xt, epochs=epochs[arch], verbose=0, y=y, y_val=yt)
                trained = f"{time.time() - t:.0f} s, test −ELBO {h.history['val_loss'][-1]:.2f}"
                if path: save_vae(cvae, path)
            r = {'arch': arch, 'latent_dim': d, 'epochs': epochs[arch], **candidates(cvae, clf, x_bin, y, a.per_digit),
                 'restyle': round(accuracy(clf, cvae.restyle(xt, yt, new), new), 4), 'trained': trained}
            rows.append(r)
            print(f"{arch:5} {d:2d}-D, {epochs[arch]} epochs ({trained}): " + ', '.join(f"{k} {v:.1%}" for k, v in r.items() if isinstance(v, float)), flush=True)
    report(rows, epochs_text(rows), f"total {time.time() - t0:.0f} s", [], machine('the end'), versions(tf, keras),
           round(clf_acc, 4), TEMPERATURE, a.per_digit, a.prior)

if __name__ == '__main__': main()
