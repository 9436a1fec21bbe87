"""apisentry: how safe are our APIs, and who is abusing them right now?"""

__version__ = "0.1.0"
