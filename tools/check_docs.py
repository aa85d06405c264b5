#!/usr/bin/env python3
"""Check the processed notebooks (`_proc/`, written by tools/docs_offline.py) and README.md as a reader meets them.

Fails (exit 1, one line per problem) when:
- a concept page (00-12) does not show the source of a class it exports (use `#| exports`, not `#| export`),
  has no "Exercises" section, or has no experiment (a `compare(` call in a `#| slow` cell: the paper's claim
  shown on images, see the recipe page);
- a shown code line is longer than 88 characters (the docs' code column cuts it off): lines of `#| exports` cells
  and of visible code cells count; hidden cells, `#| export` cells (the site shows only their signature) and
  `#| echo: false` cells do not;
- a page mentions `seed-spec`, `../shared` or a path outside the repository, or speaks of the original
  implementation as "the seed";
- a page that mentions the original implementation never links it;
- a relative link points to a file that does not exist, or another notebook is named as plain text ("notebook 10");
- a saved image is wider than the page column at the house style's DPI (`core.PAGE_WIDTH` inches at 100 dpi,
  saved at 2x for high-DPI screens);
- a saved output holds `interactive(children=` (a widget's text form instead of the static figure);
- a `#| gpu` cell does not check `torch.cuda.is_available()` (Run all on a CPU runtime would stop there);
- the sidebar (`nbs/sidebar.yml`) misses a page or lists one that does not exist.

`python tools/check_docs.py nbs/10_cutout.ipynb ...` processes and checks just those notebooks (no `_proc/` needed).
`python tools/check_docs.py --self-test` checks the checker: a clean synthetic page passes, and each kind of defect
planted in it is reported."""
import base64, json, re, shutil, struct, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL = 'https://github.com/hysts/pytorch_image_classification'
SITE = 'https://pytorch-cls.github.io/pytorch_cls'
PAGE_PX = 850 * 2  # PAGE_WIDTH (8.5 in) at 100 dpi, saved at 2x (execnb's 'retina' format)
CONCEPT = re.compile(r'^(0\d|1[0-2])_')
LEAKS = re.compile(r'seed-spec|\.\./shared|/work/|\]\(\.\./\.\.')
PLACEHOLDER = re.compile(r'\b[A-Z_]*PLACEHOLDER[A-Z_0-9-]*|\{\{[A-Z_0-9]+\}\}|\bCELL\d\d\b|\bSANITY\d\d\b')  # text not yet written
SEED_AS_ORIGINAL = re.compile(r"\b(the seed\b(?! (of|for|value|argument|flag|and))|seed's|seed (implementation|README|code|repository|network))", re.I)
NOTEBOOK_NN = re.compile(r'\bnotebooks? \d\d\b', re.I)
LINK = re.compile(r'(?<!!)\[[^\]]*\]\(([^)\s]+)\)')
MAX_LINE = 88  # characters of a shown code line


def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']

def _strip_code(md):  # markdown without fenced blocks and inline code
    return re.sub(r'`[^`\n]*`', '', re.sub(r'```.*?```', '', md, flags=re.S))

def _directives(src): return dict(re.findall(r'^#\|\s*([\w-]+):?\s*(.*?)\s*$', src, re.M))

def _visible(c):
    d = _directives(_src(c))
    return 'hide' not in d and d.get('echo') != 'false' and d.get('include') != 'false'

def _exported_classes(nb):
    names = []
    for c in nb['cells']:
        s = _src(c)
        if c['cell_type'] == 'code' and re.search(r'^#\|\s*exports?\b', s, re.M):
            names += [n for n in re.findall(r'^class (\w+)', s, re.M) if not n.startswith('_')]
    return names

def _png_widths(c):
    for o in c.get('outputs', []):
        d = o.get('data', {}).get('image/png')
        if d:
            b = base64.b64decode(''.join(d) if isinstance(d, list) else d)
            yield struct.unpack('>II', b[16:24])[0]

