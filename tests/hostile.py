"""Hostile input and faults (issue 16): every case gives one clear line naming the problem, or works.

Run: python tests/hostile.py   (no pytest needed; exit status 1 if a case fails). `.ci/run` runs it as one step.
`--only REGEX` runs only the cases whose names match (e.g. `--only 'resume|color_mode'`).
Each case is (name, the call, what must happen): `fails(pattern)` (one line, under 400 characters, matching the
regular expression, naming no temporary file) or `works(check)`. CLI cases run the console scripts as
subprocesses, with a timeout (a command that hangs fails its case). Cases that need a file the current user
cannot read are run as user `nobody` when the suite runs as root (root reads everything).
"""
from __future__ import annotations
import os, re, sys, json, math, stat, time, shlex, shutil, signal, tempfile, subprocess, contextlib, traceback, io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import warnings; warnings.filterwarnings('ignore')
ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.pop('VAE_TUTORIAL_DATA', None)            # every case brings its own data: the same with or without the full sets
os.environ['VAE_TUTORIAL_OFFLINE'] = '1'
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix='vae_hostile_'))
os.chmod(TMP, 0o755)                                   # readable by `nobody`, for the cases run as that user
BIN = Path(sys.executable).parent
AS_ROOT = os.geteuid() == 0
NOBODY = 65534
results = []                                           # (name, ok, detail)

# ---------------------------------------------------------------- how a case is judged
TEMP_NAME = re.compile(r'/\.[^/\s]+\.(png|keras|json|npz|tmp)\b|\.tmp\b|tmp[a-z0-9_]{6,}')

def _line_ok(msg, pattern):
    "None if `msg` is one short line matching `pattern` and naming no temporary file, else what is wrong."
    msg = msg.strip()
    if not msg: return 'no message'
    if '\n' in msg: return f'{msg.count(chr(10)) + 1} lines: {msg[:300]!r}'
    if len(msg) > 400: return f'{len(msg)} characters: {msg[:200]!r}...'
    if TEMP_NAME.search(msg.replace(str(TMP), '<tmp>')): return f'names a temporary file: {msg!r}'
    if not re.search(pattern, msg, re.I): return f'does not match {pattern!r}: {msg!r}'
    return None

def fails(pattern, kind=Exception):
    "The call must raise `kind` with one line matching `pattern`."
    def judge(call):
        try: call()
        except kind as e:
            return _line_ok(str(e), pattern)
        except BaseException as e:
            return f'raised {type(e).__name__}: {str(e).strip()[:300]!r}'
        return 'no error raised'
    judge.expect = f'one line /{pattern}/'
    return judge

def works(check=lambda r: None):
    "The call must return; `check(result)` returns None or what is wrong."
    def judge(call):
        try: r = call()
        except BaseException as e: return f'raised {type(e).__name__}: {str(e).strip()[:300]!r}'
        return check(r)
    judge.expect = 'works'
    return judge

ONLY = re.compile(sys.argv[sys.argv.index('--only') + 1], re.I) if '--only' in sys.argv[1:-1] else None   # run only the cases so named

def case(name, call, judge):
    if ONLY and not ONLY.search(name): return
    t0 = time.time()
    try: bad = judge(call)
    except BaseException as e: bad = f'the case itself broke: {type(e).__name__}: {e}'
    results.append((name, bad is None, bad or judge.expect, time.time() - t0))

@contextlib.contextmanager
def deadline(seconds):
    "Raise TimeoutError if the block runs longer than `seconds` (a call that blocks on a FIFO)."
    def alarm(*_): raise TimeoutError(f'still running after {seconds} s (blocked?)')
    old = signal.signal(signal.SIGALRM, alarm); signal.alarm(seconds)
    try: yield
    finally: signal.alarm(0); signal.signal(signal.SIGALRM, old)

def within(seconds, fn):
    def call():
        with deadline(seconds): return fn()
    return call

# ---------------------------------------------------------------- CLI cases: subprocesses, started in parallel
def cli(cmd, *args, as_nobody=False, timeout=120):
    "Run console script `cmd` with `args`; return (exit status, stderr's last non-empty line, all output)."
    env = {**os.environ, 'HOME': str(TMP/'home'), 'KERAS_HOME': str(TMP/'home'/'.keras'), 'VAE_TUTORIAL_CACHE': str(TMP/'cache'),
           'MPLCONFIGDIR': str(TMP/'home'/'mpl')}
    kw = {}
    if as_nobody and AS_ROOT:
        kw['preexec_fn'] = lambda: (os.setgid(NOBODY), os.setuid(NOBODY))
    exe = BIN/cmd if (BIN/cmd).exists() else shutil.which(cmd)
    p = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env, cwd=TMP, **kw)
    lines = [l for l in p.stderr.splitlines() if l.strip() and not re.match(r'^(I0000|E0000|W0000|WARNING: All log)', l)]
    return p.returncode, lines, p.stdout + p.stderr

def cli_fails(pattern):
    "The command must exit with status 2 and end its stderr with one line `prog: error: ...` matching `pattern`."
    def judge(call):
        rc, lines, out = call()
        errors = [l for l in lines if ': error: ' in l]
        if rc != 2: return f'exit status {rc}; output ends {out.strip()[-400:]!r}'
        if len(errors) != 1 or len([l for l in lines if 'Traceback' in l]): return f'not one error line: {lines[-5:]!r}'
        return _line_ok(errors[0].split(': error: ', 1)[1], pattern)
    judge.expect = f'exit 2, one line /{pattern}/'
    return judge

def cli_works(pattern):
    def judge(call):
        rc, lines, out = call()
        if rc != 0: return f'exit status {rc}: {out.strip()[-400:]!r}'
        return None if re.search(pattern, out) else f'output lacks /{pattern}/: {out.strip()[-300:]!r}'
    judge.expect = f'works, says /{pattern}/'
    return judge

def cli_in_child(cmd, *args, as_nobody=False, timeout=60):
    "Run console script `cmd`'s entry point in a forked child (as `nobody` when we are root: the venv may be out of its reach)."
    import vae_tutorial.cli as C
    import PIL.ImageDraw, vae_tutorial.sprites, vae_tutorial.runs   # what the command imports lazily, loaded here: as `nobody` the child cannot read a venv only root may read
    main = {'vae_tutorial_train': C.train_main, 'vae_tutorial_generate': C.generate_main, 'vae_tutorial_demo': C.demo_main}[cmd]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                         # the child: never returns
        code = 70
        try:
            os.dup2(w, 2); os.dup2(w, 1)
            if as_nobody and AS_ROOT: os.setgid(NOBODY); os.setuid(NOBODY)
            sys.argv = [cmd, *map(str, args)]
            main(); code = 0
        except SystemExit as e: code = e.code if isinstance(e.code, int) else 1
        except BaseException: traceback.print_exc()
        finally: sys.stderr.flush(); sys.stdout.flush(); os._exit(code)
    os.close(w)
    t0, chunks = time.time(), []
    while True:
        if time.time() - t0 > timeout: os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0); os.close(r); raise subprocess.TimeoutExpired(cmd, timeout)
        chunk = os.read(r, 65536)
        if not chunk: break
        chunks.append(chunk)
    os.close(r)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    text = b''.join(chunks).decode(errors='replace')
    return code, [l for l in text.splitlines() if l.strip()], text

