"Packaging for vae_tutorial: every setting is read from settings.ini (nbdev 2's convention)."
import shlex
from configparser import ConfigParser
from pathlib import Path
import setuptools

here = Path(__file__).parent
parser = ConfigParser(delimiters=['='])
parser.read(here/'settings.ini', encoding='utf-8')
cfg = parser['DEFAULT']

required = 'version description keywords author author_email lib_name user branch license status min_python audience language'.split()
missing = [k for k in required if k not in cfg]
if missing: raise SystemExit(f"settings.ini is missing these keys: {', '.join(missing)}")

spdx = {'apache2': 'Apache-2.0', 'mit': 'MIT', 'bsd3': 'BSD-3-Clause'}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
min_python = cfg['min_python']
py_versions = [v for v in ('3.11', '3.12', '3.13') if tuple(map(int, v.split('.'))) >= tuple(map(int, min_python.split('.')))]

def _list(key): return shlex.split(cfg.get(key, ''))

lib_path = cfg.get('lib_path', cfg['lib_name'])
setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    keywords=cfg['keywords'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    license=spdx.get(cfg['license'].lower(), cfg['license']),
    license_files=['LICENSE'],
    url=cfg['git_url'],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
                + [f'Programming Language :: Python :: {v}' for v in py_versions],
    packages=setuptools.find_namespace_packages(include=[lib_path, f'{lib_path}.*'], exclude=['*.__pycache__']),
    include_package_data=True,
    package_data={f'{lib_path}.assets': ['*.npz', '*.md', '*.json', 'weights/*.npz', 'weights/*.json']},
    install_requires=_list('requirements'),
    extras_require={'dev': _list('dev_requirements'), 'export': _list('export_requirements')},
    python_requires='>=' + min_python,
    long_description=(here/'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': _list('console_scripts'),
                  'nbdev': [f'{lib_path}={lib_path}._modidx:d']},
)
