"""Does the default `vae_tutorial_train --dataset DIR --model cvae` learn on folders of any size?

For each folder (colour: a disc or a square in one of three colours, the colour is the class, on a plain black or a
noisy dark background; grey: real MNIST training digits as PNG class folders), this writes the folder, trains with
the default command (no --epochs, no --batch_size: `schedule_for` chooses them from the folder's size) and measures
conditional accuracy with an independent judge: a small CNN defined here, trained on *separate* images of the same
kind (freshly drawn shapes with another seed; MNIST test digits), never on the folder or the package's own judge.
It draws 100 images per class with `vae.generate` and reports the share the judge reads as the class asked for.

    export VAE_TUTORIAL_DATA=/path/to/folder/with/mnist.npz
    python benchmarks/folder_defaults.py --sizes 300,3000 --kinds colour-noisy,colour-plain,grey --work /tmp/folders
    python benchmarks/folder_defaults.py --sizes 60 --kinds colour-noisy --quick     # a smoke test

It prints one row per folder, then the JSON line that ends every report (08's table shows the recorded one); `--json
FILE` also writes the rows there, keeping the rows of folders an earlier run with the same `--json` measured.
"""
import os, sys, json, time, argparse, subprocess
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from pathlib import Path
import numpy as np
from common import ROOT, commit, header, machine, result_line, utc_now

COLOURS = {'red': (220, 50, 40), 'green': (40, 200, 60), 'blue': (50, 80, 230)}   # the classes of the colour folders

def draw_shape(rng, colour, noisy, size=32):
    "One picture: a disc or a square of `colour` (jittered), at a random place and size, on a black or a noisy dark background."
    from PIL import Image, ImageDraw
    bg = np.clip(rng.normal(30, 20, (size, size, 3)), 0, 255) if noisy else np.zeros((size, size, 3))
    im = Image.fromarray(bg.astype(np.uint8)); d = ImageDraw.Draw(im)
    r = rng.integers(size // 6, size // 3); cx, cy = rng.integers(r, size - r, 2)
    fill = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in colour)
    (d.ellipse if rng.random() < 0.5 else d.rectangle)([cx - r, cy - r, cx + r, cy + r], fill=fill)
    return im

def write_folder(path, kind, n, seed, offset=0):
    "Write `n` pictures of `kind` (colour-noisy, colour-plain or grey) in class sub-folders; grey: MNIST training digits from `offset`."
    from PIL import Image
    path = Path(path)
    if path.exists(): return path
    if kind == 'grey':
        from vae_tutorial.data import load_mnist
        x, y = load_mnist(download=False).train if offset >= 0 else load_mnist(download=False).test
        for i in range(n):
            j = abs(offset) + i
            (path/str(y[j])).mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.round(x[j, ..., 0] * 255).astype(np.uint8)).save(path/str(y[j])/f'{j:05d}.png')
        return path
    rng = np.random.default_rng(seed)
    for i in range(n):
        name = list(COLOURS)[i % 3]
        (path/name).mkdir(parents=True, exist_ok=True)
        draw_shape(rng, COLOURS[name], kind == 'colour-noisy').save(path/name/f'{i:05d}.png')
    return path

def train_judge(folder, epochs):
    "A small CNN of our own, trained on the folder of held-out pictures: (model, its accuracy on a fifth of them kept aside)."
    from vae_tutorial.backend import keras
    from vae_tutorial.data import load_dataset
    d = load_dataset(str(folder), image_size=32)
    x = np.concatenate([s.x for s in d.splits.values()]); y = np.concatenate([s.y for s in d.splits.values()])
    idx = np.random.default_rng(0).permutation(len(x)); cut = len(x) // 5
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Conv2D(32, 3, activation='relu'), keras.layers.MaxPooling2D(),
                          keras.layers.Conv2D(64, 3, activation='relu'), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                          keras.layers.Dropout(0.3), keras.layers.Dense(len(d.class_names), activation='softmax')])
    m.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])
    m.fit(x[idx[cut:]], y[idx[cut:]], epochs=epochs, batch_size=64, verbose=0)
    return m, float((m.predict(x[idx[:cut]], verbose=0).argmax(1) == y[idx[:cut]]).mean()), list(d.class_names)

