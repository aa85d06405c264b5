#!/usr/bin/env bash
# All GPU checks in one run, for a machine with a CUDA GPU (about 10 minutes on one H100):
#   1. the notebooks' `#| gpu` cells for the batched augmentations and the device loader (10, 11, 12, 14);
#   2. pytorch-cls-bench: classic pipeline vs ours for ResNet-preact-56 and WRN-28-10 at batch 128;
#   3. a 10-epoch ResNet-preact-20 run on the JPEG copy of CIFAR-10, fast loader and classic loader side by side.
# Usage: bash tools/gpu_check.sh OUT_DIR [PATH_TO_shared/data/cifar10-jpeg]
# Nothing it writes is committed: results go to OUT_DIR. The JPEG data stay outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bash tools/gpu_check.sh OUT_DIR [cifar10-jpeg dir]}; mkdir -p "$out"
jpeg=${2:-../shared/data/cifar10-jpeg}
EPOCHS=${EPOCHS:-10}; STEPS=${STEPS:-150}; WARMUP=${WARMUP:-30}
[ -x .venv/bin/python ] || { python3 -m venv .venv; . .venv/bin/activate; pip install -q -e '.[dev]'; }
. .venv/bin/activate
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'; print(torch.cuda.get_device_name(), torch.__version__)" | tee "$out/device.txt"

echo "== 1. gpu cells"
for nb in nbs/10_cutout.ipynb nbs/11_random_erasing.ipynb nbs/12_mixup.ipynb nbs/14_data.ipynb; do
  nbdev-test "$nb" --flags gpu --n-workers 1 2>&1 | tail -3 | sed "s|^|$(basename "$nb"): |" | tee -a "$out/gpu_cells.txt"
done

echo "== 2. benchmark"
pytorch-cls-bench --presets resnet_preact_56 wrn_28_10 --batch_sizes 128 --steps "$STEPS" --warmup "$WARMUP" \
  --json "$out/bench.json" 2>&1 | tee "$out/bench.txt"

echo "== 3. ResNet-preact-20, $EPOCHS epochs on the JPEG copy of CIFAR-10 (folder layout)"
data="$out/cifar10-jpeg-folder"
if [ ! -d "$data/train" ]; then
  python "$jpeg/load.py" "$out/npz"
  python - "$out/npz" "$data" <<'PY'
import sys, numpy as np, torch
from pytorch_cls.data import save_arrays
src, dst = sys.argv[1:]
classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
def split(name):
    z = np.load(f'{src}/{name}.npz')  # images (N, 32, 32, 3) uint8, labels (N,) uint8
    return torch.from_numpy(z['images']).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(z['labels'].astype('int64'))
save_arrays('folder', dst, split('train'), split('test'), classes)
PY
fi
common=(--arch resnet_preact --depth 20 --dataset folder --data_dir "$data" --scheduler cosine --progress false --no-tensorboard)
pytorch-cls-train "${common[@]}" --epochs "$EPOCHS" --outdir "$out/rp20_fast" 2>&1 | tee "$out/rp20_fast.txt"
pytorch-cls-train "${common[@]}" --epochs 2 --loader classic --num_workers 8 --amp off --compile off --channels_last false \
  --outdir "$out/rp20_classic" 2>&1 | tee "$out/rp20_classic.txt"
echo "== summary"
grep -h "img/s\|test error" "$out/rp20_fast.txt" "$out/rp20_classic.txt" | tail -4
