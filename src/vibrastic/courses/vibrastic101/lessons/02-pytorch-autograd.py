# %% [markdown]
# # Lesson 2 — PyTorch and autograd
#
# ## Deep Learning Framework Power Scores 2018
#
# The deck shows the chart from Jeff Hale's article *Deep Learning Framework Power Scores 2018*
# (towardsdatascience.com, listed in the references): it scores frameworks by job listings, search
# interest, articles, books, GitHub activity and usage. TensorFlow led, followed by Keras and
# PyTorch; the ranking has moved since, but the three names below are still the ones you meet.
#
# ## Machine Learning Framework
#
# - TensorFlow by Google
# - Keras by Francois Chollet
# - PyTorch by Facebook
#
# ## One of PyTorch feature ... that's loved by researchers
#
# **Autograd**: you write the computation, PyTorch records it and computes every derivative for
# you. This course uses PyTorch, and vibrastic's own engine (`import vibrastic as vb`) which has
# the same names.

# %% [markdown]
# ## Autograd
#
# - To help us to praise this feature, let's do some basic math beforehand.
# - Solve these! For
#
# $$f(x,y) = xy \qquad \frac{\partial}{\partial x}f(1,2) = ?$$
#
# (The deck asks for $\frac{\partial}{\partial x}f(3)$, but $f$ takes two arguments; its solution
# evaluates at $(x, y) = (1, 2)$, so that is the question here; see the errata.)
#
# ## Solution
#
# Treat $y$ as a constant and differentiate with respect to $x$:
#
# $$\frac{\partial}{\partial x}f(x,y)=y \qquad \to \qquad \frac{\partial}{\partial x}f(1,2)=2$$
#
# **Quite easy, right?**
#
# ## Challenge
#
# How about...
#
# $$g(x,y)=xy^2-x^2y \qquad \frac{\partial}{\partial x}g(2,5)=?$$
#
# Work it out on paper first: this is the challenge `partial-by-hand`.

# %% [markdown]
# ## Here is Pytorch come to the play!
#
# ### Import the library

# %%
import torch

# %% [markdown]
# ### Declare our variable and function
#
# `requires_grad=True` asks PyTorch to record every operation on `x`; `y` is a plain constant.

# %%
x = torch.tensor(1.0, requires_grad=True)
y = torch.tensor(2.0)
f = x * y

# %% [markdown]
# ### Get our number
#
# `f.backward()` walks the recorded operations backwards (the chain rule) and stores
# $\partial f / \partial x$ in `x.grad`. (The deck prints `x.grad.data`; `.data` bypasses autograd's
# safety checks and is not needed: print `x.grad`, or `x.grad.item()` for a Python float.)

# %%
f.backward()
print(x.grad)
print(x.grad.item())

# %% [markdown]
# This is what autograd recorded: a graph from the leaves $x, y$ to $f$. `backward()` visits it
# from right to left. (The figure comes from `vibrastic.ml.plots.graph`, the function the `autograd`
# lab uses; it reads graphs built by vibrastic's engine, which has PyTorch's names.)

# %%
import vibrastic as vb
from vibrastic.ml.plots.graph import computation_graph_figure

xv = vb.tensor(1.0, requires_grad=True)
yv = vb.tensor(2.0)
fv = xv * yv
fv.backward()
print("vibrastic: df/dx =", xv.grad.item())
computation_graph_figure(fv, {"x": xv, "y": yv}, "f",
                         title="The graph of f = xy at (1, 2) that backward() walks")

# %% [markdown]
# ## Challenge
#
# **Solve this with Pytorch**
#
# $$g(x,y)=xy^2-x^2y \qquad \frac{\partial}{\partial x}g(2,5)=?$$
#
# Same three steps: leaves with `requires_grad=True`, the formula, `backward()`. This is the
# challenge `autograd-g`; your answer must match the one you found by hand.

# %% [markdown]
# ## Now we're set!
#
# ## Preparation
#
# - Open Google Colab (or any Jupyter): `vibrastic notebooks export DIR` writes this course as
#   notebooks, with vibrastic's wheel beside them; a notebook's first cell installs vibrastic
#   from that wheel when it is missing (on Colab, upload the wheel too). Each lesson page of
#   `vibrastic serve` downloads as a notebook that installs it from the server.
# - Put this on the cell in case we need them during the course.
#
# The deck's list also imports `Variable` from `torch.autograd` and `torchvision`: `Variable` has
# been deprecated since PyTorch 0.4 (a tensor with `requires_grad=True` does its job) and
# torchvision is never used in the course, so both are left out (errata).

# %%
import random, math
import numpy as np
import matplotlib.pyplot as plt
import matplotlib.cm as cm
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

print("torch", torch.__version__, "| numpy", np.__version__)

# %% [markdown]
# **Hold on!** Before any neural network: what is machine learning? That is lesson 3.
