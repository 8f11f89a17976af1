"""mygrad — the autograd engine you build in Vibrastic 101's project, "Let's build our own".

One package that grows stage by stage (nothing is copied between stages):

    operators.py   stage 0  activations and their derivatives on plain floats
    value.py       stage 1  a scalar Value that remembers its parents and local gradients
    autodiff.py    stage 2  backward(): topological order and the chain rule
    tensor.py      stage 3  a NumPy Tensor with broadcasting and one unbroadcast
    nn.py          stage 4  Module, Linear, MSELoss, BCELoss, CrossEntropyLoss
    optim.py       stage 5  SGD with the deck's momentum, and Adam

Import what you need from its module, e.g. ``from mygrad.value import Value``.
"""
