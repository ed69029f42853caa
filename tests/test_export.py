"""The exported decoder and encoder give the model's own numbers without Keras or vae_tutorial (issue 29).

Run: python tests/test_export.py   (exit status 1 if a check fails; `.ci/run` runs it as one step)

For shipped models (a dense VAE, a dense CVAE, a convolutional VAE, and an RGB VAE with the continuous Bernoulli
likelihood) this exports the decoder and the encoder in each format of `vae_tutorial.export.FORMATS` whose exporter is
installed, then runs the files in a child Python process in which `import keras` and `import vae_tutorial` fail
(`sys.modules[name] = None`: the import system's own way to say a module is absent; TensorFlow, which looks for Keras
as it starts, goes on without it). The ONNX child blocks TensorFlow too, so the files run on onnxruntime and NumPy
alone. The child's pixel means must match the model's `decode` within 1e-5 on the same z and labels, its means and
log-variances the model's `encode` within 1e-5 relative to max(1, |value|) (a 32×32×3 convolution sums in another order). One PASS/FAIL line per model, part and format, and `N passed, N failed` at the end.
"""
import os, sys, json, tempfile, subprocess, shutil, textwrap
from pathlib import Path
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import numpy as np
from vae_tutorial.export import export_model, FORMATS, ExportError
from vae_tutorial.pretrained import pretrained

TOL = 1e-5
MODELS = ('vae_dense_2d', 'cvae_dense_2d_learned', 'vae_conv_16d', 'sprites_cb_vae')

CHILD = textwrap.dedent('''
    import sys, json
    blocked = sys.argv[3].split(',')
    for name in blocked: sys.modules[name] = None          # `import name` now raises ModuleNotFoundError
    import numpy as np
    fmt, said = sys.argv[2], {}
    def feed(part): return {i['name']: data[i['name']] for i in info['parts'][part]['inputs']}
    def run(part):
        path = f"{folder}/{info['parts'][part]['file']}"
        if fmt == 'onnx':
            import onnxruntime as ort
            s = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
            return dict(zip([o.name for o in s.get_outputs()], s.run(None, feed(part))))
        if fmt == 'tf_saved_model':
            import tensorflow as tf
            out = tf.saved_model.load(path).signatures['serving_default'](**{k: tf.constant(v) for k, v in feed(part).items()})
            return {k: v.numpy() for k, v in out.items()}
        if fmt == 'litert':
            import tensorflow as tf
            it = tf.lite.Interpreter(model_path=path)
            runner = it.get_signature_runner('serving_default')
            return runner(**feed(part))
    for folder in sys.argv[1].split(','):
        info, data = json.load(open(f"{folder}/export.json")), np.load(f"{folder}/inputs.npz")
        said[folder] = {part: {k: np.asarray(v).tolist() for k, v in run(part).items()} for part in info['parts']}
    loaded = sorted(m for m in sys.modules if sys.modules[m] is not None and m.split('.')[0] in blocked)
    print(json.dumps({'out': said, 'loaded': loaded}))
''')

def expected(model, rng):
    "Inputs for both parts and the model's own outputs on them (a CVAE: one label per row)."
    n, d = 6, model.latent_dim
    z = rng.standard_normal((n, d)).astype(np.float32)
    images = rng.random((n, *model.image_shape)).astype(np.float32)
    y = (np.arange(n) % model.num_classes).astype(np.int64) if model.conditional else None
    mean, log_var = model.encode(images, y)
    inputs = {'z': z, 'images': images, **({'label': y} if y is not None else {})}
    return inputs, {'decoder': {'pixel_means': model.decode(z, y)}, 'encoder': {'mean': mean, 'log_var': log_var}}

def close(got, want, decoder):
    "Max |difference|, and whether it is within TOL: absolute for pixel means (in [0, 1]), relative to max(1, |value|) for codes."
    diff = np.abs(np.asarray(got, np.float32) - want)
    return float(diff.max()), bool(np.shape(got) == want.shape and (diff <= TOL * (1 if decoder else np.maximum(1, np.abs(want)))).all())

def run_child(fmt, exported, results):
    "Run every exported folder of `fmt` in one child process that cannot import keras or vae_tutorial; judge each part."
    blocked = 'keras,vae_tutorial' + (',tensorflow' if fmt == 'onnx' else '')
    env = {**os.environ, 'PYTHONPATH': ''}
    folders = ','.join(str(f) for f, _, _ in exported)
    p = subprocess.run([sys.executable, '-c', CHILD, folders, fmt, blocked], capture_output=True, text=True, env=env, cwd=exported[0][0].parent)
    said = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None
    for folder, name, want in exported:
        for part, outs in want.items():
            label = f'{name} {part} {fmt}'
            if said is None: results.append((label, False, 'the child failed: ' + (p.stderr.strip().splitlines() or ['?'])[-1][:300])); continue
            if said['loaded']: results.append((label, False, f"the child loaded {said['loaded'][:3]}")); continue
            judged = {k: close(said['out'][str(folder)][part][k], v, part == 'decoder') for k, v in outs.items()}
            results.append((label, all(ok for _, ok in judged.values()), ', '.join(f'{k} max |diff| {d:.1e}' for k, (d, _) in judged.items())
                            + ('' if part == 'decoder' else ' (relative to max(1, |value|): within 1e-5)')))

def main():
    work = Path(tempfile.mkdtemp(prefix='vae_export_'))
    results = []
    try:
        exported = {fmt: [] for fmt in FORMATS}
        for name in MODELS:
            model = pretrained(name, say=None).model
            inputs, want = expected(model, np.random.default_rng(0))
            for fmt in FORMATS:
                folder = work/f'{name}-{fmt}'
                try: export_model(model, folder, format=fmt)
                except ExportError as e:       # an exporter that is not installed: said, not failed, unless it is ONNX
                    results.append((f'{name} {fmt}', fmt != 'onnx', f'not run: {e}')); continue
                np.savez(folder/'inputs.npz', **inputs)
                exported[fmt].append((folder, name, want))
        for fmt, done in exported.items():
            if done: run_child(fmt, done, results)
    finally: shutil.rmtree(work, ignore_errors=True)
    width = max(len(r[0]) for r in results)
    for label, ok, detail in results: print(f"{'PASS' if ok else 'FAIL'}  {label:<{width}}  {detail}")
    bad = sum(not ok for _, ok, _ in results)
    print(f"\n{len(results) - bad} passed, {bad} failed (exported files run without keras and vae_tutorial, tolerance {TOL:g})")
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