pool = ThreadPoolExecutor(3)
pending = []
def cli_case(name, judge, cmd, *args, **kw):
    "Start a CLI case now; judged at the end."
    if ONLY and not ONLY.search(name): return
    if kw.get('as_nobody'):                    # forked now, before any thread or TensorFlow starts
        try: out = cli_in_child(cmd, *args, **kw); pending.append((name, judge, type('Done', (), {'result': lambda self: out})()))
        except BaseException as e:
            pending.append((name, judge, type('Failed', (), {'result': lambda self, e=e: (_ for _ in ()).throw(e)})()))
        return
    pending.append((name, judge, pool.submit(lambda: cli(cmd, *args, **kw))))

# files the CLI cases need (TensorFlow-free so far)
from vae_tutorial.data import _read_sample, read_npz, DataFileError
s = _read_sample('mnist')
DATA = TMP/'mnist.npz'
import numpy as np
np.savez(DATA, x_train=s['x_train'][:256], y_train=s['y_train'][:256], x_test=s['x_test'][:100], y_test=s['y_test'][:100])
FIFO = TMP/'fifo'; FIFO.mkdir(); os.mkfifo(FIFO/'model.keras'); os.mkfifo(FIFO/'mnist.npz')
RO = TMP/'readonly'; RO.mkdir(); RO.chmod(0o555)
KERAS_DIR = TMP/'folder_model'; (KERAS_DIR/'model.keras').mkdir(parents=True)
(TMP/'home').mkdir(); (TMP/'home').chmod(0o777)

T = 'vae_tutorial_train'; G = 'vae_tutorial_generate'; D = 'vae_tutorial_demo'
cli_case('train --learning_rate nan', cli_fails(r'learning_rate=nan.*finite'), T, '--learning_rate', 'nan', '--data', DATA)
cli_case('train --learning_rate=-1e-3', cli_fails(r'learning_rate=-0.001.*> 0'), T, '--learning_rate=-1e-3', '--data', DATA)
cli_case('train --learning_rate 0', cli_fails(r'learning_rate=0.*> 0'), T, '--learning_rate', '0', '--data', DATA)
cli_case('train --beta inf', cli_fails(r'beta=inf.*finite'), T, '--beta', 'inf', '--data', DATA)
cli_case('train --beta nan', cli_fails(r'beta=nan.*finite'), T, '--beta', 'nan', '--data', DATA)
cli_case('train --epochs 0', cli_fails(r'epochs=0.*≥ 1'), T, '--epochs', '0', '--data', DATA)
cli_case('train --batch_size 0', cli_fails(r'batch_size=0.*≥ 1'), T, '--batch_size', '0', '--data', DATA)
cli_case('train --latent_dim 1000000000', cli_fails(r'latent_dim=1000000000.*GB.*(limit|smaller)'), T, '--latent_dim', '1000000000', '--data', DATA)
cli_case('train --latent_dim 0', cli_fails(r'latent_dim=0'), T, '--latent_dim', '0', '--data', DATA)
cli_case('train --out a read-only folder: refused before training', cli_fails(r'(not writable|permission|read-only).*before|(not writable|permission denied|read-only)'),
         T, '--out', RO/'run', '--data', DATA, '--epochs', '1', as_nobody=True)
cli_case('train --out a file', cli_fails(r'is a file'), T, '--out', DATA, '--data', DATA)
cli_case('train --help documents the classifier cache', cli_works(r'(?s)classifier.*(VAE_TUTORIAL_CACHE|\.cache/vae_tutorial)'), T, '--help')
cli_case('demo --out a folder', cli_fails(r'is a folder'), D, '--out', TMP, '--data', DATA)
cli_case('demo --data a FIFO (never opened)', cli_fails(r'(FIFO|named pipe|not a regular file)'), D, '--data', FIFO/'mnist.npz', '--out', TMP/'d.png', timeout=60)
cli_case('demo --per_class 0', cli_fails(r'per_class'), D, '--per_class', '0', '--data', DATA)
cli_case('demo --out into a read-only folder', cli_fails(r'(not writable|permission denied|read-only)'), D, '--out', RO/'d.png', '--data', DATA, as_nobody=True)
cli_case('generate --model a FIFO named model.keras (never opened)', cli_fails(r'(FIFO|named pipe|not a regular file)'),
         G, '--model', FIFO/'model.keras', '--out', TMP/'g.png', timeout=60)
cli_case('generate --model a folder named model.keras', cli_fails(r'(is a folder|not a regular file)'), G, '--model', KERAS_DIR/'model.keras', '--out', TMP/'g.png')
cli_case('generate --model run folder whose model.keras is a folder', cli_fails(r'(is a folder|not a regular file)'), G, '--model', KERAS_DIR, '--out', TMP/'g.png')
cli_case('generate --n 0', cli_fails(r'--n 0|n=0'), G, '--n', '0')
cli_case('generate --n -5', cli_fails(r'--n -5|n=-5'), G, '--n', '-5')
cli_case('generate --out a folder', cli_fails(r'is a folder'), G, '--out', TMP)

