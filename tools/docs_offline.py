#!/usr/bin/env python3
"""The offline half of `nbdev-docs`: refresh the Quarto config, build the doc-link index and the sidebar, and
process every notebook into `_proc/` (what Quarto would then render). Quarto itself is not needed; the GitHub
docs workflow runs the full `nbdev-docs`."""
import os, sys
from pathlib import Path

def main():
    from nbdev.config import get_config
    from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
    from nbdev.serve import proc_nbs
    import nbdev.doclinks
    cfg = get_config()
    os.chdir(cfg.config_path)
    refresh_quarto_yml()
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=cfg.nbs_path)
    cache = proc_nbs(cfg.nbs_path, n_workers=0, force=True)
    nbs = sorted(p.name for p in cfg.nbs_path.glob('*.ipynb'))
    done = sorted(p.name for p in Path(cache).glob('*.ipynb'))
    missing = sorted(set(nbs) - set(done))
    if not nbs or missing: sys.exit(f'docs processing failed: {len(nbs)} notebooks, missing from _proc: {missing}')
    print(f'docs (offline part): processed {len(done)} notebooks into {cache}')

if __name__ == '__main__': main()
