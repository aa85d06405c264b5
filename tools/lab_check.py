#!/usr/bin/env python
"""Use the notebooks as a reader does: JupyterLab in headless Chromium, Run All, move every widget's controls.

    python tools/lab_check.py OUT_DIR [00_resnet 10_cutout ...]     (default: 00 04 10 11 12 13 21 recipe)

Needs Debian's `chromium` and `pip install playwright` (Playwright drives the system Chromium; it downloads no
browser). It copies the repository to a temporary folder (JupyterLab saves what it runs: the working tree is never
touched), starts JupyterLab there, and for each notebook:
- opens it and records whether JupyterLab asks for a kernel, and whether it marks the notebook modified (it does
  whenever the stored `language_info` and kernel display name differ from the running kernel's: JupyterLab writes
  the reader's exact Python version there, and nbdev-clean strips both again, so this is noted, not failed);
- runs Run > Run All Cells and waits until the kernel is idle;
- counts per cell the figures shown and the error / stderr outputs, and compares the figures with the committed
  notebook (cells flagged slow are left as committed: Run All on a CPU runs them too, so they are skipped by
  clearing their source in the copy);
- for every ipywidgets slider, dropdown or checkbox: changes it, waits, and checks that the widget's output area
  shows exactly one figure and that it changed (screenshots before and after);
- saves a full-page screenshot OUT_DIR/NAME.png and widget screenshots OUT_DIR/NAME_widgetK_*.png.
Prints one line per notebook and each problem; exit 1 if any.
"""
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ['00_resnet', '04_pyramidnet', '10_cutout', '11_random_erasing', '12_mixup', '13_core', '21_interpret', 'recipe']
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def committed_figures(nb_path: Path) -> list:
    "Per code cell (in order): (figures in the committed outputs, runs in a CPU Run All of the copy)"
    nb = json.loads(nb_path.read_text())
    out = []
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        figs = sum(1 for o in c.get('outputs', []) if any(k.startswith('image/') for k in o.get('data', {})))
        skip = bool(re.search(r'^#\|\s*(slow|eval:\s*false)\s*$', src, re.M))
        out.append((figs, not skip))
    return out


def strip_slow(nb_path: Path):
    "In the copy, slow / eval: false cells keep their committed outputs but do not run"
    nb = json.loads(nb_path.read_text())
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'code' and re.search(r'^#\|\s*(slow|eval:\s*false)\s*$', src, re.M):
            c['cell_type'] = 'raw'; c.pop('outputs', None); c.pop('execution_count', None)
    nb_path.write_text(json.dumps(nb, indent=1))


def wait_idle(page, timeout=900):
    "Until no cell shows [*] and the kernel status says idle"
    t0 = time.time()
    time.sleep(2)
    while time.time() - t0 < timeout:
        busy = page.locator('.jp-InputPrompt', has_text='[*]').count()
        if busy == 0: return time.time() - t0
        time.sleep(1)
    raise TimeoutError(f'cells still running after {timeout} s')


def cell_report(page) -> list:
    "Per code cell in the page: (figures, errors, stderr texts)"
    return page.evaluate('''() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')).map(c => {
        const outs = c.querySelector('.jp-OutputArea');
        const imgs = outs ? Array.from(outs.querySelectorAll('.jp-OutputArea-output img')).filter(
            i => !i.closest('.widget-output')).length : 0;
        const err = outs ? outs.querySelectorAll('[data-mime-type="application/vnd.jupyter.error"]').length : 0;
        const stderr = outs ? Array.from(outs.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.innerText.slice(0, 300)) : [];
        return [imgs, err, stderr];
    })''')


