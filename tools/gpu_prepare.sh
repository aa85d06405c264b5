#!/usr/bin/env bash
# Prepare this checkout for tools/gpu_check.sh on a GPU machine that has PyTorch but no network:
#   .whl/     wheels of nbdev, fastcore, IPython, ipywidgets and what they import (about 3 MB; Python 3.12, x86-64 Linux)
#   .gpudata/ a copy of the JPEG CIFAR-10 folder given (about 56 MB), for the short training runs
# Both folders are added to .git/info/exclude: they are never committed. Run it where pip can reach an index.
# Usage: bash tools/gpu_prepare.sh [cifar10-jpeg dir, default ../shared/data/cifar10-jpeg]
set -euo pipefail
cd "$(dirname "$0")/.."
jpeg=${1:-../shared/data/cifar10-jpeg}
for d in /.whl/ /.gpudata/; do grep -qxF "$d" .git/info/exclude 2>/dev/null || echo "$d" >> .git/info/exclude; done
# jedi and the Jupyter front-end extensions are left out: nothing the tests run imports them (and jedi alone is 5 MB)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
  nbdev==3.3.26 execnb==0.3.4 fastcore==2.2.41 ghapi fastspec fasttransport fastgit astunparse watchdog ipython \
  ipython-pygments-lexers parso matplotlib-inline pexpect ptyprocess prompt_toolkit wcwidth stack_data executing \
  pure_eval traitlets asttokens ipywidgets comm decorator
mkdir -p .gpudata && cp -r "$jpeg" .gpudata/
du -sh .whl .gpudata
echo "ready: bash tools/gpu_check.sh OUT_DIR .gpudata/$(basename "$jpeg")   (carry .whl and .gpudata to the GPU machine)"
