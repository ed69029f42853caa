#!/usr/bin/env python
"""Your own images, end to end, as a user would do it: a folder of RGB PNGs in class sub-folders, trained from the
command line, then each class drawn by its folder name and judged by colour.

This script knows nothing of the package: it writes the folder with Pillow and NumPy, calls the console scripts
`vae_tutorial_train` and `vae_tutorial_generate` as a shell would, and judges the PNGs they write by their
pixels alone. The classes differ in colour and shape (red discs, green squares, blue triangles on white), so a
class can be told from a picture without any classifier: among the clearly coloured pixels of the grid drawn
for a class, the class's own channel must dominate.

    python tools/folder_check.py --out /tmp/folder_check            # about a minute on 2 cores
    python tools/folder_check.py --out /tmp/fc --per_class 300 --epochs 40 --image_size 48

Exit status 0 when every check passes, 1 otherwise; the last line says how many passed.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np
from PIL import Image, ImageDraw

CLASSES = {'red_discs': 0, 'green_squares': 1, 'blue_triangles': 2}   # folder name -> its dominant RGB channel

def draw_image(rng, cls, size=40):
    "One picture of class `cls`: a coloured shape of random size, place and shade on a white canvas."
    img = Image.new('RGB', (size, size), (255, 255, 255))
    d = ImageDraw.Draw(img)
    r = rng.uniform(0.22, 0.38) * size
    cx, cy = rng.uniform(r, size - r, 2)
    colour = [int(rng.uniform(20, 90)) for _ in range(3)]
    colour[CLASSES[cls]] = int(rng.uniform(190, 255))
    colour = tuple(colour)
    if cls == 'red_discs': d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif cls == 'green_squares': d.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
    else: d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    return img

def make_folder(root, per_class, seed=0):
    "Write `per_class` PNGs into one sub-folder per class under `root`."
    rng = np.random.default_rng(seed)
    for cls in CLASSES:
        (root/cls).mkdir(parents=True, exist_ok=True)
        for i in range(per_class): draw_image(rng, cls).save(root/cls/f'{i:04d}.png')

def dominant_channel_share(png, channel):
    "Among the clearly coloured pixels of a PNG (saturation > 0.35), the share whose largest channel is `channel`."
    a = np.asarray(Image.open(png).convert('RGB'), np.float32) / 255
    hi, lo = a.max(-1), a.min(-1)
    coloured = (hi - lo) > 0.35 * np.maximum(hi, 1e-6)
    if coloured.sum() < 50: return 0.0, int(coloured.sum())
    return float((a.argmax(-1)[coloured] == channel).mean()), int(coloured.sum())

def sh(cmd, log):
    "Run a console script; keep its output in the log; raise on failure."
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    log.write(f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}\n")
    if r.returncode: raise SystemExit(f"{cmd[0]} failed (exit {r.returncode}):\n{r.stdout[-1500:]}{r.stderr[-1500:]}")
    return r.stdout, time.time() - t

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', required=True, help='a scratch folder for the images, the run and the PNGs')
    p.add_argument('--per_class', type=int, default=200)
    p.add_argument('--image_size', type=int, default=32)
    p.add_argument('--epochs', type=int, default=40)
    p.add_argument('--min_share', type=float, default=0.8, help="the class's channel must dominate this share of coloured pixels")
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    folder, run = out/'my_pictures', out/'run'
    make_folder(folder, a.per_class)
    passed, failed = 0, 0
    def check(ok, what):
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'PASS' if ok else 'FAIL'}  {what}")
    with open(out/'log.txt', 'w') as log:
        train, secs = sh(['vae_tutorial_train', '--dataset', str(folder), '--image_size', str(a.image_size), '--model', 'cvae',
                          '--latent_dim', '4', '--epochs', str(a.epochs), '--batch_size', '32', '--out', str(run)], log)
        print(f"trained in {secs:.0f} s; its last lines:\n  " + '\n  '.join(train.strip().splitlines()[-2:]))
        h = json.loads((run/'history.json').read_text())
        check(list(h['data']['image_shape']) == [a.image_size, a.image_size, 3],
              f"the model takes {a.image_size}×{a.image_size} RGB images (history.json: {h['data']['image_shape']})")
        check(sorted(h['data']['class_names']) == sorted(CLASSES), f"class names from the folder names: {h['data']['class_names']}")
        for cls, channel in CLASSES.items():
            png = out/f'{cls}.png'
            sh(['vae_tutorial_generate', '--model', str(run), '--label', cls, '--n', '16', '--ncol', '8', '--out', str(png)], log)
            img = Image.open(png)
            share, n = dominant_channel_share(png, channel)
            check(img.mode in ('RGB', 'RGBA') and share >= a.min_share,
                  f"--label {cls}: {share:.0%} of {n:,} coloured pixels are {'RGB'[channel]}-dominant (need {a.min_share:.0%}), {img.mode} {img.size}")
        sh(['vae_tutorial_generate', '--model', str(run), '--label', '1', '--n', '8', '--out', str(out/'by_index.png')], log)
        share, n = dominant_channel_share(out/'by_index.png', CLASSES[sorted(CLASSES)[1]])
        check(share >= a.min_share, f"--label 1 (an index: {sorted(CLASSES)[1]}): {share:.0%} dominant")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
