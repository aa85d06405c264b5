"""pytorch_cls: the classic CIFAR image classifiers, implemented, explained and trained in notebooks.

Networks (each family also builds the original implementation's network with `layout='original'`):
  ResNet, ResNet-preact, Wide ResNet, DenseNet, PyramidNet, ResNeXt, shake-shake, SE-ResNet-preact, VGG-like.
Augmentations: Cutout, Random Erasing, Mixup. Schedules: multistep, cosine, SGDR. Datasets: CIFAR-10, CIFAR-100,
MNIST, FashionMNIST, or a folder of images.

Exported here (the rest lives in the submodules, one per page of the docs):
  create_model(arch, **kwargs)  build a network by family ('resnet', depth=110) or variant name ('resnet110')
  list_models(arch=None)        the names create_model accepts
  count_params(model)           trainable parameters
  count_flops(model, size)      forward FLOPs for one image
  model_summary(model, size)    a per-stage table: shapes, parameters, FLOPs

Train from the command line with `pytorch-cls-train` (the original implementation's flags), from Python with
`pytorch_cls.engine.fit(TrainConfig(...))`; benchmark with `pytorch-cls-bench`; describe a run with
`pytorch-cls-report`. Docs: https://pytorch-cls.github.io/pytorch_cls
"""
__version__ = "0.1.0"

__all__ = ['create_model', 'list_models', 'count_params', 'count_flops', 'model_summary']

def __getattr__(name):  # imported on first use, so that `import pytorch_cls` (and the commands' --help) stay light
    if name in __all__:
        from . import core
        return getattr(core, name)
    raise AttributeError(f"module 'pytorch_cls' has no attribute {name!r}")

def __dir__(): return sorted(list(globals()) + __all__)
