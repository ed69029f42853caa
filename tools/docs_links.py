#!/usr/bin/env python
""""Open in Colab" and "Launch Binder" links for each tutorial page, built from settings.ini; and a check of their targets.

Which pages: the landing page (settings.ini `readme_nb`) and every notebook in the "Tutorial" section of the
hand-written nbs/sidebar.yml (01-06 and 08 today). The links are repository-relative:

    https://colab.research.google.com/github/{user}/{repo}/blob/{branch}/{nbs_path}/03_vae.ipynb
    https://mybinder.org/v2/gh/{user}/{repo}/{branch}?labpath={nbs_path}%2F03_vae.ipynb

`vae_tutorial.docs.ColabBinderLinks` (nbs/00_docs.ipynb) is the nbdev docs processor (settings.ini `procs`) that puts
the two links under the page title when the docs are built, so no notebook carries them. This script checks the
links it builds, from the repository root:

    python tools/docs_links.py            # every link's target is tracked by git: the notebook, .binder/ files

Exit status 0 when every target exists, 1 otherwise.
"""
import re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))   # the checkout's package, also when it is not installed
from vae_tutorial.docs import settings, tutorial_notebooks, notebook_links   # what the docs processor uses

BINDER_FILES = ('.binder/requirements.txt', '.binder/runtime.txt')

def tracked(root=ROOT) -> set:
    "Files tracked by git (or every file, outside a git checkout)."
    r = subprocess.run(['git', 'ls-files'], cwd=root, capture_output=True, text=True)
    if r.returncode: return {str(p.relative_to(root)) for p in Path(root).rglob('*') if p.is_file()}
    return set(r.stdout.splitlines())

def check(root=ROOT) -> list:
    "Problems with the links' targets: a linked notebook or a .binder/ file that git does not track; [] when all is well."
    cfg, files = settings(root), tracked(root)
    problems = []
    for name in tutorial_notebooks(root):
        l = notebook_links(name, cfg)
        if l['path'] not in files: problems.append(f'{name}: links point to {l["path"]}, which is not in the repository')
        if not re.fullmatch(r'https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w./-]+\.ipynb', l['colab']):
            problems.append(f'{name}: malformed Colab link {l["colab"]}')
    for f in BINDER_FILES:
        if f not in files: problems.append(f'Binder: {f} is not in the repository')
    req = Path(root)/'.binder'/'requirements.txt'
    if req.is_file() and not any(l.strip() in ('-e .', '.') for l in req.read_text().splitlines()):
        problems.append('.binder/requirements.txt does not install the package itself (a line "-e .")')
    return problems

if __name__ == '__main__':
    cfg = settings()
    for name in tutorial_notebooks():
        l = notebook_links(name, cfg)
        print(f'{name}: {l["colab"]}\n{" " * len(name)}  {l["binder"]}')
    problems = check()
    for p in problems: print(f'FAIL  {p}')
    print(f'docs_links: {len(tutorial_notebooks())} pages, {len(problems)} problems')
    sys.exit(1 if problems else 0)
