# %% [markdown]
# # Lesson 8 — Multilayer perceptron, backpropagation and XOR
#
# ## Multilayer Perceptron
#
# The composition of layers of perceptrons can capture complex relations between inputs and
# outputs in a hierarchical way. In order to proceed we need to improve the notation we have been
# using. For each layer $1 \leq l \leq L$ (the deck prints $1 \geq l \geq L$; errata), the
# activations and outputs are calculated as:
#
# $$\mathrm{net}_j^l = \sum_i w_{ji}^l x_i^l \qquad | \qquad y_j^l = f^l(\mathrm{net}_j^l)\,,$$
#
# where:
#
# - $y_j^l$ is the $j$th output of layer $l$,
# - $x_i^l$ is the $i$th input to layer $l$,
# - $w_{ji}^l$ is the weight of the $j$-th neuron connected to input $i$,
# - $\mathrm{net}_j^l$ is called net activation, and
# - $f^l(\cdot)$ is the activation function of layer $l$, e.g. $\tanh()$ in the hidden layers and
#   the identity in the last layer (for regression).
#
# The outputs of layer $l$ are the inputs of layer $l+1$: $x_j^{l+1} = y_j^l$. (The bias is the
# weight of an extra input fixed at 1.) The `mlp-backprop` lab's network, in NumPy, rows are
# samples:
#
# {source} vibrastic.ml.labs.mlp_backprop:forward

# %%
import numpy as np
from vibrastic.ml.data import xor
from vibrastic.ml.labs.mlp_backprop import backprop, forward, init_params, loss

x, y = xor()
y = y.reshape(-1, 1)
params = init_params(n_in=2, n_hidden=3, n_out=1, seed=0)
for name, value in params.items():
    print(f"{name:<11} shape {value.shape}")
fp = forward(params, x)
print("net of the hidden layer:\n", fp.net_hidden.round(3))
print("outputs y_hat:", fp.y_hat.ravel().round(3), " loss:", round(loss(fp.y_hat, y), 4))

# %% [markdown]
# ## Training MLPs with Backpropagation
#
# - Backpropagation of errors is a procedure to compute the gradient of the error function with
#   respect to the weights of a neural network.
# - We can use the gradient from backpropagation to apply gradient descent!
#
# ## A math flashback
#
# The chain rule can be applied in composite functions as,
#
# $$\left(f\circ g\right)'(x)=\left(f\left(g\left(x\right)\right)\right)'=f'\left(g(x)\right)g'(x).$$
#
# or, in Leibniz notation,
#
# $$\frac{\partial f\left(g\left(x\right)\right)}{\partial x} = \frac{\partial f\left(g\left(x\right)\right)}{\partial g\left(x\right)} \cdot \frac{\partial g\left(x\right)}{\partial x}$$
#
# The **total derivative** of $f(x_1, x_2, \ldots, x_n)$ on $x_i$ is
#
# $$\frac{\partial f}{\partial x_i} = \sum_{j=1}^n \frac{\partial f}{\partial x_j} \cdot \frac{\partial x_j}{\partial x_i}$$
#
# Autograd is this rule, applied mechanically. A check on $f(g(x)) = \tanh(x^2)$ at $x = 0.5$:
# by hand $f'(g(x))\,g'(x) = (1 - \tanh^2(x^2)) \cdot 2x$.

# %%
import torch

x0 = torch.tensor(0.5, requires_grad=True)
torch.tanh(x0 ** 2).backward()
by_hand = (1 - np.tanh(0.5 ** 2) ** 2) * 2 * 0.5
print("autograd:", round(x0.grad.item(), 6), " chain rule by hand:", round(by_hand, 6))

