#!/usr/bin/env python
"""Run the notebooks in a real Jupyter kernel, as JupyterLab's Run All does, and check what a reader sees.

    python tools/kernel_check.py [NOTEBOOK ...]          check (default: every nbs/*.ipynb)
    python tools/kernel_check.py --save NOTEBOOK ...     run, then save the outputs into the notebook (and nbdev-clean it)
    python tools/kernel_check.py --flags slow ...        also run the `#| slow` cells (e.g. to save their outputs)

nbdev-test runs the notebooks in-process, without a kernel or a display, so it cannot see a figure that never
appears, or appears twice. This runs each notebook in its own ipykernel (nbclient, the inline matplotlib backend,
ipywidgets) and fails when, in any cell it runs:
- the cell errors, or writes to stderr (a warning, a traceback printed by hand);
- the cell shows a different number of figures than the committed notebook shows for it (a figure that never
  appears, or one that appears twice, e.g. a returned figure left as the cell's last value);
- a widget (`interact`) does not draw exactly one figure in its output, first and after every control is moved,
  or leaves figures open behind it;
and, for the notebook as a whole, when it
- changes global state a reader's later cells depend on (grad mode, default dtype, torch threads, deterministic
  algorithms, matplotlib rcParams, the working folder);
- leaves files in the temporary folder, or creates the default data folder (~/.cache/pytorch_cls/data);
- has no kernelspec (JupyterLab then asks for a kernel and marks the notebook modified).
It runs every cell but `#| eval: false` ones and flagged ones (`slow`, `gpu` where CUDA is present) not asked for
with --flags; `#| gpu` cells run on a CPU machine (they must say what they would do). Long silent cells (no output
for more than 10 s) are listed, not failed: timing depends on the machine.
"""
import argparse, copy, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
WIDGET_MIME = 'application/vnd.jupyter.widget-view+json'
MARK = '# kernel_check:'  # first line of the cells this tool adds

PROLOGUE = MARK + ''' state before the notebook
def _kc_state():
    import os, torch, matplotlib
    rc = {k: v for k, v in matplotlib.rcParams.items() if k not in ('backend', 'interactive')}
    return dict(grad_mode=torch.is_grad_enabled(), default_dtype=torch.get_default_dtype(), threads=torch.get_num_threads(),
                deterministic=torch.are_deterministic_algorithms_enabled(), cwd=os.getcwd(), rc=rc)
_kc_before = _kc_state()'''

EPILOGUE = MARK + ''' state after the notebook
def _kc_diff():
    from matplotlib_inline.config import InlineBackend
    before, after = _kc_before, _kc_state()
    before['rc'] = {**before['rc'], **{k: v for k, v in InlineBackend.instance().rc.items() if k in before['rc']}}
    for k in before:
        if k == 'rc':
            for r in sorted(set(before['rc']) | set(after['rc'])):
                if str(before['rc'].get(r)) != str(after['rc'].get(r)):
                    print(f"KC-STATE matplotlib rcParams[{r!r}] is {after['rc'].get(r)!r} (was {before['rc'].get(r)!r})")
        elif before[k] != after[k]: print(f'KC-STATE {k} is {after[k]!r} (was {before[k]!r})')
_kc_diff()'''

MOVE = MARK + ''' move every control of the last interact widget, twice
import ipywidgets as _kc_w, matplotlib.pyplot as _kc_plt
_kc_all = getattr(_kc_w.widgets.widget, '_instances', None) or _kc_w.Widget.widgets  # ipywidgets 8, 7
_kc_i = [w for w in list(_kc_all.values()) if isinstance(w, _kc_w.interactive)][-1]
def _kc_moves(c):
    if isinstance(c, _kc_w.Checkbox): return [('value', not c.value), ('value', c.value)]
    if hasattr(c, 'options'): return [('index', len(c.options) - 1), ('index', 0)] if len(c.options) > 1 else []
    if hasattr(c, 'max'): return [('value', c.max), ('value', c.min)]
    return []
for _kc_c in _kc_i.kwargs_widgets:
    for _kc_attr, _kc_v in _kc_moves(_kc_c):
        setattr(_kc_c, _kc_attr, _kc_v)
        print(f'KC-MOVE {_kc_c.description}={_kc_c.value!r} open_figures={len(_kc_plt.get_fignums())}', flush=True)'''


def flags_of(src: str) -> set:
    return {m.group(1).strip() for m in re.finditer(r'^#\|\s*([^\n]+)$', src, re.M)}


def should_run(cell, flags: set, cuda: bool) -> bool:
    if cell.cell_type != 'code': return False
    f = flags_of(cell.source)
    if any(re.fullmatch(r'eval:\s*false', x, re.I) for x in f): return False
    if 'slow' in f and 'slow' not in flags: return False
    if 'gpu' in f and cuda and 'gpu' not in flags: return False
    return True


def images(outs) -> int:
    return sum(1 for o in outs if o.get('output_type') in ('display_data', 'execute_result')
               and any(k.startswith('image/') for k in o.get('data', {})))