# issue 27 item 9: folders of pictures that used to hang, fill memory, be read twice or fail after training
from PIL import Image
import struct, zlib
def pictures(folder, n):
    "`n` small random PNGs in `folder` (made if missing)."
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n): Image.fromarray(np.random.default_rng(i).integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(folder/f'{i}.png')
    return folder
def two_classes(name, counts=(4, 4)):
    "A folder `name` with class sub-folders a/ and b/ of `counts` pictures."
    for c, n in zip('ab', counts): pictures(TMP/name/c, n)
    return TMP/name
def png_bomb(path, side):
    "A PNG of side × side black pixels: about 400 KB for 20000 × 20000, which decode to gigabytes."
    def chunk(kind, data): return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    z, row = zlib.compressobj(9), bytes(side + 1)
    idat = b''.join(z.compress(row) for _ in range(side)) + z.flush()
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', side, side, 8, 0, 0, 0, 0)) + chunk(b'IDAT', idat) + chunk(b'IEND', b''))
F_FIFO = two_classes('f_fifo'); os.mkfifo(F_FIFO/'a'/'pipe.png')                   # reading it waits for a writer, forever
F_ZERO = two_classes('f_zero'); os.symlink('/dev/zero', F_ZERO/'a'/'zeros.png')    # reading it never ends
F_BOMB = two_classes('f_bomb'); png_bomb(F_BOMB/'a'/'bomb.png', 20000)              # 400 megapixels in a 400 KB file
F_LOOP = two_classes('f_loop'); os.symlink('.', F_LOOP/'loop')                      # a "class" that is the folder itself
F_FEW = two_classes('f_few', (4, 2))                                                 # class b/: too few to train and test
F_SHUT = two_classes('f_shut'); (F_SHUT/'b').chmod(0)                                # class b/: unreadable (to nobody, when we are root)
F_HIDDEN = two_classes('f_hidden'); pictures(TMP/'hidden_src', 1); shutil.copy(TMP/'hidden_src'/'0.png', F_HIDDEN/'a'/'.hidden.png')
(F_HIDDEN/'b'/'._0.png').write_bytes(b'\x00\x05\x16\x07 a macOS resource fork')     # hidden files: not data
few_line = r'class folder b/ has only 2 readable images; each class needs 3 or more'
cli_case('demo --dataset a folder with a FIFO among the pictures: left out, never opened', cli_works(r'note: Left out 1 entry of f_fifo/ .*a/pipe\.png \(a FIFO'),
         D, '--dataset', F_FIFO, '--out', TMP/'f_fifo.png', '--per_class', '1', timeout=90)
cli_case('demo --dataset a folder with a link to /dev/zero among the pictures: left out, never opened', cli_works(r'a/zeros\.png \(a character device\)'),
         D, '--dataset', F_ZERO, '--out', TMP/'f_zero.png', '--per_class', '1', timeout=90)
cli_case('train --dataset a folder whose class b/ has 2 pictures: refused before training', cli_fails(few_line),
         T, '--dataset', F_FEW, '--out', TMP/'few_run', '--epochs', '1', '--arch', 'dense')
cli_case('train --cpu_devices 100000: refused up front, not a silent hang', cli_fails(r'cpu_devices=100000; .*from 1 to 64'),
         T, '--cpu_devices', '100000', '--data', DATA, '--out', TMP/'cpu_run', timeout=60)

# ---------------------------------------------------------------- API cases: one process, TensorFlow imported once
from vae_tutorial.backend import keras
from vae_tutorial import checks
from vae_tutorial.models import make_vae, make_cvae, make_iwae, save_vae, load_vae, build_density_vae
from vae_tutorial.training import train_vae, TrainingDiverged
from vae_tutorial.runs import TrainConfig
from vae_tutorial.data import make_dataset, check_images
from vae_tutorial.plots import image_grid, plot_vae_vs_cvae
from vae_tutorial.classifier import conditional_accuracy, get_classifier, build_classifier
keras.utils.set_random_seed(0)
x = s['x_train'][:256].astype('float32')[..., None] / 255
y = s['y_train'][:256].astype('int64')
vae = make_vae('dense', 2, hidden=(32,))
cvae = make_cvae('dense', 2, hidden=(32,))
save_vae(vae, TMP/'run'/'model.keras'); save_vae(cvae, TMP/'crun'/'model.keras')
os.chmod(TMP/'run', 0o755); os.chmod(TMP/'run'/'model.keras', 0o644)
shutil.copy(TMP/'run'/'model.keras', TMP/'secret.keras'); os.chmod(TMP/'secret.keras', 0o600 if AS_ROOT else 0)   # unreadable: to nobody (we are root) or to anyone
nan, inf = float('nan'), float('inf')

# models that need one: started now, judged at the end
cli_case('generate --n 10000000 (31 GB of pixels): refused up front', cli_fails(r'(GB|memory).*(--n|batches|smaller)'), G, '--model', TMP/'run', '--n', '10000000', '--out', TMP/'big.png', timeout=240)
cli_case('generate a model file nobody may read', cli_fails(r'permission denied'), G, '--model', TMP/'secret.keras', '--out', TMP/'p.png', as_nobody=True)
# issue 27: nothing overwritten without asking, results as data, --version
for name in ('taken.png', 'taken2.png', 'taken.npz'): (TMP/name).write_bytes(b'mine')
cli_case('train --out a folder holding a run: refused, names --overwrite', cli_fails(r'already holds a run.*add --overwrite'), T, '--out', TMP/'run', '--data', DATA, '--epochs', '1')
cli_case('generate --out a file that exists: refused, names --overwrite', cli_fails(r'already exists; add --overwrite'), G, '--model', TMP/'run', '--out', TMP/'taken.png')
cli_case('generate --npz a file that exists: refused', cli_fails(r'--npz .*already exists; add --overwrite'), G, '--model', TMP/'run', '--out', TMP/'n1.png', '--npz', TMP/'taken.npz')
cli_case('generate --npz not ending in .npz', cli_fails(r'does not end in \.npz'), G, '--model', TMP/'run', '--out', TMP/'n2.png', '--npz', TMP/'x.npy')
cli_case('generate --png_dir a file', cli_fails(r'--png_dir .*is a file'), G, '--model', TMP/'run', '--out', TMP/'n3.png', '--png_dir', DATA)
cli_case('generate --npz and --png_dir beside the grid', cli_works(r'images \(4, 28, 28, 1\) float32.*\n.*4 PNGs of 28×28'),
         G, '--model', TMP/'run', '--n', '4', '--out', TMP/'d1.png', '--npz', TMP/'d1.npz', '--png_dir', TMP/'d1')
cli_case('generate --overwrite replaces --out', cli_works(r'Wrote .*taken2\.png'), G, '--model', TMP/'run', '--n', '4', '--out', TMP/'taken2.png', '--overwrite')
for cmd in (T, G, D): cli_case(f'{cmd} --version', cli_works(r'vae_tutorial \d+\.\d+\.\d+\s*$'), cmd, '--version')
# issue 28 item 5: a wrong path, size or label is refused before TensorFlow starts: well within 20 s, where its start alone took 5-15
cli_case('generate --label a class the CVAE lacks: refused before TensorFlow', cli_fails(r"label 'nosuch' is not a class of this model: name one of 0, 1"),
         G, '--model', TMP/'crun', '--label', 'nosuch', '--out', TMP/'l1.png', timeout=20)
cli_case('generate --digit for a plain VAE: refused before TensorFlow', cli_fails(r'plain VAE, which takes no labels'), G, '--model', TMP/'run', '--digit', '3', '--out', TMP/'l2.png', timeout=20)
cli_case('generate --model a file that is not there: refused before TensorFlow', cli_fails(r'no such model file'), G, '--model', TMP/'gone.keras', '--out', TMP/'l3.png', timeout=20)
cli_case('train --image_size 7: refused before TensorFlow', cli_fails(r'image_size=7; it must be 8 or more'), T, '--image_size', '7', '--out', TMP/'never7', timeout=20)
cli_case('train --data a file that is not there: refused before TensorFlow', cli_fails(r'does not exist'), T, '--data', TMP/'gone.npz', '--out', TMP/'never8', timeout=20)
if (BIN/'vae_tutorial_complete').exists() or shutil.which('vae_tutorial_complete'):
    cli_case('complete a picture that is not there: refused before TensorFlow', cli_fails(r'gone\.png: no such image file'),
             'vae_tutorial_complete', TMP/'gone.png', '--quadrants', '2', '--out', TMP/'c1.png', timeout=20)
# issue 27 item 9: run in a forked child as nobody, so after TensorFlow is imported here (nobody may not be able to import it)
cli_case('train --dataset a folder whose class folder b/ is unreadable: named, before training', cli_fails(r'cannot read its folder b/ \(permission denied\)'),
         T, '--dataset', F_SHUT, '--out', TMP/'home'/'shut_run', '--epochs', '1', '--arch', 'dense', as_nobody=True)
# issue 27 item 9: a .keras whose config.json inflates past what a model's settings take (1.6 GB killed generate)
import zipfile
BOMB_KERAS = TMP/'inflates.keras'
with zipfile.ZipFile(TMP/'run'/'model.keras') as src, zipfile.ZipFile(BOMB_KERAS, 'w', zipfile.ZIP_DEFLATED) as z:
    for m in src.infolist():
        if m.filename != 'config.json': z.writestr(m, src.read(m)); continue
        with z.open('config.json', 'w', force_zip64=True) as f:         # the real config, then 100 MB of spaces: valid JSON, 100 KB zipped
            f.write(src.read(m)[:-1]); [f.write(b' ' * 2**20) for _ in range(100)]; f.write(b'}')
cli_case('generate --model a .keras whose config.json inflates to 100 MB: refused before Keras parses it',
         cli_fails(r'config\.json would unpack to 0\.1\d* GB, but the settings in a model file take at most 64 MB'), G, '--model', BOMB_KERAS, '--out', TMP/'inflates.png')
# issue 27: Ctrl-C keeps the last completed epoch and --resume goes on from it; --color_mode for a folder of images
cli_case('train --resume with no checkpoint in --out', cli_fails(r'--resume: --out .*keeps no unfinished run.*drop --resume'),
         T, '--resume', '--out', TMP/'never_ran', '--data', DATA)
cli_case('train --color_mode bogus', cli_fails(r"color_mode='bogus' is not one of 'auto', 'rgb', 'grayscale'"), T, '--color_mode', 'bogus', '--data', DATA)
cli_case('train --color_mode grayscale on mnist', cli_fails(r'--color_mode grayscale is for a folder of images'), T, '--color_mode', 'grayscale', '--data', DATA)
cli_case('demo --color_mode bogus', cli_fails(r"color_mode='bogus' is not one of"), D, '--color_mode', 'bogus', '--data', DATA)
cli_case('demo --per_class 30: the error names the class by name', cli_fails(r"class '0' has \d+ examples; asked for 30 of each"),
         D, '--per_class', '30', '--data', DATA, '--out', TMP/'per_class30.png')
cli_case('train --model cvae on data whose test images lack classes 5-9: trains, draws the classes it has', cli_works(r'wrote \S*lacks_classes/\{model\.keras'),
         T, '--model', 'cvae', '--arch', 'dense', '--epochs', '1', '--limit', '128', '--data', DATA, '--out', TMP/'lacks_classes', timeout=300)
def ctrl_c_then_resume():
    "SIGINT to vae_tutorial_train once it has kept an epoch: status 130, one line naming what it kept and the command; that command ends the run."
    from vae_tutorial.cli import RUN_FILES
    out = TMP/'stopped'
    env = {**os.environ, 'HOME': str(TMP/'home'), 'KERAS_HOME': str(TMP/'home'/'.keras'), 'MPLCONFIGDIR': str(TMP/'home'/'mpl')}
    data = TMP/'mnist_all_classes.npz'        # DATA's 100 test images hold digits 0-4 only, and the run's pictures show one of each class
    np.savez(data, x_train=s['x_train'][:128], y_train=s['y_train'][:128], x_test=s['x_test'], y_test=s['y_test'])
    args = ['--data', data, '--arch', 'dense', '--latent_dim', '2', '--limit', '128', '--batch_size', '64', '--epochs', '40', '--out', out]
    p = subprocess.Popen([str(BIN/T if (BIN/T).exists() else shutil.which(T)), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env, cwd=TMP, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))   # as in a terminal, even as a background job
    t0 = time.time()
    while not (out/'checkpoint'/'checkpoint.json').exists() and p.poll() is None and time.time() - t0 < 180: time.sleep(0.02)
    if p.poll() is not None: return f'it ended (status {p.returncode}) before it kept an epoch: {p.communicate()[1].strip()[-300:]!r}'
    p.send_signal(signal.SIGINT)
    try: err = p.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired: p.kill(); p.communicate(); return 'still running 60 s after SIGINT'
    lines = [l for l in err.splitlines() if l.strip() and not re.match(r'^(I0000|E0000|W0000|WARNING: All log)', l)]
    if p.returncode != 130 or not lines: return f'exit status {p.returncode} after SIGINT: {lines[-3:]!r}'
    said = re.fullmatch(r'vae_tutorial_train: interrupted; kept epoch (\d+) of 40 in (\S+); go on with: (vae_tutorial_train --out \S+ --resume)', lines[-1])
    if not said: return f'its last line: {lines[-1]!r}'
    kept = (sorted(os.listdir(out)), sorted(os.listdir(out/'checkpoint')))
    if kept != (['checkpoint'], ['checkpoint.json', f'epoch-{said[1]}.weights.h5']): return f'left in --out: {kept}'
    if bad := cli_fails(r'--latent_dim 5 \(it ran with 2\) contradicts')(lambda: cli(T, '--out', out, '--resume', '--latent_dim', '5')):
        return f'--resume --latent_dim 5: {bad}'
    if bad := cli_fails(r'keeps the last epoch of an unfinished run.*add --resume')(lambda: cli(T, *args)): return f'the same command again: {bad}'
    rc, _, text = cli(*shlex.split(said[3]), timeout=300)
    if rc != 0: return f'{said[3]}: exit status {rc}: {text.strip()[-300:]!r}'
    if f'Going on after epoch {said[1]} of 40' not in text or not re.search(r'^Test ELBO', text, re.M): return f'{said[3]} said: {text.strip()[:600]!r}'
    h = json.loads((out/'history.json').read_text())
    if sorted(os.listdir(out)) != sorted(RUN_FILES): return f'--out after --resume: {sorted(os.listdir(out))}'
    if (len(h['history']['loss']), h['resumed_after_epoch']) != (40, int(said[1])): return f"history of {len(h['history']['loss'])} epochs, resumed after {h.get('resumed_after_epoch')}"
    return None
if not ONLY or ONLY.search('train: SIGINT after an epoch keeps a checkpoint; --resume finishes the run'):
    judge = lambda call: call(); judge.expect = 'works'
    pending.append(('train: SIGINT after an epoch keeps a checkpoint; --resume finishes the run', judge, pool.submit(ctrl_c_then_resume)))

case("TrainConfig(model='vae', prior='bogus'), as --model vae --prior bogus", lambda: TrainConfig(model='vae', prior='bogus').check(), fails(r"prior='bogus' is not one of"))
# codes, decode, encode
case('decode NaN codes', lambda: vae.decode(np.full((2, 2), nan)), fails(r'NaN or infinite'))
case('decode infinite codes', lambda: vae.decode(np.array([[0, inf]])), fails(r'NaN or infinite'))
case("decode(['a', 'b'])", lambda: vae.decode(['a', 'b']), fails(r'could not be read as numbers'))
case('encode(batch_size=0)', lambda: vae.encode(x[:4], batch_size=0), fails(r'batch_size=0'))
case('encode(batch_size=-1)', lambda: vae.encode(x[:4], batch_size=-1), fails(r'batch_size=-1'))
case('encode(batch_size=2.5)', lambda: vae.encode(x[:4], batch_size=2.5), fails(r'batch_size=2.5'))
# model settings
case("make_vae(latent_dim='abc')", lambda: make_vae('dense', 'abc'), fails(r"latent_dim='abc'"))
case('make_vae(latent_dim=None)', lambda: make_vae('dense', None), fails(r'latent_dim=None'))
case('make_vae(latent_dim=10**9): refused up front', lambda: make_vae('dense', 10**9), fails(r'latent_dim=1000000000.*GB'))
case('make_vae(hidden=(10**6, 10**6)): refused up front', lambda: make_vae('dense', 2, hidden=(10**6, 10**6)), fails(r'GB.*(limit|smaller)'))
case("make_vae(beta='abc')", lambda: make_vae('dense', 2, beta='abc'), fails(r"beta='abc'"))
case('make_vae(beta=nan)', lambda: make_vae('dense', 2, beta=nan), fails(r'beta=nan.*finite'))
case('make_vae(beta=inf)', lambda: make_vae('dense', 2, beta=inf), fails(r'beta=inf.*finite'))
case('make_vae(beta=-1)', lambda: make_vae('dense', 2, beta=-1), fails(r'beta=-1.*≥ 0'))
case("make_iwae(k='abc')", lambda: make_iwae('dense', 2, k='abc'), fails(r"k='abc'"))
case("build_density_vae(k='abc')", lambda: build_density_vae(k='abc'), fails(r"k='abc'"))
case('make_iwae(k=0)', lambda: make_iwae('dense', 2, k=0), fails(r'k=0'))
case("make_dataset(batch_size='abc')", lambda: make_dataset(x, batch_size='abc'), fails(r"batch_size='abc'"))
case('image_grid(ncol=0)', lambda: image_grid(x[:4], ncol=0), fails(r'ncol=0'))
# sampling and generating
case('sample(0)', lambda: vae.sample(0), fails(r'n=0'))
case('sample(-5)', lambda: vae.sample(-5), fails(r'n=-5'))
case('cvae.sample(0)', lambda: cvae.sample(0), fails(r'n=0'))
case('generate(3, 0)', lambda: cvae.generate(3, 0), fails(r'n=0'))
case('generate(3, n=-5)', lambda: cvae.generate(3, n=-5), fails(r'n=-5'))
case('generate([])', lambda: cvae.generate([]), fails(r'no digits given'))
case('sample(10**7): refused up front', within(20, lambda: vae.sample(10**7)), fails(r'n=10000000.*GB.*(batches|smaller)'))
case('generate(3, 10**7): refused up front', within(20, lambda: cvae.generate(3, 10**7)), fails(r'n=10000000.*GB.*(batches|smaller)'))
case('sample(2500) streams through decode in batches', lambda: vae.sample(2500, seed=1),
     works(lambda r: None if r.shape == (2500, 28, 28, 1) and np.isfinite(r).all() else f'shape {r.shape}'))
# wrong model
clf = build_classifier()
case('conditional_accuracy(a VAE)', lambda: conditional_accuracy(vae, clf), fails(r'needs a CVAE.*plain VAE'))
case('plot_vae_vs_cvae(vae, vae)', lambda: plot_vae_vs_cvae(vae, vae), fails(r'needs a CVAE'))
case('plot_vae_vs_cvae(cvae, cvae)', lambda: plot_vae_vs_cvae(cvae, cvae), fails(r'needs a plain VAE'))
try:
    from vae_tutorial.widgets import latent_explorer
    case('latent_explorer(span=-1)', lambda: latent_explorer(vae, span=-1), fails(r'span=-1'))
    case('latent_explorer(a CVAE)', lambda: latent_explorer(cvae), fails(r'CVAE'))
except ImportError as e: print(f'(widgets not importable: {e}; latent_explorer cases left out)')
# training arguments: the API says exactly what the CLI says
case('train_vae(vae, x, y=y)', lambda: train_vae(vae, x, y=y, epochs=1, verbose=0), fails(r'plain VAE takes no labels'))
case('train_vae(cvae, x) without labels', lambda: train_vae(cvae, x, epochs=1, verbose=0), fails(r'CVAE trains on labelled'))
for lr in (nan, inf, -1e-3, 0, 'abc'):
    case(f'train_vae(learning_rate={lr!r})', lambda lr=lr: train_vae(vae, x, learning_rate=lr, verbose=0), fails(rf'learning_rate={re.escape(repr(lr))}'))
case('train_vae(epochs=0)', lambda: train_vae(vae, x, epochs=0, verbose=0), fails(r'epochs=0'))
case('train_vae(epochs=1.5)', lambda: train_vae(vae, x, epochs=1.5, verbose=0), fails(r'epochs=1.5'))
case('train_vae(batch_size=0)', lambda: train_vae(vae, x, batch_size=0, verbose=0), fails(r'batch_size=0'))
def same_message(**bad):
    "The CLI's TrainConfig and train_vae reject `bad` with the same line."
    def msg(f):
        try: f()
        except ValueError as e: return str(e)
        return 'no error'
    api = msg(lambda: train_vae(vae, x, verbose=0, **bad))
    clim = msg(lambda: TrainConfig(**bad).check())
    return None if api == clim else f'API: {api!r} / CLI: {clim!r}'
for bad in (dict(learning_rate=nan), dict(epochs=0), dict(batch_size=-3), dict(learning_rate=-1.0)):
    case(f'train_vae and the CLI say the same for {bad}', lambda bad=bad: same_message(**bad), works(lambda r: r))
# labels: one line, never the whole array
many = np.arange(300) % 10
case('cvae.encode with 300 labels for 4 images', lambda: cvae.encode(x[:4], many), fails(r'300 labels for 4 images'))
case('cvae.encode with float labels 0.5…', lambda: cvae.encode(x[:300].repeat(2, 0)[:300], many + 0.5), fails(r'labels'))
case('cvae.encode with labels 0-12', lambda: cvae.encode(x[:4], [0, 1, 12, 3]), fails(r'out of range'))
case('train_vae(cvae) with 2-D labels (n, 3)', lambda: train_vae(cvae, x, y=np.zeros((len(x), 3)), epochs=1, verbose=0), fails(r'labels have shape'))
case('cvae.generate(digits 0-299)', lambda: cvae.generate(np.arange(300)), fails(r'digit 10 is out of range'))
# divergence: NaN weights after the last batch, NaN validation loss
class Poison(keras.callbacks.Callback):
    "Make the decoder's weights NaN after a batch (Keras calls this every `steps_per_execution` steps): every batch's loss was finite."
    def on_train_batch_end(self, batch, logs=None):
        if batch >= 1: w = self.model.decoder.weights[0]; w.assign(np.full(w.shape, np.nan, 'float32'))
def poisoned():
    m = make_vae('dense', 2, hidden=(16,))
    return train_vae(m, x, x[:64], epochs=1, batch_size=128, callbacks=[Poison()], verbose=0)
case('train_vae: weights NaN after the last batch', poisoned, fails(r'(weights|validation loss).*(NaN|not finite)', TrainingDiverged))
# memory: every CLI turns MemoryError and ResourceExhaustedError into one line
from vae_tutorial.cli import cli_errors, check_out_dir, write_run
def cli_error_line(exc):
    def call():
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                with cli_errors('prog'): raise exc
            except SystemExit as e: return e.code, err.getvalue()
        return None, err.getvalue()
    return call
def one_cli_line(pattern):
    def check(r):
        code, text = r
        if code != 2: return f'exit status {code}: {text!r}'
        return _line_ok(text.removeprefix('prog: error: '), pattern)
    return check
case('cli_errors(MemoryError)', cli_error_line(MemoryError()), works(one_cli_line(r'out of memory.*(smaller|fewer)')))
try:
    import tensorflow as tf
    oom = tf.errors.ResourceExhaustedError(None, None, 'OOM when allocating tensor with shape[1000000000,512]\nand more lines')
    case('cli_errors(ResourceExhaustedError)', cli_error_line(oom), works(one_cli_line(r'out of memory.*(smaller|fewer)')))
except ImportError: pass
# files
case('save_vae onto a folder named x.keras', lambda: save_vae(vae, KERAS_DIR/'model.keras'), fails(r'is a folder'))
case('load_vae(a FIFO named model.keras)', within(10, lambda: load_vae(FIFO/'model.keras')), fails(r'(FIFO|named pipe|not a regular file)'))
case('load_vae(a folder whose model.keras is a folder)', lambda: load_vae(KERAS_DIR), fails(r'(is a folder|not a regular file)'))
case('read_npz(a FIFO)', within(10, lambda: read_npz(FIFO/'mnist.npz', ['x'])), fails(r'(FIFO|named pipe|not a regular file)'))
np.save(TMP/'single.npy', np.zeros(3)); os.replace(TMP/'single.npy', TMP/'single.npz')
case('read_npz(a .npy saved as .npz)', lambda: read_npz(TMP/'single.npz', ['x']), fails(r'single array'))
case('check_images(max 1.0001): rescale, not divide by 255', lambda: check_images(np.linspace(0, 1.0001, 2 * 784).reshape(2, 28, 28)), fails(r'\[0, 1\.0001\].*rescale'))
case('check_out_dir: not enough free space', lambda: check_out_dir(TMP/'newrun', need_bytes=10**18), fails(r'free'))
case('check_out_dir: fine', lambda: check_out_dir(TMP/'newrun', need_bytes=1), works())
# the classifier cache: validated on load, rebuilt when bad
(TMP/'cache').mkdir(exist_ok=True)
said = []
def bad_cache(content):
    def call():
        p = TMP/'cache'/'clf.keras'
        p.write_bytes(content)
        clf = get_classifier(x[:64], y[:64], path=p, epochs=1, say=said.append)
        return clf, p
    return call
def rebuilt(r):
    clf, p = r
    if tuple(clf.inputs[0].shape[1:]) != (28, 28, 1): return 'wrong classifier'
    if not said or not re.search(r'(rebuil|retrain|could not|unreadable|damaged)', ' '.join(said)): return f'did not say it rebuilt: {said!r}'
    return None if p.stat().st_size > 1000 else 'cache not rewritten'
case('get_classifier: empty cache file is rebuilt', bad_cache(b''), works(rebuilt))
case('get_classifier: a cache file of garbage is rebuilt', bad_cache(b'PK\x03\x04garbage' * 10), works(rebuilt))
# downloads: a timeout on each request, https, a checksum for every file
from vae_tutorial import data as D_
case('binarized MNIST is fetched over https', lambda: D_.BINARIZED_URL, works(lambda u: None if u.startswith('https://') else u))
case('binarized MNIST has a checksum per split', lambda: D_.BINARIZED_MD5,
     works(lambda m: None if set(m) == {'train', 'valid', 'test'} and all(len(v) == 32 for v in m.values()) else repr(m)))
def fake_urlopen(payload):
    seen = {}
    class R(io.BytesIO):
        def __enter__(self): return self
        def __exit__(self, *a): return False
    def urlopen(url, timeout=None, **kw):
        seen['timeout'], seen['default'] = timeout, __import__('socket').getdefaulttimeout()
        return R(payload)
    return urlopen, seen
def download_mnist_fake():
    import urllib.request
    urlopen, seen = fake_urlopen(b'not the real file')
    old, urllib.request.urlopen = urllib.request.urlopen, urlopen
    try:
        os.environ['KERAS_HOME'] = str(TMP/'kh')
        D_.load('mnist', download=True, timeout=7)
    finally:
        urllib.request.urlopen = old; os.environ.pop('KERAS_HOME')
def mnist_checked():
    try: download_mnist_fake()
    except Exception as e: return str(e)
    return 'no error'
case('mnist download: checked by its checksum, per-request timeout', mnist_checked,
     works(lambda m: None if re.search(r'(SHA-?256|MD5|checksum)', m) and '\n' not in m else repr(m[:300])))
def timeout_is_per_request():
    import urllib.request, socket
    urlopen, seen = fake_urlopen(b'abc')
    old, urllib.request.urlopen = urllib.request.urlopen, urlopen
    try: D_.download_file('https://example.org/f', TMP/'dl'/'f', timeout=7, md5='900150983cd24fb0d6963f7d28e17f72')
    finally: urllib.request.urlopen = old
    return seen
case('download_file: timeout per request, not process-wide', timeout_is_per_request,
     works(lambda s: None if s == {'timeout': 7, 'default': None} else repr(s)))
case('data.py never sets the process-wide socket timeout', lambda: (ROOT/'vae_tutorial'/'data.py').read_text(),
     works(lambda t: None if 'setdefaulttimeout' not in t else 'still calls socket.setdefaulttimeout'))

# issue 27 item 9: folders, caches, archives and NaNs, through the Python API
from vae_tutorial.data import load_folder, load, write_cache, CACHE_DIGEST
from vae_tutorial.plots import plot_traversals, plot_digit_grid, save_image_grid
from vae_tutorial.backend import use_cpu_devices
def loaded(folder):
    "Call: load_folder(folder, 16) → (images loaded, the notes it gave), within 60 s."
    def call():
        with warnings.catch_warnings(record=True) as w, deadline(60):
            warnings.simplefilter('always'); d = load_folder(folder, 16)
        return len(d.train.x) + len(d.test.x), d.class_names, [str(m.message) for m in w]
    return call
def holds(n, note=None):
    "Check: `n` images in classes a and b, with a note matching `note` (or none at all)."
    def check(r):
        got, names, notes = r
        if (got, names) != (n, ('a', 'b')): return f'{got} images in classes {names}, not {n} in (a, b); notes {notes}'
        if note is None: return f'notes: {notes}' if notes else None
        return None if any(re.search(note, m) for m in notes) else f'no note /{note}/ among {notes}'
    return check
def rss_grows_under(gb, call):
    "Call `call`; fail if this process's peak memory grew by `gb` GB or more meanwhile."
    import resource
    def wrapped():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        r = call()
        grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
        if grew >= gb * 1e9: raise MemoryError(f'peak memory grew by {grew / 1e9:.1f} GB')
        return r
    return wrapped
case('load_folder: a 20000×20000 PNG bomb: its header read, never decoded (memory stays flat)', rss_grows_under(1, loaded(F_BOMB)),
     works(holds(8, r'Left out 1 picture of f_bomb/ over 50 megapixels .*a/bomb\.png \(400,000,000 pixels\)')))
case('load_folder: a class folder linked to the folder itself: each real folder read once, said in one line', loaded(F_LOOP),
     works(holds(8, r'^Read each folder of f_loop/ once: left out loop/')))
case('load_folder: hidden files (.hidden.png, ._0.png) are not data', loaded(F_HIDDEN), works(holds(8)))
case('load_folder: a class of 2 pictures is refused while loading, by its folder name', lambda: load_folder(F_FEW, 16), fails(few_line))
def math_titles():
    m = make_cvae('dense', 2, hidden=(16,), num_classes=2, class_names=('a$\\undefined', 'b$x'))
    plot_digit_grid(m, n_styles=2).savefig(io.BytesIO(), format='png')
case('plot_digit_grid: class names a$\\undefined, b$x drawn as they are, not as mathtext', math_titles, works())
case('plot_traversals(kl with a NaN): refused, not drawn as a label', lambda: plot_traversals(vae, kl=[0.5, nan]), fails(r'kl is NaN or infinite for dimension 1'))
case('save_image_grid(NaN images): refused, no PNG', lambda: save_image_grid(np.full((2, 28, 28, 1), nan, 'float32'), TMP/'nan.png'), fails(r'NaN or infinite pixels'))
case('load_vae(a .keras whose config.json inflates to 100 MB)', lambda: load_vae(BOMB_KERAS), fails(r'config\.json would unpack to .* at most 64 MB'))
def tampered(name, folder, arrays, checksum):
    "load(name) from a cache in Keras's folder that holds `arrays` (all zero), with the checksum of other arrays or none."
    def call():
        home = TMP/'kh_tampered'/name; f = home/'datasets'/folder/f'{name}.npz'; f.parent.mkdir(parents=True, exist_ok=True)
        np.savez(f, **arrays, **({CACHE_DIGEST: np.array('0' * 64)} if checksum else {}))
        os.environ['KERAS_HOME'] = str(home)
        try: return load(name, download=True)
        finally: os.environ.pop('KERAS_HOME')
    return call
zeros = lambda *shape: np.zeros(shape, np.uint8)
for name, folder, arrays in (('fashion_mnist', 'fashion-mnist', dict(x_train=zeros(60, 28, 28), y_train=zeros(60), x_test=zeros(10, 28, 28), y_test=zeros(10))),
                             ('cifar10', 'cifar10', dict(x_train=zeros(50, 32, 32, 3), y_train=zeros(50), x_test=zeros(10, 32, 32, 3), y_test=zeros(10))),
                             ('binarized_mnist', 'binarized_mnist', dict(train=zeros(50, 784), valid=zeros(10, 784), test=zeros(10, 784)))):
    case(f'load({name!r}) from a tampered cache (a valid .npz, all-zero images, no checksum)', tampered(name, folder, arrays, False),
         fails(r'carries no checksum.*delete it and download again', DataFileError))
    case(f'load({name!r}) from a tampered cache (a valid .npz, all-zero images, a wrong checksum)', tampered(name, folder, arrays, True),
         fails(r'does not match the checksum.*delete it and download again', DataFileError))
case('use_cpu_devices(100000)', lambda: use_cpu_devices(100000), fails(r'cpu_devices=100000; .*from 1 to 64'))

# ---------------------------------------------------------------- a run folder is all-or-nothing
from vae_tutorial.runs import RunRecord
class Fig:
    "A stand-in for a matplotlib figure: writes `data`, or raises `error` (e.g. a full disk), or waits."
    def __init__(self, data=b'png', error=None, wait=0): self.data, self.error, self.wait = data, error, wait
    def savefig(self, path, **kw):
        if self.wait: time.sleep(self.wait)
        if self.error: raise self.error
        Path(path).write_bytes(self.data)
def record(tag, figs): return RunRecord(vae, figs, {'tag': tag})
def old_run(folder):
    folder = Path(folder)
    write_run(record('old', {n: Fig(b'old') for n in ('samples.png', 'reconstructions.png', 'loss.png')}), folder, {})
    return {p.name: p.read_bytes() for p in folder.iterdir()}
def listing(parent): return sorted(p.name for p in Path(parent).iterdir())
def full_disk_keeps_old():
    out = TMP/'runs'/'a'/'run'
    before = old_run(out)
    figs = {'samples.png': Fig(b'new'), 'reconstructions.png': Fig(b'new'), 'loss.png': Fig(error=OSError(28, 'No space left on device'))}
    try: write_run(record('new', figs), out, {})
    except OSError as e: msg = str(e)
    else: return 'no error on a full disk'
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    if after != before: return f'the old run changed: {sorted(after)}'
    if listing(out.parent) != ['run']: return f'left behind: {listing(out.parent)}'
    return _line_ok(msg, r'(no space|full)')
case('write_run: disk full mid-run keeps the previous run whole', full_disk_keeps_old, works(lambda r: r))
def new_run_replaces():
    out = TMP/'runs'/'b'/'run'
    old_run(out); (out/'extra.txt').write_text('mine')
    write_run(record('new', {n: Fig(b'new') for n in ('samples.png', 'reconstructions.png', 'loss.png')}), out, {'a': 1})
    if json.loads((out/'history.json').read_text()).get('tag') != 'new': return 'history.json not replaced'
    if (out/'samples.png').read_bytes() != b'new': return 'samples.png not replaced'
    if listing(out.parent) != ['run']: return f'left behind: {listing(out.parent)}'
    return None if (out/'extra.txt').exists() else "a file of the user's own was lost"
case('write_run: a new run replaces every file of the old one', new_run_replaces, works(lambda r: r))
def signal_mid_write(sig):
    def call():
        out = TMP/'runs'/f'sig{sig}'/'run'
        before = old_run(out)
        code = (f"import sys, time, signal; sys.path.insert(0, {str(ROOT)!r})\n"
                "signal.signal(signal.SIGINT, signal.default_int_handler)\n"   # as in a terminal, even if the runner's shell ignores SIGINT (a background job)
                "from pathlib import Path; from types import SimpleNamespace; from vae_tutorial.cli import write_run\n"
                "class Fig:   # a figure that takes `wait` s to render: the second one is still rendering when the signal comes\n"
                "    def __init__(self, wait): self.wait = wait\n"
                "    def savefig(self, path, **kw): Path(path).write_bytes(b'new'); time.sleep(self.wait)\n"
                "class Model:\n    def save(self, path): Path(path).write_bytes(b'model')\n"
                "figs = {'samples.png': Fig(0), 'reconstructions.png': Fig(30), 'loss.png': Fig(0)}\n"
                f"write_run(SimpleNamespace(model=Model(), figures=figs, record={{'tag': 'new'}}), Path({str(out)!r}), {{}})\n")
        p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.time()
        while not any(n.startswith('.') for n in listing(out.parent)) and time.time() - t0 < 60 and p.poll() is None: time.sleep(0.05)
        time.sleep(0.3); p.send_signal(sig)
        try: p.wait(30)
        except subprocess.TimeoutExpired: p.kill(); return 'did not exit after the signal'
        after = {q.name: q.read_bytes() for q in out.iterdir()}
        if after != before: return f'the old run changed: {sorted(after)}'
        return None if listing(out.parent) == [out.name] else f'left behind: {listing(out.parent)}'
    return call
case('write_run: SIGTERM mid-write leaves the old run and no temporary files', signal_mid_write(signal.SIGTERM), works(lambda r: r))
case('write_run: SIGINT mid-write leaves the old run and no temporary files', signal_mid_write(signal.SIGINT), works(lambda r: r))

# --limit applies to the classifier's training set
def judge_limit():
    import vae_tutorial.classifier as C, vae_tutorial.runs as TR
    seen = {}
    def fake_get(xs, ys, **kw): seen['n'] = len(xs); raise RuntimeError('stop')
    old = C.get_classifier; C.get_classifier = fake_get
    try:
        from vae_tutorial.imagedata import ImageData, Split
        d = ImageData('mnist', Split(np.zeros((60000, 28, 28, 1), 'float32'), np.zeros(60000, 'int64')), Split(x[:10], y[:10]), None,
                      tuple('0123456789'), 'path', 'mnist.npz')
        try: TR._judge(cvae, d, lambda s: None, limit=500)
        except RuntimeError: pass
    finally: C.get_classifier = old
    return seen.get('n')
case('--limit 500 trains the classifier on 500 images', judge_limit, works(lambda n: None if n == 500 else f'trained on {n}'))

# ---------------------------------------------------------------- issue 29: export for serving (vae_tutorial.export, vae_tutorial_export)
# TMP/'run' and TMP/'crun' hold models as built, never trained: refused. The other mistakes are found before the model is read.
E = 'vae_tutorial_export'
if (BIN/E).exists() or shutil.which(E):
    cli_case('export an untrained model: refused, nothing written', cli_fails(r'is untrained \(every bias is still 0, as built\); train it first'),
             E, TMP/'run', '--out', TMP/'exp_untrained', timeout=90)
    cli_case('export into a folder that exists and holds files: refused before TensorFlow, nothing overwritten',
             cli_fails(r'already exists and is not empty; nothing was overwritten'), E, TMP/'run', '--out', TMP/'run', timeout=20)
    cli_case('export --format pdf: refused before TensorFlow, names the formats', cli_fails(r"format='pdf' is not an export format; use one of: onnx, tf_saved_model, litert"),
             E, TMP/'run', '--format', 'pdf', '--out', TMP/'exp_pdf', timeout=20)
    cli_case('export a run folder that is not there: refused before TensorFlow', cli_fails(r'no_such_run.*no such model file'),
             E, TMP/'no_such_run', '--out', TMP/'exp_gone', timeout=20)
    cli_case('export --parts prior: refused before TensorFlow', cli_fails(r'parts=prior: give one or more of decoder, encoder'),
             E, TMP/'run', '--parts', 'prior', '--out', TMP/'exp_parts', timeout=20)
    cli_case('export --version', cli_works(r'vae_tutorial \d+\.\d+\.\d+\s*$'), E, '--version')
from vae_tutorial import export as X
from unittest.mock import patch
def export_nothing_written(call, folder):
    "Run `call`, which must fail, then say what it left in `folder`'s parent beyond what was there."
    before = listing(Path(folder).parent)
    try: call()
    finally:
        left = sorted(set(listing(Path(folder).parent)) - set(before))
        if left: raise AssertionError(f'left behind: {left}')
fresh = make_vae('dense', 2, hidden=(8,))                       # built here: the cases above may have trained `vae`
case('export_model of an untrained VAE', lambda: X.export_model(fresh, TMP/'exp_api1'), fails(r'vae_dense_2d is untrained.*train it first'))
case('export_model of an untrained CVAE from its run folder', lambda: X.export_model(TMP/'crun', TMP/'exp_api2'), fails(r'is untrained.*load a trained one'))
case('export_model of an unbuilt Keras model', lambda: X.export_model(keras.Sequential([keras.layers.Dense(3)]), TMP/'exp_api3'),
     fails(r'export_model needs a trained VAE or CVAE \(make_vae, make_cvae or load_vae\), not a Sequential'))
case('export_model of a path that is not there', lambda: X.export_model(TMP/'no_such_run', TMP/'exp_api4'), fails(r'no_such_run: no such model file'))
case('export_model format=pdf', lambda: X.export_model(fresh, TMP/'exp_api5', format='pdf'), fails(r"format='pdf' is not an export format"))
case('export_model into a folder holding files: refused, the files untouched',
     lambda: export_nothing_written(lambda: X.export_model(fresh, TMP/'run'), TMP/'run'), fails(r'already exists and is not empty; nothing was overwritten'))
case('export_model into a file', lambda: X.export_model(fresh, DATA), fails(r'mnist\.npz is a file; name a new folder'))
with patch('importlib.util.find_spec', lambda name: None):      # as where the export extra is not installed
    case('export_model format=onnx without tf2onnx: names the pip line', lambda: X.export_model(fresh, TMP/'exp_api6'),
         fails(r'needs tf2onnx and onnx, which are not installed: pip install "vae_tutorial\[export\]"'))
case('export_model leaves no folder after a refusal', lambda: [p for p in listing(TMP) if p.startswith(('exp_api', '.exp_api'))],
     works(lambda left: f'left: {left}' if left else None))

# ---------------------------------------------------------------- collect the CLI cases
for name, judge, fut in pending:
    t0 = time.time()
    try: bad = judge(lambda: fut.result())
    except subprocess.TimeoutExpired as e: bad = f'still running after {e.timeout} s (hangs?)'
    except BaseException as e: bad = f'the case itself broke: {type(e).__name__}: {e}'
    results.append(('CLI ' + name, bad is None, bad or judge.expect, time.time() - t0))
pool.shutdown()
(F_SHUT/'b').chmod(0o755)                              # so that it can be removed when we are not root
shutil.rmtree(TMP, ignore_errors=True)

width = max((len(r[0]) for r in results), default=0)
for name, ok, detail, secs in results:
    print(f"{'PASS' if ok else 'FAIL'}  {name:<{width}}  {'' if ok else detail}".rstrip())
bad = [r for r in results if not r[1]]
print('slowest: ' + ', '.join(f'{n} {s:.0f} s' for n, _, _, s in sorted(results, key=lambda r: -r[3])[:4]))
print(f"\n{len(results) - len(bad)} passed, {len(bad)} failed ({len(results)} hostile cases)")
if '--json' in sys.argv: print(json.dumps({r[0]: r[1] for r in results}))
sys.exit(1 if bad else 0)
