"For tests/hostile.py: a `write_run` that is slow enough to be interrupted (run in a subprocess; no TensorFlow)."
import time
from pathlib import Path

class SlowFig:
    "Writes a few bytes after `wait` seconds, like a figure that takes a while to render."
    def __init__(self, wait): self.wait = wait
    def savefig(self, path, **kw):
        Path(path).write_bytes(b'new')
        time.sleep(self.wait)

class FakeModel:
    def save(self, path): Path(path).write_bytes(b'model')

def slow_write_run(out):
    "Start writing a run into `out` whose second figure takes 30 s: a signal arrives meanwhile."
    from vae_tutorial.cli import write_run
    from types import SimpleNamespace
    figs = {'samples.png': SlowFig(0), 'reconstructions.png': SlowFig(30), 'loss.png': SlowFig(0)}
    write_run(SimpleNamespace(model=FakeModel(), figures=figs, record={'tag': 'new'}), Path(out), {})
