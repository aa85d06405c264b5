#!/usr/bin/env bash
# Every GPU check in one run (about 9 minutes on one H100). Stages, most important first; each has its own time limit,
# and what it measured is in OUT_DIR as soon as it ends, so a run cut short keeps the earlier stages:
#   1. bench.json         pytorch-cls-bench, classic pipeline vs ours: ResNet-preact-56 and WRN-28-10 at batch 128
#   2. fast_*, classic_*  accuracy: ResNet-preact-20 for EPOCHS epochs on the JPEG copy of CIFAR-10, our path and the classic one
#   3. gpu_cells.txt      the notebooks' `#| gpu` cells (06, 10, 11, 12, 14, 15) under nbdev-test
#   4. bench_results.json with the time left: classic vs ours for one row of each other family of the README's CIFAR-10
#                         table, at that row's batch size, then ours alone for every row (notebook 20's estimated
#                         wall times: copy it to nbs/bench_results.json; the data are synthetic, so it may be committed)
#   log.txt holds everything printed.
# Usage: bash tools/gpu_check.sh OUT_DIR [cifar10-jpeg dir, default ../shared/data/cifar10-jpeg]
# Needs: $PYTHON (default python3) with torch, torchvision, numpy, matplotlib, tqdm and pyyaml. No network: the package
# runs from this checkout (PYTHONPATH); nbdev, fastcore, IPython and ipywidgets come from the environment or, where it
# lacks them, from wheels in .whl/ (installed into a temporary folder): `bash tools/gpu_prepare.sh` fetches them and
# copies the JPEG data into .gpudata/, both ignored by git, ready to carry to the GPU machine.
# DEVICE=cpu makes a dry run of the plumbing with tiny sizes on a machine without a GPU (it proves nothing about speed).
# Nothing it writes is committed, and the JPEG data stay outside the repository (converted under WORK, a temp folder).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bash tools/gpu_check.sh OUT_DIR [cifar10-jpeg dir]}; mkdir -p "$out"; out=$(cd "$out" && pwd)
jpeg=$(cd "${2:-../shared/data/cifar10-jpeg}" && pwd) || exit 2
PY=${PYTHON:-python3}; DEVICE=${DEVICE:-cuda}; TOTAL=${TOTAL:-540}
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; fi   # converted data, wheels: removed at the end
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
exec > >(tee -a "$out/log.txt") 2>&1
if [ "$DEVICE" = cpu ]; then EPOCHS=${EPOCHS:-1}; STEPS=${STEPS:-3}; WARMUP=${WARMUP:-1}; SPE=(--steps_per_epoch 3)
  bench_models=(--arch resnet_preact --depth 8 --base_channels 4); bench_bs=16; nworkers=0
else EPOCHS=${EPOCHS:-5}; STEPS=${STEPS:-150}; WARMUP=${WARMUP:-30}; SPE=()
  bench_models=(--presets resnet_preact_56 wrn_28_10); bench_bs=128; nworkers=8; fi
left() { echo $(( TOTAL - SECONDS )); }
cap() { local l; l=$(left); echo $(( l < $1 ? l : $1 )); }   # a stage's limit: its own, or the time left
stage() { echo; echo "== $1  (${SECONDS} s elapsed)"; }