def judged(run_dir, judge, judge_classes, per_class=100):
    "The share of `per_class` generated images per class that the judge reads as the class asked for."
    from vae_tutorial.models import load_vae
    vae = load_vae(Path(run_dir)/'model.keras')
    assert list(vae.class_names) == judge_classes, (vae.class_names, judge_classes)
    hits = [(judge.predict(vae.generate(c, per_class, seed=0), verbose=0).argmax(1) == c).mean() for c in range(vae.num_classes)]
    return float(np.mean(hits))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--sizes', default='300,3000'); p.add_argument('--kinds', default='colour-noisy,colour-plain,grey')
    p.add_argument('--work', default='/tmp/folder_defaults'); p.add_argument('--json', default=None)
    p.add_argument('--quick', action='store_true', help='a smoke test: --epochs 2 (not the default command)')
    p.add_argument('--rejudge', action='store_true', help='judge the runs already in --work (and in --json) again, without training')
    a = p.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    header('Default vae_tutorial_train --model cvae on folders of pictures, judged by an independent classifier',
           commit=commit(), date=utc_now(), machine=machine('start'))
    rows = []                 # with --json: the rows of earlier runs of other folders too, so that sizes can be run one at a time
    old = json.loads(Path(a.json).read_text()) if a.json and Path(a.json).exists() else []
    for kind in a.kinds.split(','):
        n_judge = 9_999 if kind == 'grey' else 3_000        # grey: all MNIST test digits but the first; ten classes need more
        judge_dir = write_folder(work/f'{kind}-judge-{n_judge}', kind, n_judge, seed=12345, offset=-1)
        judge, judge_acc, classes = train_judge(judge_dir, epochs=5 if a.quick else 8)
        print(f"judge of {kind}: {judge_acc:.1%} of its own held-out pictures right", flush=True)
        for n in map(int, a.sizes.split(',')):
            folder = write_folder(work/f'{kind}-{n}', kind, n, seed=n)
            cmd = ['vae_tutorial_train', '--dataset', str(folder), '--model', 'cvae', '--out', str(work/f'run-{kind}-{n}'), '--overwrite',
                   *(['--epochs', '2'] if a.quick else [])]
            start, before = time.time(), next((r for r in old if r['folder'] == f'{kind}-{n}'), None)
            if not (a.rejudge and before):                            # --rejudge: the trained run, judged again, its time kept
                out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)})
                if out.returncode: print(out.stdout[-2000:], out.stderr[-2000:]); sys.exit(out.returncode)
                print(next(l for l in out.stdout.splitlines() if l.startswith('Training a')), flush=True)
            h = json.loads((work/f'run-{kind}-{n}'/'history.json').read_text())
            rows.append(dict(folder=f'{kind}-{n}', images=n, train_images=h['train_images'], classes=len(classes), colour=kind != 'grey',
                             background={'colour-noisy': 'noisy dark', 'colour-plain': 'plain black', 'grey': 'plain (MNIST)'}[kind],
                             epochs=h['epochs'], batch=h.get('batch_size'), steps=h.get('steps'), seconds=before['seconds'] if a.rejudge and before else round(time.time() - start),
                             train_seconds=h['seconds'], accuracy=round(judged(work/f'run-{kind}-{n}', judge, classes), 3),
                             own_judge=h['test']['conditional_accuracy']['overall'], judge_on_held_out=round(judge_acc, 3),
                             still_improving=h.get('still_improving'), likelihood=h['test']['likelihood']))
            print(f"{kind}-{n}: " + ', '.join(f'{k}={v}' for k, v in rows[-1].items()), flush=True)
    done = {r['folder'] for r in rows}
    rows = [r for r in old if r['folder'] not in done] + rows
    print(f"\n{'folder':<18}{'images':>7}{'classes':>8}  {'colour':<7}{'background':<14}{'epochs':>7}{'batch':>6}{'steps':>7}{'seconds':>8}{'accuracy':>9}")
    for r in rows:
        print(f"{r['folder']:<18}{r['images']:>7,}{r['classes']:>8}  {'RGB' if r['colour'] else 'grey':<7}{r['background']:<14}"
              f"{r['epochs']:>7}{r['batch']:>6}{r['steps']:>7,}{r['seconds']:>8}{r['accuracy']:>9.1%}")
    print(f"(seconds: the whole command, data loading and its own judge included, on a shared CPU, beside whatever else ran; {machine('the end')})")
    if a.json: Path(a.json).write_text(json.dumps(rows, indent=1) + '\n')
    result_line({'benchmark': 'folder_defaults', 'commit': commit(), 'rows': rows})

if __name__ == '__main__': main()