def _output_text(c):
    out = []
    for o in c.get('outputs', []):
        t = o.get('text') or o.get('data', {}).get('text/plain') or ''
        out.append(''.join(t) if isinstance(t, list) else t)
        md = o.get('data', {}).get('text/markdown')
        if md: out.append(''.join(md) if isinstance(md, list) else md)
    return '\n'.join(out)

def _long_lines(src):
    "Lines of a shown cell longer than MAX_LINE characters (cell directives do not show)"
    return [l for l in src.splitlines() if len(l) > MAX_LINE and not re.match(r'^\s*#\|', l)]

def _has_experiment(nb):
    "Whether a `#| slow` cell of `nb` calls `compare(`"
    return any(c['cell_type'] == 'code' and 'slow' in _directives(_src(c)) and re.search(r'\bcompare\(', _src(c))
               for c in nb['cells'])

def check_page(name, proc_nb, src_nb, nbs_dir):
    "Problems of one page: `proc_nb` as processed for the docs, `src_nb` the notebook it came from"
    probs, cells = [], proc_nb['cells']
    src_index = {c['id']: k for k, c in enumerate(src_nb['cells']) if c.get('id')}
    def where(i):  # the cell's index in the notebook (as `nbtool` counts), else in the processed page
        k = src_index.get(cells[i].get('id'))
        return f'cell {k}' if k is not None else f'processed cell {i}'
    md = '\n'.join(_src(c) for c in cells if c['cell_type'] in ('markdown', 'raw'))
    text = md + '\n' + '\n'.join(_src(c) + '\n' + _output_text(c) for c in cells if c['cell_type'] == 'code')
    for m in sorted(set(LEAKS.findall(text))): probs.append(f'mentions {m!r}, which a reader does not have')
    for m in sorted(set(PLACEHOLDER.findall(md))): probs.append(f'has a placeholder {m!r} where text should be')
    prose = _strip_code(md)
    for m in sorted({m[0] for m in SEED_AS_ORIGINAL.findall(prose)}): probs.append(f'calls the original implementation {m!r}: say "the original implementation"')
    for m in sorted(set(NOTEBOOK_NN.findall(prose))):
        probs.append(f'names another page as plain text ({m!r}): link it, e.g. [Cutout](10_cutout.ipynb)')
    if 'original implementation' in prose and ORIGINAL not in md: probs.append(f'mentions the original implementation but never links {ORIGINAL}')
    for target in LINK.findall(md):
        if re.match(r'^(https?:|mailto:|#)', target): continue
        path = target.split('#')[0]
        if path and not (nbs_dir / path).exists(): probs.append(f'links {target!r}, which does not exist')
    for i, c in enumerate(cells):
        for w in _png_widths(c):
            if w > PAGE_PX: probs.append(f'{where(i)}: a saved image is {w} px wide, more than the page column ({PAGE_PX} px at 2x); draw it at most PAGE_WIDTH inches wide')
        if 'interactive(children=' in _output_text(c): probs.append(f'{where(i)}: a saved output holds interactive(children=...): save the static figure, not the widget')
        if c['cell_type'] == 'code' and _visible(c) and (long := _long_lines(_src(c))):
            first = long[0].strip()
            probs.append(f'{where(i)}: {len(long)} shown code line(s) longer than {MAX_LINE} characters '
                         f'(the longest {max(map(len, long))}), e.g. {first[:60]!r}...')
    if CONCEPT.match(name):
        shown = '\n'.join(_src(c) for c in cells if c['cell_type'] == 'code' and _visible(c))
        for cls in _exported_classes(src_nb):
            if not re.search(rf'^class {cls}\b', shown, re.M): probs.append(f'does not show the source of class {cls} (make its cell `#| exports`)')
        if not re.search(r'^#+\s+Exercises', md, re.M): probs.append('has no "Exercises" section')
        if not _has_experiment(src_nb): probs.append('has no experiment: no `#| slow` cell calls compare(...) (see the recipe page)')
    src_md = '\n'.join(_src(c) for c in src_nb['cells'] if c['cell_type'] == 'markdown')
    for target in sorted({t for t in LINK.findall(src_md) if t.startswith(SITE)}):
        probs.append(f'links the docs site absolutely ({target}): link the notebook relatively')
    for i, c in enumerate(src_nb['cells']):
        s = _src(c)
        if c['cell_type'] == 'code' and re.search(r'^#\|\s*gpu\s*$', s, re.M) and 'cuda.is_available()' not in s:
            probs.append(f'cell {i}: a #| gpu cell does not check torch.cuda.is_available()')
    return probs

