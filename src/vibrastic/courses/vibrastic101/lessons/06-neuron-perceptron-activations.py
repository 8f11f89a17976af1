# %% [markdown]
# # Lesson 6 — The artificial neuron, the perceptron and activation functions
#
# ## Let's focus on Artificial Neural Network
#
# - Not all methods are applicable in real life;
# - Most featured method;
# - Nature inspired;
# - Efficient computation;
# - Evolutionary optimization.
#
# ## Artificial Neural Network
#
# ### Artificial neuron
#
# The deck shows a biological neuron next to its abstraction: dendrites bring signals in, the
# cell body sums them, the axon fires when the sum is large enough. The artificial neuron keeps
# the arithmetic: inputs, weights, a sum, an activation.

# %% [markdown]
# ## Artificial Neural Network
#
# ### Artificial neuron as a neuron abstraction
#
# In general terms, an input $\vec{x} \in \mathbb{R}^n$ is multiplied by a weight vector $\vec{w}$
# and added a bias $b$, producing the net activation, $\mathrm{net}$. $\mathrm{net}$ is passed to
# the activation function $f()$ that computes the neuron's output $\hat{y}$:
#
# $$\hat{y} = f\left(\mathrm{net}\right) = f\left(\vec{w}\cdot\vec{x} + b\right) = f\left(\sum_{i=1}^n w_i x_i + b\right).$$

# %%
import numpy as np

x = np.array([1.0, 0.0, 2.0])  # an input in R^3
w = np.array([0.5, -1.0, 0.25])  # its weights
b = -0.2  # the bias
net = w.dot(x) + b  # the net activation: sum_i w_i x_i + b
y_hat = np.tanh(net)  # an activation function f
print("net =", net, " y_hat = f(net) =", round(float(y_hat), 4))

# %% [markdown]
# ## Artificial Neural Network
#
# ### The perceptron
#
# The Perceptron and its learning algorithm pioneered the research in neurocomputing.
#
# - The perceptron is an algorithm for learning a linear binary classifier.
# - That is a function that maps its input $\vec{x} \in \mathbb{R}^n$ (a real-valued vector) to an
#   output value $f(\vec{x})$ (a single binary value) as
#
# $$f(\vec{x}) = \begin{cases} 1 & \text{if } \vec{w} \cdot \vec{x} + b > 0\,, \\ 0 & \text{otherwise}; \end{cases}$$
#
# where $\vec{w}$ is a vector of real-valued weights, $\vec{w} \cdot \vec{x}$ is the dot product
# $\sum_{i=1}^{n} w_i x_i$, and $b$ is known as the bias. The activation here is the *step*
# function of `vibrastic.ml.classic.perceptron`:
#
# {source} vibrastic.ml.classic.perceptron:step

# %%
from vibrastic.ml.classic.perceptron import step

w, b = np.array([1.0, 1.0]), -1.5  # a hand-picked perceptron: AND
for x in ([0, 0], [0, 1], [1, 0], [1, 1]):
    print(x, "->", step(w.dot(x) + b))

# %% [markdown]
# ## Activation functions
#
# The step is one choice of $f$. Each slide below gives another, with the PyTorch module that
# computes it, its formula, and its advantages and disadvantages. The figures (each function and,
# dashed, its derivative computed by autograd) come from the `activations` lab.

# %%
from IPython.display import display
from vibrastic.ml.labs import run_lab

activations = run_lab("activations", backend="vibrastic")
print(sorted(activations.figures))

# %% [markdown]
# ## Linear Function nn.Linear
#
# $$f(x) = x + b$$
#
# (A linear layer `nn.Linear` computes $\vec{w}\cdot\vec{x} + b$; used as an activation, "linear"
# means the identity $f(x) = x$, which is `nn.Identity`.)
#
# - Disadvantages
#   - Not possible to use backpropagation — more precisely: backpropagation runs, but the
#     derivative is the constant 1, so the gradient carries no information about the input;
#   - All layers of the neural network collapse into one (a composition of linear maps is linear);
#   - Limited power to handle complexity.

# %%
display(activations.figures["linear"])

# %% [markdown]
# ## Sigmoid Function nn.Sigmoid
#
# $$f(x)=\frac{1}{1+e^{-x}}$$
#
# - Advantages
#   - Smooth gradient
#   - Clear predictions (outputs squashed into $(0, 1)$)
# - Disadvantages
#   - Vanishing gradient ($f'(x) = f(x)(1-f(x)) \le \frac{1}{4}$, near 0 for large $|x|$)
#   - Outputs not zero centered
#   - Computationally expensive

# %%
display(activations.figures["sigmoid"])

