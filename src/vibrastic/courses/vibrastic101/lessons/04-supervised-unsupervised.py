# %% [markdown]
# # Lesson 4 — Supervised and unsupervised learning
#
# ## Supervised Learning hands on
#
# - Sometimes we can observe the pairs $\langle \vec{x}_i, \vec{y}_i \rangle$.
# - We can use the $\vec{y}_i$'s to provide a *scalar feedback* on how good the model
#   $\mathcal{M}(\vec{x}; \vec{\theta})$ is.
# - That feedback is known as the **loss function**.
# - Modify the parameters $\vec{\theta}$ so as to improve $\mathcal{M}(\vec{x};\vec{\theta})$
#   $\to$ *learning*.
#
# ### import library

# %%
import random
import numpy as np
import matplotlib.pyplot as plt

# %% [markdown]
# ### replicable random seed
#
# The deck calls `random.seed(42)`, but the noise below is drawn by NumPy, which that call does
# not seed, so every run gave different data. vibrastic's `noisy_sine` draws the noise from a
# NumPy generator seeded with 42; the lesson and the `supervised-svr` lab use this same function:
#
# {source} vibrastic.ml.data:noisy_sine

# %%
random.seed(42)  # the deck's call: seeds Python's `random`, not NumPy
from vibrastic.ml.data import noisy_sine

# %% [markdown]
# ### create input
#
# Let's suppose that we have a phenomenon such that $y_{\text{real}} = \sin\left(\frac{\pi x}{50}\right)$,
# measured at $x = 0, 1, \ldots, 99$, and we introduce some uniform random noise in
# $[-\frac{1}{2}, \frac{1}{2})$ to simulate measurement noise:
#
# ```python
# x = np.arange(100)
# y_real = np.sin(x*np.pi/50)
# y_measured = y_real + (np.random.rand(100) - 0.5)
# ```
#
# which is what `noisy_sine` does, with its own seeded generator:

# %%
x, y_real, y_measured = noisy_sine(n=100, seed=42)
print(x[:5], y_real[:3].round(3), y_measured[:3].round(3))

# %% [markdown]
# ### plot the real vs measured

# %%
plt.scatter(x, y_measured, marker='.', color='b', label='measured')
plt.plot(x, y_real, color='r', label='real')
plt.xlabel('input x'); plt.ylabel('output y'); plt.legend(frameon=True);
plt.title('The real phenomenon and its noisy measurements');

# %% [markdown]
# Let's use one of the supervised methods: **Support Vector Machine** for regression (SVR).
#
# The deck's `SVR()` used scikit-learn's old default `gamma='auto'` (the width of the RBF kernel is
# $1/\text{n\_features} = 1$); since scikit-learn 0.22 the default is `gamma='scale'`, which is
# already smooth on this data. To see what the deck saw, we ask for `gamma='auto'` (errata).

# %%
from sklearn.svm import SVR
clf = SVR(gamma='auto')  # the deck's "default parameters" (scikit-learn < 0.22)

# %% [markdown]
# ### training

# %%
clf.fit(x.reshape(-1, 1), y_measured)

# %% [markdown]
# ### predicting the output

# %%
y_pred = clf.predict(x.reshape(-1, 1))

# %% [markdown]
# ### plotting the result

# %%
plt.scatter(x, y_measured, marker='.', color='blue', label='measured')
plt.plot(x, y_pred, 'g--', label='predicted')
plt.xlabel('input x'); plt.ylabel('output y'); plt.legend(frameon=True);
plt.title('SVR prediction against the measurements');

# %% [markdown]
# We observe for the first time an important negative phenomenon: **overfitting**. The green
# curve chases the noise of each measurement instead of the sine behind them: it is closer to the
# measured points than to the real curve.

# %%
def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


print("distance to measured:", round(rmse(y_pred, y_measured), 3))
print("distance to real    :", round(rmse(y_pred, y_real), 3))

# %% [markdown]
# We will be dedicating part of the course to the methods that we have for controlling
# overfitting. Here, a wider kernel (small `gamma`) with a large penalty `C`:

# %%
clf = SVR(C=1e3, gamma=0.0001)
clf.fit(x.reshape(-1, 1), y_measured)

# %% [markdown]
# ### predicting the output

# %%
y_pred_ok = clf.predict(x.reshape(-1, 1))
print("distance to measured:", round(rmse(y_pred_ok, y_measured), 3))
print("distance to real    :", round(rmse(y_pred_ok, y_real), 3))