def check_widgets(page, name, out_dir) -> list:
    problems = []
    widgets = page.locator('.widget-interact')
    for k in range(widgets.count()):
        w = widgets.nth(k)
        w.scroll_into_view_if_needed()
        area = w.locator('.widget-output')
        def figures(): return area.locator('img').count()
        time.sleep(1)
        if figures() != 1: problems.append(f'widget {k}: shows {figures()} figures before any move (one expected)')
        w.screenshot(path=str(out_dir/f'{name}_widget{k}_0.png'))
        controls = w.locator('.widget-slider, .widget-dropdown, .widget-checkbox')
        for j in range(controls.count()):
            c = controls.nth(j)
            label = (c.inner_text() or '').replace('\u200b', '').strip().split('\n')[0] or f'control {j}'
            before = area.locator('img').first.get_attribute('src') if figures() else None
            cls = c.get_attribute('class') or ''
            if 'widget-slider' in cls:
                handle = c.locator('.noUi-handle, .slider-handle, [role=slider]').first
                handle.focus(); [page.keyboard.press('ArrowRight') for _ in range(3)]
                time.sleep(4)
                if area.locator('img').count() == 1 and area.locator('img').first.get_attribute('src') == before:
                    [page.keyboard.press('ArrowLeft') for _ in range(6)]  # it was at its maximum
            elif 'widget-dropdown' in cls:
                sel = c.locator('select'); opts = sel.locator('option')
                if opts.count() > 1: sel.select_option(index=opts.count() - 1)
            else:
                c.locator('input').first.click()
            time.sleep(4)  # the kernel redraws
            n = figures()
            after = area.locator('img').first.get_attribute('src') if n else None
            w.screenshot(path=str(out_dir/f'{name}_widget{k}_{j + 1}.png'))
            if n != 1: problems.append(f'widget {k}: after moving {label!r}, shows {n} figures (one expected)')
            elif after == before: problems.append(f'widget {k}: moving {label!r} did not change the figure')
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv: print(__doc__); return 2
    out_dir = Path(argv[0]).resolve(); out_dir.mkdir(parents=True, exist_ok=True)
    names = argv[1:] or DEFAULT
    from playwright.sync_api import sync_playwright
    work = Path(tempfile.mkdtemp(prefix='lab_check_'))
    subprocess.run(['git', 'clone', '-q', str(ROOT), str(work/'repo')], check=True)
    for n in names:  # the working tree's notebooks, not only what is committed
        shutil.copy(ROOT/'nbs'/f'{n}.ipynb', work/'repo'/'nbs'/f'{n}.ipynb'); strip_slow(work/'repo'/'nbs'/f'{n}.ipynb')
    port = free_port()
    settings = work/'settings'/'@jupyterlab'/'notebook-extension'; settings.mkdir(parents=True)
    (settings/'tracker.jupyterlab-settings').write_text('{"windowingMode": "none"}')  # every cell in the page, not only the visible ones
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(work/'jcfg'), 'JUPYTER_RUNTIME_DIR': str(work/'jrt')}
    lab = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--port={port}', '--ServerApp.token=',
                            '--ServerApp.password=', '--ServerApp.disable_check_xsrf=True', '--allow-root', f'--ServerApp.root_dir={work/"repo"}',
                            f'--LabApp.user_settings_dir={work/"settings"}', f'--LabApp.workspaces_dir={work/"ws"}'],
                           stdout=open(work/'lab.log', 'w'), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    bad = 0
    try:
        for _ in range(120):
            try: socket.create_connection(('127.0.0.1', port), 1).close(); break
            except OSError: time.sleep(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path='/usr/bin/chromium', headless=True, args=CHROMIUM_ARGS)
            for n in names:
                ctx = browser.new_context(viewport={'width': 1400, 'height': 1000})
                page = ctx.new_page()
                problems, notes = [], []
                page.goto(f'http://127.0.0.1:{port}/lab/tree/nbs/{n}.ipynb?reset', wait_until='domcontentloaded')
                page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120000)
                for _ in range(60):  # until the kernel is up (or JupyterLab asks for one): a cold server can take a while
                    if page.locator('.jp-Dialog', has_text='Select Kernel').count(): break
                    if page.locator('.jp-StatusBar-TextItem', has_text='Idle').count(): break
                    time.sleep(1)
                time.sleep(2)
                if page.locator('.jp-Dialog', has_text='Select Kernel').count(): problems.append('asks "Select Kernel" on opening')
                if page.locator('.lm-TabBar-tab.jp-mod-dirty').count():  # see the note in the docstring
                    notes.append('marked modified once the kernel started (JupyterLab writes language_info and the kernel name)')
                page.locator('.jp-Notebook').first.click()
                page.click('.lm-MenuBar-itemLabel:text-is("Run")')
                page.click('.lm-Menu-itemLabel:text-is("Run All Cells")')
                secs = wait_idle(page)
                time.sleep(3)
                rep = cell_report(page)
                want = committed_figures(work/'repo'/'nbs'/f'{n}.ipynb')
                prompts = page.locator('.jp-Notebook .jp-CodeCell .jp-InputPrompt').all_inner_texts()
                not_run = [i for i, ((_, ran), t) in enumerate(zip(want, prompts)) if ran and not re.search(r'\[\d+\]', t)]
                if not_run: problems.append(f'Run All did not run {len(not_run)} code cell(s) (first: {not_run[0]})')
                for i, ((figs, errs, stderr), (w, ran)) in enumerate(zip(rep, want)):
                    if errs: problems.append(f'code cell {i}: error output')
                    if stderr: problems.append(f'code cell {i}: stderr: {stderr[0][:200]!r}')
                    if ran and figs != w: problems.append(f'code cell {i}: shows {figs} figures, the committed page {w}')
                problems += check_widgets(page, n, out_dir)
                page.screenshot(path=str(out_dir/f'{n}.png'), full_page=True)
                shown = sum(r[0] for r in rep)
                print(f"{'FAIL' if problems else 'ok  '} {n:<22} Run All {secs:5.0f} s, {shown} figures shown", flush=True)
                for x in problems: print(f'     {x}')
                for x in notes: print(f'     note: {x}')
                bad += bool(problems)
                ctx.close()
            browser.close()
    finally:
        os.killpg(lab.pid, signal.SIGTERM); lab.wait(30)
        if os.environ.get('LAB_CHECK_KEEP'): print(f'kept {work}')
        else: shutil.rmtree(work, ignore_errors=True)
    print(f'lab check: {len(names) - bad} passed, {bad} failed; screenshots in {out_dir}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