def widget_views(outs) -> list:
    return [o['data'][WIDGET_MIME]['model_id'] for o in outs
            if o.get('output_type') in ('display_data', 'execute_result') and WIDGET_MIME in o.get('data', {})]


def stderr_text(outs) -> str:
    return ''.join(''.join(o['text']) if isinstance(o['text'], list) else o['text']
                   for o in outs if o.get('output_type') == 'stream' and o.get('name') == 'stderr')


def stdout_text(outs) -> str:
    return ''.join(''.join(o['text']) if isinstance(o['text'], list) else o['text']
                   for o in outs if o.get('output_type') == 'stream' and o.get('name') == 'stdout')


class TimedClient(NotebookClient):
    "An nbclient that records when each output (or widget update) of a cell arrived, to find cells that stay silent for long"
    def output(self, outs, msg, display_id, cell_index):
        self.times.setdefault(cell_index, []).append(time.monotonic())
        return super().output(outs, msg, display_id, cell_index)

    def handle_comm_msg(self, outs, msg, cell_index):  # a progress bar's update counts as speaking
        self.times.setdefault(cell_index, []).append(time.monotonic())
        return super().handle_comm_msg(outs, msg, cell_index)


def first_line(src: str) -> str:
    return next((l for l in src.splitlines() if l.strip() and not l.startswith('#|')), '')[:70]


def default_data_dir() -> Path:
    return Path(os.environ.get('PYTORCH_CLS_DATA', '~/.cache/pytorch_cls/data')).expanduser()


def check_notebook(path: Path, flags: set, save: bool, timeout: int, cuda: bool) -> tuple:
    "(problems, notes, seconds) for one notebook"
    problems, notes = [], []
    committed = nbformat.read(path, as_version=4)
    ks = committed.metadata.get('kernelspec', {})
    if ks.get('name') != 'python3':
        problems.append("no kernelspec 'python3' in the notebook's metadata: JupyterLab asks for a kernel and marks it modified")
    run = [i for i, c in enumerate(committed.cells) if should_run(c, flags, cuda)]
    nb = copy.deepcopy(committed)
    for c in nb.cells:
        if c.cell_type == 'code': c.outputs = []
    # the cells to execute, in order: (index in the committed notebook or None, cell)
    plan = [(None, nbformat.v4.new_code_cell(PROLOGUE))]
    for i in run:
        plan.append((i, nb.cells[i]))
        if 'interact(' in nb.cells[i].source: plan.append(('move', nbformat.v4.new_code_cell(MOVE)))
    plan.append((None, nbformat.v4.new_code_cell(EPILOGUE)))
    exec_nb = nbformat.v4.new_notebook(cells=[c for _, c in plan], metadata=committed.metadata)

    tmp = Path(tempfile.mkdtemp(prefix='kernel_check_'))
    kernel_tmp = tmp/'tmp'; kernel_tmp.mkdir()
    data_dir_existed = default_data_dir().exists()
    env_keep = {k: os.environ.get(k) for k in ('TMPDIR', 'PYDEVD_DISABLE_FILE_VALIDATION')}
    os.environ['TMPDIR'] = str(kernel_tmp)  # the kernel (started below) inherits it: tempfile.mkdtemp() lands there
    os.environ['PYDEVD_DISABLE_FILE_VALIDATION'] = '1'
    client = TimedClient(exec_nb, timeout=timeout, kernel_name='python3', store_widget_state=True, allow_errors=True,
                         resources={'metadata': {'path': str(path.parent)}}, record_timing=True)
    client.times = {}
    t0 = time.monotonic()
    try:
        with client.setup_kernel(env={**os.environ}):
            last_widget = None
            for k, (orig, cell) in enumerate(plan):
                started = time.monotonic()
                try: client.execute_cell(cell, k)
                except CellTimeoutError: problems.append(f'cell {orig}: still running after {timeout} s'); break
                except DeadKernelError: problems.append(f'cell {orig}: the kernel died'); break
                secs = time.monotonic() - started
                outs = cell.outputs
                where = f'cell {orig} ({first_line(committed.cells[orig].source)!r})' if isinstance(orig, int) else None
                for o in outs:
                    if o.output_type == 'error':
                        problems.append(f"{where or 'the check itself'}: {o.ename}: {o.evalue[:300]}")
                if (err := stderr_text(outs)):
                    problems.append(f"{where or 'a check cell'} writes to stderr: {err.strip()[:400]}")
                if isinstance(orig, int):
                    want, got = images(committed.cells[orig].outputs), images(outs)
                    if got != want and not save:
                        problems.append(f'{where} shows {got} figure(s) in a kernel; the committed page shows {want}')
                    ts = [started] + client.times.get(k, []) + [started + secs]
                    gap = max(b - a for a, b in zip(ts, ts[1:]))
                    if secs > 10 and gap > 10: notes.append(f'{where} ran {secs:.0f} s, silent for {gap:.0f} s at a stretch')
                    views = widget_views(outs)
                    if 'interact(' in cell.source:
                        if not views: problems.append(f'{where} calls interact but shows no widget')
                        else: last_widget = (where, views[-1])
                    if views and last_widget: problems += widget_problems(client, last_widget, 'as first drawn')
                elif orig == 'move' and last_widget:
                    out = stdout_text(outs)
                    for line in out.splitlines():
                        if m := re.match(r'KC-MOVE (.*) open_figures=(\d+)', line):
                            if int(m.group(2)): problems.append(f'{last_widget[0]}: after {m.group(1)}, {m.group(2)} figure(s) '
                                                                'left open (the widget piles figures up)')
                    problems += widget_problems(client, last_widget, 'after its controls were moved')
                elif plan[k][1].source.startswith(MARK + ' state after'):
                    problems += [l[len('KC-STATE '):] + ' after the notebook ran' for l in stdout_text(outs).splitlines()
                                 if l.startswith('KC-STATE ')]
    finally:
        os.environ.update({k: v for k, v in env_keep.items() if v is not None})
        for k, v in env_keep.items():
            if v is None: os.environ.pop(k, None)
    secs = time.monotonic() - t0
    left = sorted(p.name for p in kernel_tmp.iterdir() if not p.name.startswith('torchinductor_'))  # PyTorch's compile cache, made by `import torchvision`
    if left: problems.append(f"leaves {len(left)} item(s) in the temporary folder: {', '.join(left[:5])}")
    if not data_dir_existed and default_data_dir().exists():
        problems.append(f'creates {default_data_dir()} (nothing should be written there unless data is downloaded)')
        shutil.rmtree(default_data_dir(), ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)

    if save and not problems:
        by_index = {orig: cell for orig, cell in plan if isinstance(orig, int)}
        for i, cell in by_index.items():
            committed.cells[i].outputs = coalesce([o for o in cell.outputs if WIDGET_MIME not in o.get('data', {})])  # a saved widget is dead on the site
        committed.metadata['kernelspec'] = {'display_name': 'Python 3 (ipykernel)', 'language': 'python', 'name': 'python3'}
        nbformat.write(committed, path)
        subprocess.run(['nbdev-clean', '--fname', str(path)], check=True, cwd=ROOT)
    return problems, notes, secs