def check_readme(readme, root):
    probs, text = [], readme.read_text()
    for m in sorted(set(LEAKS.findall(text))): probs.append(f'mentions {m!r}, which a reader does not have')
    for target in LINK.findall(text):
        if re.match(r'^(https?:|mailto:|#)', target): continue
        if not (root / target.split('#')[0]).exists(): probs.append(f'links {target!r}, which does not exist')
    return probs

def check(proc:Path, nbs:Path, readme:Path|None):
    problems = []
    pages = sorted(proc.glob('*.ipynb'))
    if not pages: return [f'{proc}: no processed notebooks (run tools/docs_offline.py first)']
    for p in pages:
        src = nbs / p.name
        src_nb = json.loads(src.read_text()) if src.exists() else {'cells': []}
        problems += [f'{p.name}: {m}' for m in check_page(p.name, json.loads(p.read_text()), src_nb, nbs)]
    if readme is not None and readme.exists(): problems += [f'README.md: {m}' for m in check_readme(readme, readme.parent)]
    sidebar = nbs / 'sidebar.yml'
    if sidebar.exists():
        listed = set(re.findall(r'[\w.-]+\.ipynb', sidebar.read_text()))
        problems += [f'sidebar.yml does not list {p.name}' for p in pages if p.name not in listed]
        problems += [f'sidebar.yml lists {n}, which does not exist' for n in sorted(listed - {p.name for p in pages})]
    return problems