# %% [markdown]
# ## To apply gradient descent we need... to calculate the gradients
#
# Applying the chain rule,
#
# $$\frac{\partial \ell}{\partial w_{ji}^l} = \overbrace{\frac{\partial \ell}{\partial \mathrm{net}_j^l}}^{\delta_j^l} \underbrace{\frac{\partial \mathrm{net}_j^l}{\partial w_{ji}^l}}_{x_i^l}$$
#
# since $\frac{\partial}{\partial w_{ji}^l}\left(\sum_i w_{ji}^l x_i^l\right) = x_i^l$; hence we can
# write
#
# $$\frac{\partial \ell}{\partial w_{ji}^l} = \delta_j^l x_i^l$$
#
# ## What about the hidden layers ($1 \leq l < L$)?
#
# We can express the loss $\ell$ as a function of the net activations of the subsequent layer,
#
# $$\ell = \ell\left(\mathrm{net}_1^{l+1}, \dots, \mathrm{net}_K^{l+1}\right)\,,$$
#
# therefore, applying total derivatives,
#
# $$\frac{\partial \ell}{\partial \hat{y}^l_j} = \frac{\partial \ell\left(\mathrm{net}_1^{l+1}, \dots, \mathrm{net}_K^{l+1}\right)}{\partial \hat{y}^l_j} = \sum_k \frac{\partial \ell}{\partial \mathrm{net}_k^{l+1}} \frac{\partial \mathrm{net}_k^{l+1}}{\partial \hat{y}_j^l} = \sum_k \delta_k^{l+1} w_{kj}^{l+1}\,.$$
#
# ## For the output layer (l=L)
#
# With the loss $\ell = \frac{1}{2} \sum_{j} \left(y_j - \hat{y}_j^L\right)^2$:
#
# $$\delta_j^L = \frac{\partial \ell}{\partial \hat{y}_j^L} \cdot \frac{\partial \hat{y}_j^L}{\partial \mathrm{net}_j^L} = \left(\hat{y}_j^L - y_j\right)f'(\mathrm{net}_j^L)\,,$$
#
# therefore
#
# $$\frac{\partial \ell}{\partial w_{ji}^L} = \left(\hat{y}_j^L - y_j\right)f'(\mathrm{net}_j^L)\,x_i^L$$
#
# (The deck writes $(y_j - \hat{y}_j^L)$: the derivative of $\frac{1}{2}(y_j - \hat{y}_j)^2$ with
# respect to $\hat{y}_j$ is $\hat{y}_j - y_j$; with the deck's sign, gradient descent would climb
# the loss. Errata.)
#
# ## Back-propagating the errors to the hidden layer
#
# The $\delta$s of the subsequent layers are used to calculate the $\delta$s of the more internal
# ones:
#
# $$\delta_j^l = \frac{\partial \ell}{\partial \mathrm{net}_j^l} = \frac{\partial \ell}{\partial \hat{y}_j^l} \cdot \frac{\partial \hat{y}_j^l}{\partial \mathrm{net}_j^l} = \left(\sum_k \delta_k^{l+1} w_{kj}^{l+1}\right) f'(\mathrm{net}_j^l)$$
#
# (The deck's slide joins the factors with "=" and puts $\partial \mathrm{net}_j^l$ under the sum;
# errata.)
#
# ## Briefly, in each layer (we will omit the sample index k and layer l)
#
# $$\delta_j = \begin{cases} \hat{y}_j - y_j & \text{in the output layer (identity } f\text{)}, \\ f'(\mathrm{net}_j) \sum_k \delta_k w_{kj} & \text{otherwise;} \end{cases} \qquad \frac{\partial \ell}{\partial w_{ji}} = \delta_j x_i\,; \qquad \frac{\partial \ell}{\partial x_i} = \sum_j \delta_j w_{ji}\,.$$
#
# where
#
# - all nodes $k$ are in the layer after $j$;
# - $\mathrm{net}_j$ is known from propagation: $\sum_i w_{ji} x_i$;
# - actually you do not have to save $\mathrm{net}_j$, because $f'(\mathrm{net}_j)$ usually can be
#   computed from $y_j$, e.g.
#   - identity function: $f'(\mathrm{net}_j) = 1$,
#   - $\tanh$: $f'(\mathrm{net}_j) = 1 - y_j^2$ (the deck lost the minus sign);
# - $\frac{\partial \ell}{\partial w_{ji}}$ will be used to update the weight $w_{ji}$ in gradient
#   descent;
# - $\frac{\partial \ell}{\partial x_i}$ will be passed to the previous layer to compute the
#   deltas.
#
# Writing the $\delta$s out is the challenge `backprop-deltas`. Here the lab's `backprop` (the rule
# above, in NumPy) is checked against PyTorch's autograd on the same network:

# %%
grads = backprop(params, x, y)

net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)).double()
net.load_state_dict({"0.weight": torch.tensor(params["fc1.weight"]),
                     "0.bias": torch.tensor(params["fc1.bias"]),
                     "2.weight": torch.tensor(params["fc2.weight"]),
                     "2.bias": torch.tensor(params["fc2.bias"])})
out = net(torch.tensor(x))
(0.5 * ((out - torch.tensor(y)) ** 2).sum()).backward()
autograd = {"fc1.weight": net[0].weight.grad, "fc1.bias": net[0].bias.grad,
            "fc2.weight": net[2].weight.grad, "fc2.bias": net[2].bias.grad}
for name in grads:
    diff = np.abs(grads[name] - autograd[name].numpy()).max()
    print(f"dl/d{name:<11} by the delta rule vs autograd: max difference {diff:.1e}")

