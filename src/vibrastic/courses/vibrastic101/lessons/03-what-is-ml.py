# %% [markdown]
# # Lesson 3 — What machine learning is, and its kinds
#
# Hold on! Before we build networks, the words.
#
# ## Definition
#
# - **Machine Learning (ML)**: a subset of artificial intelligence involved with the creation of
#   algorithms which can modify themselves without human intervention to produce the desired
#   output, by feeding themselves through structured data.
# - **Deep Learning**: the same, but with numerous layers.
#
# ## Definition (cntd.)
#
# The deck's picture nests the three terms: *deep learning* is a part of *machine learning*,
# which is a part of *artificial intelligence*. Every deep learning model is a machine learning
# model; not every machine learning model is deep (the SVR and k-means of lesson 4 are not).

# %% [markdown]
# ## Highlight
#
# What a learning system is expected to do:
#
# - **Learning**: construction and study of systems that can learn from data.
# - **Adaptation**: the capacity to adapt implies being able to modify what has been learnt in
#   order to cope with changes in the data.
# - **Flexibility and robustness**: self-organization.
# - **Provide explanations**: explanations are necessary to validate and find directions for
#   improvement.
# - **Discovery/creativity**: the capacity of discovering processes and/or relations previously
#   unknown.

# %% [markdown]
# ## In other words
#
# - Having a **process** $\vec{F}:\mathcal{D}\to\mathcal{I}$ that **transforms** a given
#   $\vec{x}\in\mathcal{D}$ into a $\vec{y}\in\mathcal{I}$.
# - Construct on a dataset $\Psi = \{\langle \vec{x}_i, \vec{y}_i \rangle\}$ with
#   $i=1,\ldots,N$.
# - Each $\langle \vec{x}_i, \vec{y}_i \rangle$ represents an **input** and its corresponding
#   **expected output**: $\vec{y}_i = \vec{F}(\vec{x}_i)$.
# - Optimize a model $\mathcal{M}(\vec{x}; \vec{\theta})$ by adjusting its parameters
#   $\vec{\theta}$.
#   - Make $\mathcal{M}()$ as similar as possible to $\vec{F}()$ by optimizing one or more error
#     (loss) functions.
#
# A concrete $\Psi$: the five points that lesson 7 fits with gradient descent. Each input
# $\vec{x}_i$ is a number, each expected output $\vec{y}_i$ too; the model is a line
# $\mathcal{M}(x; \vec{\theta}) = \theta_0 x + \theta_1$.

# %%
import numpy as np
from vibrastic.ml.classic import error, normal_equations
from vibrastic.ml.data import five_point_line

X, X_bias, y = five_point_line()
Psi = list(zip(X[:, 0], y))
print("Psi =", Psi, " N =", len(Psi))

theta = np.array([0.0, 0.0])
print("loss of theta = (0, 0):", error(X_bias, y, theta))
theta = normal_equations(X_bias, y)
print("best theta:", theta.round(3), " loss:", round(error(X_bias, y, theta), 3))

# %% [markdown]
# ## Classification of ML
#
# By what $\vec{F}$ produces:
#
# - **Classification**: $\vec{F}:\mathcal{D}\to\{1,\dots,k\}$; $\vec{F}(\cdot)$ defines
#   'categories' or 'classes' labels.
# - **Regression**: $\vec{F}:\mathbb{R}^n\to\mathbb{R}$; it is necessary to predict a real-valued
#   output instead of categories.
# - **Clustering**: group a set of objects in such a way that objects in the same group
#   (*cluster*) are more *similar* to each other than to those in other groups (clusters).
# - **Synthesis**: generate new examples that are similar to those in the training data.
#
# ## Classification of ML (cntd.)
#
# The deck illustrates the kinds with pictures; the course's own data sets are one of each:

# %%
from vibrastic.ml.data import and_gate, noisy_sine, three_blobs

inputs, targets = and_gate()
print("classification (AND gate): F maps", inputs.tolist(), "to classes", targets.tolist())
x, y_real, y_measured = noisy_sine()
print("regression (noisy sine): F maps R to R, e.g. F(25) =", round(float(y_real[25]), 3))
points, _ = three_blobs()
print("clustering (three blobs):", points.shape[0], "points in R^2, no labels given")

# %% [markdown]
# ## Classification of ML (cntd.)
#
# **Many ML methods** — the deck shows a map of them; methods differ in:
#
# - different assumptions on data
# - different scalability profiles at training time
# - different latencies at prediction time
# - different model sizes (embedability in mobile devices)

# %% [markdown]
# ## Another Classification of ML
#
# By what the learner gets to see:
#
# - **Supervised Learning**: allows you to collect data or produce a data output from the previous
#   experience (pairs of inputs and expected outputs).
# - **Unsupervised Learning**: finds all kind of unknown patterns in data (inputs only).
# - **Reinforced Learning**: it can be understood using the concepts of agents, environments,
#   states, actions and rewards.
#
# Lesson 4 tries the first two, lesson 5 the third.
