#!/usr/bin/env python
""""Open in Colab" and "Launch Binder" links for each tutorial page, built from settings.ini; and a check of their targets.

Which pages: the landing page (settings.ini `readme_nb`) and every notebook in the "Tutorial" section of the
hand-written nbs/sidebar.yml (01-06 and 08 today). The links are repository-relative:

    https://colab.research.google.com/github/{user}/{repo}/blob/{branch}/{nbs_path}/03_vae.ipynb
    https://mybinder.org/v2/gh/{user}/{repo}/{branch}?labpath={nbs_path}%2F03_vae.ipynb

`ColabBinderLinks` is an nbdev docs processor (settings.ini `procs`): it puts the two links under the page title
when the docs are built, so no notebook carries them. Checking, from the repository root:

    python tools/docs_links.py            # every link's target is tracked by git: the notebook, .binder/ files

Exit status 0 when every target exists, 1 otherwise.
"""
import configparser, re, subprocess, sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BINDER_FILES = ('.binder/requirements.txt', '.binder/runtime.txt')

def settings(root=ROOT) -> dict:
    "settings.ini's [DEFAULT] section."
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(Path(root)/'settings.ini', encoding='utf-8')
    return dict(cp['DEFAULT'])

def tutorial_notebooks(root=ROOT) -> list:
    "Notebook names that get the links: settings.ini's readme_nb, then the sidebar's Tutorial section, in order."
    import yaml
    cfg = settings(root)
    nbs = Path(root)/cfg.get('nbs_path', 'nbs')
    side = yaml.safe_load((nbs/'sidebar.yml').read_text(encoding='utf-8'))
    names = [cfg.get('readme_nb', 'index.ipynb')]
    def walk(items, inside):
        for it in items or []:
            if isinstance(it, dict) and 'section' in it: walk(it.get('contents'), inside or it['section'] == 'Tutorial')
            elif inside:
                href = it if isinstance(it, str) else it.get('href', '')
                if href.endswith('.ipynb') and href not in names: names.append(href)
    walk(side['website']['sidebar']['contents'], False)
    return names

def notebook_links(name: str, cfg: dict) -> dict:
    "Colab and Binder URLs of notebook `name` (a file in nbs_path) from settings.ini values `cfg`."
    user, repo, branch = cfg['user'], cfg.get('repo') or cfg['lib_name'], cfg.get('branch', 'main')
    path = f"{cfg.get('nbs_path', 'nbs').strip('/')}/{name}"
    return {'path': path,
            'colab': f'https://colab.research.google.com/github/{user}/{repo}/blob/{branch}/{path}',
            'binder': f'https://mybinder.org/v2/gh/{user}/{repo}/{branch}?labpath={quote(path, safe="")}'}

def links_markdown(name: str, cfg: dict) -> str:
    "The Markdown the processor puts under the title: two plain links (no remote badge images, so nothing to load)."
    l = notebook_links(name, cfg)
    return f'**Run this notebook yourself:** [Open in Colab]({l["colab"]}) · [Launch Binder]({l["binder"]})'

try:
    from nbdev.process import Processor
    from execnb.nbio import mk_cell
except ImportError: Processor = object   # the check below needs neither

class ColabBinderLinks(Processor):
    "nbdev docs processor: under the title of each tutorial page, links to its notebook on Colab and Binder."
    def begin(self):
        name = Path(getattr(self.nb, 'path_', '') or '').name
        try: cfg, wanted = settings(Path.cwd()), tutorial_notebooks(Path.cwd())
        except Exception: return   # not run from a project root: leave the page alone
        if name not in wanted: return
        cells = self.nb.cells
        at = 1 if cells and cells[0].cell_type == 'raw' and cells[0].source.lstrip().startswith('---') else 0
        cells.insert(at, mk_cell(links_markdown(name, cfg), cell_type='markdown'))

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