def coalesce(outs) -> list:
    "Consecutive pieces of one stream joined into one output, as a reader's notebook shows them (not one block per flush)"
    merged = []
    for o in outs:
        if merged and o.get('output_type') == 'stream' and merged[-1].get('output_type') == 'stream' and merged[-1].name == o.name:
            merged[-1].text += o.text
        else: merged.append(o)
    return merged


def widget_problems(client, widget, when) -> list:
    "The interact widget's output area must hold exactly one figure and no stderr"
    where, view = widget
    state = client.widget_state
    kids = state.get(view, {}).get('children', [])
    outs_ids = [c.replace('IPY_MODEL_', '') for c in kids if state.get(c.replace('IPY_MODEL_', ''), {}).get('_model_name') == 'OutputModel']
    if not outs_ids: return [f'{where}: the widget has no output area']
    outs = state[outs_ids[-1]].get('outputs', [])
    probs = []
    if (n := images(outs)) != 1: probs.append(f'{where}: the widget shows {n} figures {when} (one expected)')
    if (err := stderr_text(outs)): probs.append(f'{where}: the widget writes to stderr {when}: {err.strip()[:300]}')
    for o in outs:
        if o.get('output_type') == 'error': probs.append(f"{where}: the widget's function fails {when}: {o['ename']}: {o['evalue'][:200]}")
    return probs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('notebooks', nargs='*', help='notebooks to run (default: nbs/*.ipynb)')
    ap.add_argument('--save', action='store_true', help='save the fresh outputs into the notebooks (figure counts are not compared)')
    ap.add_argument('--flags', default='', help="also run cells with these flags, e.g. 'slow'")
    ap.add_argument('--timeout', type=int, default=300, help='seconds a cell may run (default 300)')
    a = ap.parse_args(argv)
    nbs = [Path(p) for p in a.notebooks] or sorted((ROOT/'nbs').glob('*.ipynb'))
    missing = [str(p) for p in nbs if not p.is_file()]
    if missing: print(f"kernel check: no such notebook: {', '.join(missing)}"); return 2
    cuda = shutil.which('nvidia-smi') is not None
    bad, total = 0, time.monotonic()
    for p in nbs:
        problems, notes, secs = check_notebook(p.resolve(), set(a.flags.split()), a.save, a.timeout, cuda)
        print(f"{'FAIL' if problems else 'ok  '} {p.name:<34} {secs:5.0f}s" + (' (saved)' if a.save and not problems else ''), flush=True)
        for x in problems: print(f'     {x}')
        for x in notes: print(f'     note: {x}')
        bad += bool(problems)
    print(f'kernel check: {len(nbs) - bad} passed, {bad} failed ({time.monotonic() - total:.0f} s)')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