# %% [markdown]
# ### plotting the result

# %%
plt.scatter(x, y_measured, marker='.', color='b', label='measured')
plt.plot(x, y_pred, 'g--', label='overfitted')
plt.plot(x, y_pred_ok, 'm-', label='not overfitted')
plt.xlabel('input x'); plt.ylabel('output y'); plt.legend(frameon=True);
plt.title('An overfitted SVR and a well-fitted one');

# %% [markdown]
# A picture can mislead; a held-out test set does not. The `supervised-svr` lab fits the three
# models on 70 of the points and measures the squared error on the other 30: the overfitted model
# has the lowest training error and the highest test error.

# %%
from IPython.display import display
from vibrastic.ml.labs import run_lab

svr_lab = run_lab("supervised-svr")
for row in svr_lab.tables["models"]:
    print(f"{row['description']:<48} train {row['train_mse']:.3f}  test {row['test_mse']:.3f}"
          f"  overfits: {row['overfits']}")
display(svr_lab.figures["held-out"])

# %% [markdown]
# ## Unsupervised Learning
#
# In some cases we can just observe a series of items or values, e.g.,
# $\Psi = \{ \vec{x}_i \}$:
#
# - It is necessary to find the *hidden structure* of *unlabeled data*.
# - We need a measure of correctness of the model that does not require an expected outcome.
# - Although, at first glance, it may look a bit awkward, this type of problem is very common.
# - Related to anomaly detection, clustering, etc.
#
# Let's generate a dataset that is composed of three groups or clusters of elements,
# $\vec{x} \in \mathbb{R}^2$: 30 points around each of $(5,5)$, $(10,0)$ and $(0,2)$. The deck
# writes `x_1 = np.random.randn(30,2) + (5,5)` and so on (its slide garbles it as
# `\text{np.random.randn}`, errata); `three_blobs` does the same with a seeded generator:
#
# {source} vibrastic.ml.data:three_blobs

# %%
from vibrastic.ml.data import three_blobs

x, groups = three_blobs(n_per_blob=30, seed=42)
x_1, x_2, x_3 = x[groups == 0], x[groups == 1], x[groups == 2]

# %% [markdown]
# ### See the plot

# %%
plt.scatter(x_1[:,0], x_1[:,1], c='red', label='Cluster 1', alpha=0.74)
plt.scatter(x_2[:,0], x_2[:,1], c='blue', label='Cluster 2', alpha=0.74)
plt.scatter(x_3[:,0], x_3[:,1], c='green', label='Cluster 3', alpha=0.74)
plt.legend(frameon=True); plt.xlabel('first feature x_1'); plt.ylabel('second feature x_2'); plt.title('Three datasets');

# %% [markdown]
# ### Merge all data
#
# The learner only gets the points, without the colours:

# %%
x = np.concatenate((x_1, x_2, x_3), axis=0)

# %% [markdown]
# ### See the plot
#
# (`plot_clusters` from `vibrastic.ml.plots` draws this and the next figure; the `unsupervised-kmeans`
# lab uses it too.)

# %%
from vibrastic.ml.plots import plot_clusters

ax = plot_clusters(x, title='Training dataset')
ax.figure

# %% [markdown]
# Let's use one of the unsupervised methods: **KMeans**.

# %%
from sklearn.cluster import KMeans
clus = KMeans(n_clusters=3, n_init=10, random_state=0)

# %% [markdown]
# ### fit and predict the data

# %%
clus.fit(x)
labels_pred = clus.predict(x)

# %% [markdown]
# ### See the plot
#
# The deck stops at "See the plot"; here it is: the clusters KMeans found, and its centroids.

# %%
ax = plot_clusters(x, labels_pred, clus.cluster_centers_, title='KMeans (scikit-learn)')
ax.figure

# %% [markdown]
# The same algorithm from scratch (assign each point to its nearest centroid, move each centroid
# to the mean of its points, repeat): `vibrastic.ml.classic.KMeans`, with scikit-learn's interface.

# %%
from vibrastic.ml.classic import KMeans as OurKMeans

ours = OurKMeans(n_clusters=3, random_state=0).fit(x)
print("inertia: scikit-learn", round(clus.inertia_, 2), "| from scratch", round(ours.inertia_, 2))
print("centroids from scratch:\n", ours.cluster_centers_.round(2))
