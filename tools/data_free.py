"""The notebooks that read no data set: their run does not depend on which data path (`VAE_TUTORIAL_DATA`, the
bundled sample, a download) is taken, so CI's offline pass would only repeat the full-data pass for them.

    python tools/data_free.py            # their file names, one per line
    python tools/data_free.py --why      # every notebook, with what ties it to the data (or nothing)

A notebook counts as reading data when one of its code cells names a data-set loader (`load_mnist`,
`load_binarized_mnist`, `load_fashion_mnist`, `load_cifar10`, `load_dataset`, `load_sample`), the environment
variables that pick the data path (`VAE_TUTORIAL_DATA`, `VAE_TUTORIAL_OFFLINE`), a command or run that loads a data
set itself (`vae_tutorial_train`, `vae_tutorial_demo`, `TrainConfig`, `training_images`), or the MNIST classifier
without images of its own (`get_classifier()` or `get_classifier(path=...)`, which trains on MNIST when its cache
is missing). The test is on the source, so it errs on the safe side: a notebook that only mentions one of these
runs in both passes.
"""
import json, re, sys
from pathlib import Path

NBS = Path(__file__).resolve().parent.parent / 'nbs'
READS_DATA = re.compile(r'\bload_(mnist|binarized_mnist|fashion_mnist|cifar10|dataset|sample)\b|VAE_TUTORIAL_(DATA|OFFLINE)'
                        r'|\bvae_tutorial_(train|demo)\b|\bTrainConfig\b|\btraining_images\b|\bget_classifier\(\s*(\)|path\s*=|say\s*=|epochs\s*=)')

def ties(nb: Path) -> list:
    "What in `nb`'s code cells ties it to the data path (empty: nothing)."
    cells = json.loads(nb.read_text(encoding='utf-8'))['cells']
    code = '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code')
    return sorted({m.group(0) for m in READS_DATA.finditer(code)})

def notebooks():
    return sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))

if __name__ == '__main__':
    if '--why' in sys.argv[1:]:
        for nb in notebooks(): print(f"{nb.name:24} {', '.join(ties(nb)) or '(reads no data set)'}")
    else:
        for nb in notebooks():
            if not ties(nb): print(nb.name)