# %% [markdown]
# ## Build MLP in PyTorch
#
# Let's create a network to model the XOR gate: two inputs, a hidden layer of three sigmoid
# neurons, one linear output. A single perceptron cannot learn XOR (lesson 6: no line separates
# it); one hidden layer can.
#
# The XOR truth table
#
# | x | y | XOR |
# |---|---|-----|
# | 0 | 0 | 0   |
# | 0 | 1 | 1   |
# | 1 | 0 | 1   |
# | 1 | 1 | 0   |
#
# ### Input pair
#
# The deck wraps each row in `Variable(torch.Tensor([s]))`; `Variable` has been deprecated since
# PyTorch 0.4 and a tensor does the same job (errata). Each input is a 1×2 row:

# %%
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)
inputs = list(map(lambda s: torch.tensor([s], dtype=torch.float32), [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1]
]))

# %% [markdown]
# ### The target
#
# The deck's slide has the heading but no code; the targets are the XOR column (errata):

# %%
targets = list(map(lambda s: torch.tensor([s], dtype=torch.float32), [
    [0],
    [1],
    [1],
    [0]
]))

# %% [markdown]
# ### The network
#
# As printed, the deck's `forward` sits outside the class and calls `F.sigmoid`, which is
# deprecated in favour of `torch.sigmoid` (errata). The `xor` lab builds the deck's class, fixed,
# for either library:
#
# {source} vibrastic.ml.labs.xor:xor_class

# %%
from vibrastic.ml.labs.xor import xor_class

XOR = xor_class(torch)

# %% [markdown]
# ### Initialize the network

# %%
net = XOR()
print(net)

# %% [markdown]
# ### Epoch, criterion and optimizer
#
# The deck trains for 50,000 epochs (about a minute here, one sample per step). When
# `VIBRASTIC_QUICK` is set (the course's CI does), the lesson trains 1,000 epochs instead: enough
# to run every cell, not enough to learn XOR. Run `vibrastic lab run xor` for the full run.

# %%
import os

EPOCHS = 1000 if os.environ.get("VIBRASTIC_QUICK") else 50000
criterion = nn.MSELoss()
optimizer = optim.SGD(net.parameters(), lr=0.01)

# %% [markdown]
# ### Training loop
#
# One update per sample. (The deck's progress `print` is outside the epoch loop, so it printed
# once; it belongs inside. `loss.data.numpy()` becomes `loss.item()`; errata.)