# %% [markdown]
# ## Hyperbolic Tangent Function nn. Tanh
#
# (`nn.Tanh`.)
#
# $$f(x)=\frac{e^x-e^{-x}}{e^x+e^{-x}}$$
#
# - Advantages
#   - Zero centered: strong negative, neutral, and positive values.
#   - Otherwise like the Sigmoid function.
# - Disadvantages
#   - Like the Sigmoid function.

# %%
display(activations.figures["tanh"])

# %% [markdown]
# ## ReLU Function nn.ReLU
#
# $$f(x) = \max(0, x)$$
#
# - Advantages
#   - Computationally efficient: networks converge very quickly
#   - Non-linear: allows for backpropagation
# - Disadvantages
#   - The Dying ReLU problem (a unit whose net is always negative has gradient 0 and stops
#     learning)

# %%
display(activations.figures["relu"])

# %% [markdown]
# ## Leaky ReLU Function nn.LeakyReLU
#
# The deck repeats ReLU's formula here; Leaky ReLU keeps a small slope $a$ (PyTorch's
# `negative_slope`, default $0.01$) for negative inputs (errata):
#
# $$f(x) = \max(0, x) + a \min(0, x) = \max(ax, x) \quad (0 < a < 1)$$
#
# - Advantages
#   - Prevents the dying ReLU problem
#   - Otherwise like ReLU
# - Disadvantages
#   - Results not consistent (for negative inputs it depends on the chosen slope)

# %%
display(activations.figures["leaky-relu"])

# %% [markdown]
# ## Softmax Function nn.Softmax
#
# (The deck's slide title reads "Sotmax Function nn.Softmax".)
#
# $$f(x_i) = \frac{e^{x_i}}{\sum_j e^{x_j}}$$
#
# - Advantages
#   - Able to handle multiple classes (only one class in the other activation functions)
#   - Normalizes the outputs for each class between 0 and 1 (and they sum to 1)
#   - Useful for output neurons

# %%
import torch
import torch.nn as nn

logits = torch.tensor([2.0, 1.0, 0.1])
probabilities = nn.Softmax(dim=0)(logits)
print(probabilities, "sum =", probabilities.sum().item())
display(activations.figures["softmax"])

# %% [markdown]
# All six as PyTorch modules, on the same inputs:

# %%
z = torch.linspace(-2, 2, 5)
for module in (nn.Identity(), nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.LeakyReLU(0.01)):
    print(f"{module!s:<30}", module(z).numpy().round(3))

# %% [markdown]
# ## Perceptron learning
#
# Learning goes by calculating the prediction of the perceptron, $\hat{y}$, as
#
# $$\hat{y} = f(\vec{w} \cdot \vec{x} + b) = f(w_1 x_1 + w_2 x_2 + \dots + w_n x_n + b)\,.$$
#
# After that, we update the weights and the bias using the **perceptron rule**:
#
# $$w_i = w_i + \alpha(y-\hat{y})x_i\,,\; i=1,\ldots,n\,; \qquad b = b + \alpha(y-\hat{y})\,.$$
#
# Here $\alpha \in (0,1]$ is known as the **learning rate**. Or it can be further enhanced using
# **momentum**:
#
# $$\Delta\vec{w}(t) = \alpha(y-\hat{y})\vec{x} + \beta\,\Delta\vec{w}(t-1)\,, \qquad \vec{w}(t+1) = \vec{w}(t) + \Delta\vec{w}(t),$$
#
# where $\beta \in \mathbb{R}^+$ is known as the **momentum rate**. (The deck prints
# $\vec{w}(t+1) = \vec{w}(t) + \alpha \Delta \vec{w}(t) + \beta \Delta \vec{w}(t-1)$, which applies
# $\alpha$ twice when $\Delta\vec{w}$ already contains it; errata.)
#
# `vibrastic.ml.classic.Perceptron` implements exactly this; its training loop:
#
# {source} vibrastic.ml.classic.perceptron:Perceptron.fit

# %%
from vibrastic.ml.classic import Perceptron
from vibrastic.ml.data import and_gate, xor

X, y = and_gate()
p = Perceptron(alpha=0.1, random_state=0).fit(X, y)
print("AND: converged", p.history_.converged, "after", p.history_.epochs, "epochs; errors per epoch",
      p.history_.errors, "; w =", p.coef_.round(3), "b =", round(p.intercept_, 3))

X, y = xor()
p = Perceptron(alpha=0.1, max_epochs=50, random_state=0).fit(X, y)
print("XOR: converged", p.history_.converged, "after", p.history_.epochs, "epochs (no line separates XOR)")

# %% [markdown]
# The boundary $w_1x_1 + w_2x_2 + b = 0$ after every epoch (from the `perceptron` lab, which runs
# the rule on AND, OR and XOR, with and without momentum):

# %%
perceptron = run_lab("perceptron", backend="vibrastic", max_epochs=50)
for name, figure in perceptron.figures.items():
    display(figure)