stage "0. environment"
$PY - "$DEVICE" <<'PY' || exit 1
import sys, torch, torchvision, pytorch_cls
dev = sys.argv[1]
if dev == 'cuda': assert torch.cuda.is_available(), 'no CUDA GPU: use DEVICE=cpu for a dry run'
print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'pytorch_cls', pytorch_cls.__version__, 'from', pytorch_cls.__file__)
print('device:', torch.cuda.get_device_name() if dev == 'cuda' else 'cpu')
PY
echo "commit: ${GIT_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"   # set GIT_COMMIT where the copy has no .git
if ! $PY -c "import nbdev, fastcore, execnb, IPython, ipywidgets" 2>/dev/null && ls .whl/*.whl >/dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target "$WORK/site" .whl/*.whl && export PYTHONPATH="$PYTHONPATH:$WORK/site"
fi
$PY -c "import fastcore" || { echo "fastcore is missing: pip install it, or put its wheel in .whl/"; exit 1; }

stage "1. benchmark: classic vs ours at batch $bench_bs"
timeout $(cap 260) $PY -m pytorch_cls.bench "${bench_models[@]}" --batch_sizes $bench_bs --steps "$STEPS" \
  --warmup "$WARMUP" --num_workers $nworkers --device "$DEVICE" --json "$out/bench.json"; echo "bench exit $?"

stage "2. ResNet-preact-20 on the JPEG copy of CIFAR-10"
data="$WORK/data"
$PY "$jpeg/load.py" "$WORK/npz" && $PY - "$WORK/npz" "$data" <<'PY'
import sys, numpy as np, torch
from pytorch_cls.data import save_arrays
src, dst = sys.argv[1:]
def split(name):
    z = np.load(f'{src}/{name}.npz')  # images (N, 32, 32, 3) uint8, labels (N,) uint8
    return torch.from_numpy(z['images']).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(z['labels'].astype('int64'))
classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
save_arrays('CIFAR10', dst, split('train'), split('test'), classes,  # CIFAR-10's own format, so both loaders read it as the original did
            note='JPEG-recompressed CIFAR-10 written by tools/gpu_check.sh')  # its checksums recorded beside it: read as written
print('wrote', dst)
PY
common=(--arch resnet_preact --depth 20 --dataset CIFAR10 --data_dir "$data" --download false --scheduler cosine --progress false
        --no-tensorboard --device "$DEVICE" "${SPE[@]}")
timeout $(cap 120) $PY -m pytorch_cls.train "${common[@]}" --epochs "$EPOCHS" --outdir "$WORK/fast"; echo "fast run exit $?"
timeout $(cap 100) $PY -m pytorch_cls.train "${common[@]}" --epochs "$EPOCHS" --loader classic --num_workers $nworkers \
  --amp off --compile off --channels_last false --outdir "$WORK/classic"; echo "classic run exit $?"
for f in fast/metrics.csv fast/config.json classic/metrics.csv; do [ -f "$WORK/$f" ] && cp "$WORK/$f" "$out/${f/\//_}"; done

stage "3. the notebooks' gpu cells"
flags=gpu; [ "$DEVICE" = cpu ] && flags=''   # a dry run checks that the notebooks run here, without their gpu cells
nbdev_test=$(command -v nbdev-test || echo "$WORK/site/bin/nbdev-test")
for nb in 06_shake_shake 10_cutout 11_random_erasing 12_mixup 14_data 15_engine; do
  [ "$(left)" -gt 20 ] || { echo "$nb: not run, out of time" | tee -a "$out/gpu_cells.txt"; continue; }
  res=$(timeout $(cap 90) $PY "$nbdev_test" "nbs/$nb.ipynb" --flags "$flags" --n-workers 1 2>&1 | tail -5)
  echo "$nb: $res" | tee -a "$out/gpu_cells.txt"
done

stage "4. the other families, classic vs ours, then ours for every row of the README's CIFAR-10 table ($(left) s left)"
if [ "$DEVICE" = cpu ]; then fam=(--arch wrn --depth 10 --widening_factor 1 --batch_sizes 16); rows=(--arch vgg --batch_sizes 16)
else fam=(--presets shake_shake_26_2x32d_ssi densenet_bc_100_k12 resnext_29_8x64d pyramidnet_110_a84 vgg_15_bn_64 resnet_110)
  rows=(--readme_table); fi
[ "$(left)" -gt 40 ] && timeout $(( $(left) - 20 )) $PY -m pytorch_cls.bench "${fam[@]}" --steps $(( STEPS / 3 + 1 )) --warmup $(( WARMUP / 2 + 1 )) \
  --num_workers $nworkers --device "$DEVICE" --json "$WORK/bench_families.json"; echo "families bench exit $?"
[ "$(left)" -gt 40 ] && timeout $(( $(left) - 10 )) $PY -m pytorch_cls.bench "${rows[@]}" --modes fast --steps $(( STEPS / 3 + 1 )) \
  --warmup $(( WARMUP / 2 + 1 )) --device "$DEVICE" --json "$WORK/bench_rows.json"; echo "README table bench exit $?"
$PY - "$out/bench_results.json" "$out/bench.json" "$WORK/bench_families.json" "$WORK/bench_rows.json" <<'PY'
import json, sys, os
parts = [json.load(open(p)) for p in sys.argv[2:] if os.path.exists(p)]
if parts:
    json.dump(dict(rows=[r for p in parts for r in p['rows']], env=parts[0]['env'], steps=[p['steps'] for p in parts],
                   warmup=[p['warmup'] for p in parts]), open(sys.argv[1], 'w'), indent=2)
    print('bench_results.json:', sum(len(p['rows']) for p in parts), 'rows')
PY
stage "done"