def self_test():
    "A clean synthetic page passes; each planted defect, alone, is reported"
    md = lambda s: dict(cell_type='markdown', metadata={}, source=s)
    code = lambda s, outputs=(): dict(cell_type='code', metadata={}, execution_count=None, source=s, outputs=list(outputs))
    def png(width):
        b = b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' + struct.pack('>II', width, 300) + b'\x00' * 8
        return dict(output_type='display_data', metadata={}, data={'image/png': base64.b64encode(b).decode(), 'text/plain': 'fig'})
    def page():
        proc = [md(f'# Demo\n\nAs in [the original implementation]({ORIGINAL}); see [ResNet](00_resnet.ipynb).'),
                code('#| code-fold: show\n#| exports: true\nclass Demo: pass  # ' + 'x' * 64), code('fig', [png(1600)]),
                code('#| echo: false\n#| output: asis\nshow_doc(' + 'x' * 100 + ')'),  # not shown: exempt
                md('## Exercises\n\n1. Try it.')]
        src = [code('#| exports\nclass Demo: pass'), code('#| gpu\nif torch.cuda.is_available(): x = torch.ones(1).cuda()'),
               code('#| slow\nres = compare(runs, data, epochs=15)'),
               code('#| hide\n' + 'y' * 100), code('#| export\ndef _f(): return ' + 'z' * 100)]  # hidden, not shown: exempt
        return dict(cells=proc), dict(cells=src)
    def plant(f):
        def g(proc, src): f(proc, src); return proc, src
        return g
    defects = [
        ('a leaked file', plant(lambda p, s: p['cells'].append(md('See seed-spec §2.'))), "'seed-spec'"),
        ('a path outside the repository', plant(lambda p, s: p['cells'].append(md('Data in ../shared/data.'))), "'../shared'"),
        ('"the seed"', plant(lambda p, s: p['cells'].append(md("As the seed's code does."))), "'the seed'"),
        ('a plain-text page name', plant(lambda p, s: p['cells'].append(md('See notebook 12.'))), "'notebook 12'"),
        ('a broken relative link', plant(lambda p, s: p['cells'].append(md('[mixup](12_mixupp.ipynb)'))), "'12_mixupp.ipynb'"),
        ('an absolute site link', plant(lambda p, s: s['cells'].append(md(f'[Cutout]({SITE}/cutout.html)'))), 'links the docs site absolutely'),
        ('an unlinked original', plant(lambda p, s: p['cells'].__setitem__(0, md('# Demo\n\nAs the original implementation does.'))), 'never links'),
        ('a wide image', plant(lambda p, s: p['cells'].append(code('fig', [png(2400)]))), '2400 px wide'),
        ('widget text', plant(lambda p, s: p['cells'].append(code('w', [dict(output_type='execute_result', metadata={}, execution_count=None,
                                                                          data={'text/plain': 'interactive(children=(FloatSlider(value=0.5),))'})]))), 'interactive(children='),
        ('hidden class source', plant(lambda p, s: p['cells'].__setitem__(1, code('#| echo: false\nclass Demo: pass'))), 'class Demo'),
        ('no exercises', plant(lambda p, s: p['cells'].pop()), 'Exercises'),
        ('a long shown line', plant(lambda p, s: p['cells'].append(code('x = ' + '1 + ' * 22 + '1'))), 'longer than 88'),
        ('a long line in a shown export', plant(lambda p, s: p['cells'].__setitem__(1, code('#| exports: true\nclass Demo:\n    "' + 'd' * 90 + '"'))), 'longer than 88'),
        ('no experiment', plant(lambda p, s: s['cells'].__setitem__(2, code('res = compare(runs, data, epochs=15)'))), 'no experiment'),
        ('a placeholder', plant(lambda p, s: p['cells'].append(md('Results: {{RESULTS_TEXT}}'))), "'{{RESULTS_TEXT}}'"),
        ('an unguarded gpu cell', plant(lambda p, s: s['cells'].append(code('#| gpu\nx = torch.ones(1).cuda()'))), 'torch.cuda.is_available()'),
    ]
    tmp = Path(tempfile.mkdtemp())
    try:
        (tmp / '00_resnet.ipynb').write_text('{}')
        clean = check_page('10_demo.ipynb', *page(), tmp)
        if clean: sys.exit(f'self-test FAILED: the clean page is reported: {clean}')
        failed = []
        for what, mutate, want in defects:
            found = check_page('10_demo.ipynb', *mutate(*page()), tmp)
            ok = len(found) == 1 and want in found[0]
            print(f"  {'ok  ' if ok else 'MISS'} {what}: {found}")
            if not ok: failed.append(what)
        if failed: sys.exit(f'self-test FAILED: {failed}')
        print(f'self-test: the clean page passes and each of the {len(defects)} planted defects is reported')
    finally: shutil.rmtree(tmp)

def process(notebooks, out:Path):
    "nbdev's docs processing of `notebooks` only, into `out` (what tools/docs_offline.py does for all of them)"
    import os
    from nbdev.processors import FilterDefaults
    from nbdev.serve_drv import exec_nb
    os.environ['IN_TEST'] = '1'
    for nb in notebooks: exec_nb(Path(nb), out / Path(nb).name, FilterDefaults)

def main():
    if '--self-test' in sys.argv: return self_test()
    if len(sys.argv) > 1:  # some notebooks: process them into a temporary folder and check only them
        out = Path(tempfile.mkdtemp())
        try:
            process(sys.argv[1:], out)
            problems = [f'{p.name}: {m}' for p in sorted(out.glob('*.ipynb'))
                        for m in check_page(p.name, json.loads(p.read_text()), json.loads((ROOT / 'nbs' / p.name).read_text()), ROOT / 'nbs')]
        finally: shutil.rmtree(out)
        for p in problems: print(p)
        if problems: sys.exit(f'docs check: {len(problems)} problem(s)')
        print(f'docs check: {len(sys.argv) - 1} page(s) pass'); return
    problems = check(ROOT / '_proc', ROOT / 'nbs', ROOT / 'README.md')
    for p in problems: print(p)
    if problems: sys.exit(f'docs check: {len(problems)} problem(s)')
    print(f"docs check: {len(list((ROOT / '_proc').glob('*.ipynb')))} pages and README.md pass")

if __name__ == '__main__': main()