# %%
print("Training loop:")
for idx in range(0, EPOCHS):
    for input, target in zip(inputs, targets):
        optimizer.zero_grad()  # zero the gradient buffers
        output = net(input)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()  # Does the update

    if idx % (EPOCHS // 10) == 0:
        print("Epoch {: >8} Loss: {}".format(idx, loss.item()))

# %% [markdown]
# ### The results:

# %%
print("Final results:")
with torch.no_grad():
    for input, target in zip(inputs, targets):
        output = net(input)
        print("Input:[{},{}] Target:[{}] Predicted:[{}] Error:[{}]".format(
            int(input[0][0]),
            int(input[0][1]),
            int(target[0][0]),
            round(output.item(), 4),
            round(abs(target.item() - output.item()), 4)
        ))

# %% [markdown]
# ### Inference

# %%
output = net(torch.tensor([1.0, 0.0]))
print(output)

# %% [markdown]
# ### Let's build our own: the same network on vibrastic
#
# vibrastic's engine has PyTorch's names, so the same class and loop run with `torch` swapped for
# `vibrastic`:

# %%
import vibrastic as vb

vb.manual_seed(0)
vnet = xor_class(vb)()
v_inputs = [vb.tensor([s], dtype=vb.float32) for s in ([0, 0], [0, 1], [1, 0], [1, 1])]
v_targets = [vb.tensor([[t]], dtype=vb.float32) for t in (0, 1, 1, 0)]
v_criterion = vb.nn.MSELoss()
v_optimizer = vb.optim.SGD(vnet.parameters(), lr=0.01)
v_losses = []  # mean loss of each epoch, for the curve below
for idx in range(EPOCHS):
    total = 0.0
    for input, target in zip(v_inputs, v_targets):
        v_optimizer.zero_grad()
        v_loss = v_criterion(vnet(input), target)
        v_loss.backward()
        v_optimizer.step()
        total += v_loss.item()
    v_losses.append(total / len(v_inputs))
    if idx % (EPOCHS // 10) == 0:
        print("vibrastic epoch {: >8} loss: {:.4f}".format(idx, v_losses[-1]))
with vb.no_grad():
    print("vibrastic predictions:", [round(vnet(i).item(), 4) for i in v_inputs])

# %% [markdown]
# The loss per epoch (drawn by `loss_curve_figure`, which the `xor` lab uses too): a long plateau
# while the hidden units are still alike, then a drop once they specialise.

# %%
from vibrastic.ml.plots.curves import loss_curve_figure

loss_curve_figure({"vibrastic, lr = 0.01": (range(EPOCHS), v_losses)},
                  title="XOR: mean squared error per epoch")

# %% [markdown]
# ### What the training step becomes: `vb.compile`
#
# PyTorch's `torch.compile` captures a training step once and replays it faster. `vb.compile` is
# vibrastic's version, with the same calling convention: put one step (forward, loss, backward,
# update) in a function and compile it. The first call runs the step as usual and records every
# NumPy call it makes; the next calls replay that recording, with no `Tensor` objects and no graph
# to build. Three ways of running the same 2,000 steps, from the same initial weights:

# %%
import time


def train_xor(backend=None, steps=2000):
    """Train a fresh XOR net for ``steps`` steps: eagerly (``backend=None``) or compiled.
    Returns the net, the step function and the time per step in microseconds."""
    vb.manual_seed(0)
    net = xor_class(vb)()
    optimizer = vb.optim.SGD(net.parameters(), lr=0.01)

    def train_step(input, target):
        optimizer.zero_grad()
        loss = v_criterion(net(input), target)
        loss.backward()
        optimizer.step()
        return loss

    step = train_step if backend is None else vb.compile(train_step, backend=backend)
    step(v_inputs[0], v_targets[0])  # the first call, which records: not timed
    start = time.perf_counter()
    for i in range(1, steps):
        step(v_inputs[i % 4], v_targets[i % 4])
    return net, step, (time.perf_counter() - start) / (steps - 1) * 1e6


eager_net, _, eager_us = train_xor()
numpy_net, numpy_step, numpy_us = train_xor("numpy")
scalar_net, scalar_step, scalar_us = train_xor("scalar")
print(f"eager: {eager_us:.0f} µs per step")
print(f"compiled, NumPy code: {numpy_us:.0f} µs per step ({eager_us / numpy_us:.1f}x faster)")
print(f"compiled, scalar code: {scalar_us:.0f} µs per step ({eager_us / scalar_us:.1f}x faster)")
print("NumPy code, same bits as eager:",
      all(vb.equal(a, b) for a, b in zip(eager_net.parameters(), numpy_net.parameters())))
print("scalar code, largest difference from eager: {:.1e}".format(max(
    (a - b).abs().max().item()
    for a, b in zip(eager_net.parameters(), scalar_net.parameters()))))

# %% [markdown]
# (The times are this machine's, in this run, without the first call.) The NumPy code makes
# eager's NumPy calls in eager's order, so its weights are eager's to the last bit. For a network
# this small, one Python number per array element is quicker still: the scalar code computes in
# 64-bit floats and stores 32-bit ones, so it agrees with eager to about 1e-6.
# `vb.compile(train_step)` measures both on the first call and keeps the faster.
#
# What did the network become? `step.code` is the generated function; here is the part that
# computes, one line per number: the deck's forward pass (sigmoid of `net`), the loss, the
# backward pass with the same rules as above (the delta rule), and SGD's update:

# %%
code = scalar_step.code
start = code.index("    # -- the computation")
print(code[start:code.index("    except", start)])

# %% [markdown]
# The rest of `step.code` checks that the shapes, dtypes and modules are still the ones it was
# recorded with (if not, it records again) and writes the results back where eager code reads
# them (`.grad`, the weights). `docs/compile.md` tells the whole story, including what makes a
# step run eagerly instead (`loss.item()` inside the step, for one: Python needs a value there).

# %% [markdown]
# ## Repository
#
# All material of the original course can be cloned from https://github.com/linerocks/vibrastic101
# — and this course is the `vibrastic` package: `vibrastic` shows the course map.
#
# ## References
#
# - https://github.com/lmarti/machine-learning
# - https://www.datasetlist.com/
# - https://pytorch.org/docs/stable/index.html
# - https://github.com/jcjohnson/pytorch-examples
# - https://www.deeplearningwizard.com/deep_learning/practical_pytorch/pytorch_feedforward_neuralnetwork/
# - https://missinglink.ai/guides/neural-network-concepts/7-types-neural-network-activation-functions-right/
# - https://www.analyticsvidhya.com/blog/2019/03/deep-learning-frameworks-comparison/
# - https://towardsdatascience.com/deep-learning-framework-power-scores-2018-23607ddf297a
#
# ## End of slide
#
# **Thank You!**
