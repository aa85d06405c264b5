#!/usr/bin/env bash
# Quick start: make .venv, install pytorch_cls, and train ResNet-preact-20 on CIFAR-10 for 2 epochs.
# CIFAR-10 is downloaded through torchvision on first use (into ~/.cache/pytorch_cls/data, or $PYTORCH_CLS_DATA);
# offline, the run stops with a message saying which file to put where, and leaves no empty runs/quickstart-*
# folder behind. Ctrl-C ends it cleanly: the message says whether an epoch was saved and how to continue it
# (pytorch-cls-train --outdir runs/quickstart-... --resume). Extra flags are passed on,
# e.g. bash scripts/quickstart.sh --epochs 10 --device cpu
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q -e .
exec pytorch-cls-train --arch resnet_preact --depth 20 --epochs 2 --scheduler cosine \
  --outdir "runs/quickstart-$(date +%Y%m%d-%H%M%S)" "$@"
