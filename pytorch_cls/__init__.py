__version__ = "0.1.0"

from .core import create_model, list_models, count_params, count_flops, model_summary
