# %% [markdown]
# # Lesson 7 — Learning rate α and momentum β
#
# ## Study of Learning Rate α hands on
#
# We fit a line to five points by gradient descent and watch what the learning rate $\alpha$ does.
# The data: inputs $\boldsymbol{X}$ (one column) with a column of ones appended for the bias
# ($\boldsymbol{X}_{bias}$), and targets $\boldsymbol{y}$. The deck builds the bias column with
# `np.ones((N, 1))` but never defines `N`; it is the number of rows, 5 (errata):
#
# ```python
# X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
# X_bias = np.hstack((X, np.ones((N, 1))))
# y = np.array([10.5, 5.0, 3.0, 2.5, 1.0])
# ```

# %%
import numpy as np
from vibrastic.ml.data import five_point_line

X, X_bias, y = five_point_line()
N = len(X)
print(X_bias, y, sep="\n")

# %% [markdown]
# - **error function** $\to E(\boldsymbol{X},\boldsymbol{y};\boldsymbol{w}) = \frac{1}{2} \left\| \boldsymbol{X}\cdot\boldsymbol{w} - \boldsymbol{y}\right\|_2^2$.
#
# {source} vibrastic.ml.classic.gradient_descent:error
#
# - **the gradient** $\to \nabla\boldsymbol{w} = \nabla_{\boldsymbol{w}} E(\boldsymbol{X}, \boldsymbol{y}; \boldsymbol{w}) = \boldsymbol{X}^T \cdot (\boldsymbol{X} \cdot \boldsymbol{w} - \boldsymbol{y})$.
#
# {source} vibrastic.ml.classic.gradient_descent:linear_regression_gradient
#
# ### gradient descent loop
#
# Each step moves $\boldsymbol{w}$ against the gradient: $\boldsymbol{w} \leftarrow \boldsymbol{w} - \alpha \nabla\boldsymbol{w}$.
# (The deck's loop computes the gradient on the global `X_bias` instead of its argument `X`;
# fixed here, errata.)
#
# {source} vibrastic.ml.classic.gradient_descent:gradient_descent
#
# These are the functions the `learning-rate` and `momentum` labs run:

# %%
from vibrastic.ml.classic import error, gradient_descent, linear_regression_gradient, normal_equations

print("E(w=[0, 0]) =", error(X_bias, y, [0.0, 0.0]))
print("gradient there:", linear_regression_gradient(X_bias, y, np.array([0.0, 0.0])))

# %% [markdown]
# ### plot contour
#
# The deck's `plot_contour` evaluates $E$ on a grid of $(w_0, w_1)$ and stops before drawing;
# `vibrastic.ml.plots.plot_contour` finishes it, and `plot_hist_contour` (which the deck calls but
# never defines) adds the descent path and the best weights `w_norm`. The deck never defines
# `w_norm` either: it is the closed-form least-squares solution (errata).
#
# {source} vibrastic.ml.plots.contours:error_grid

# %%
from vibrastic.ml.plots import alphas_study, comparison_plot, plot_hist_contour

w_norm = normal_equations(X_bias, y)
print("w_norm =", w_norm.round(4))

# %% [markdown]
# (continuing from previous page)
#
# ### try initialize variables

# %%
w_0 = [-3, 2]
alpha = 0.05
max_iters = 25

# %% [markdown]
# ### run learning

# %%
w_hist = gradient_descent(X_bias, y, w_0, alpha, max_iters)
end = w_hist[-1].round(3)
ax = plot_hist_contour(X_bias, y, w_hist, w_norm, show_legend=True,
                       title=f'Gradient descent on the error surface, alpha = {alpha}\n'
                             f'ends at slope {end[0]}, bias {end[1]}')
ax.figure

# %% [markdown]
# ### function to run learning on several alpha
#
# The deck's `alphas_study(alphas)` draws one contour panel per $\alpha$ in a 2×3 grid, reading
# `X_bias`, `y`, `w_0` and `max_iters` from globals. The library's version takes them as arguments
# and the descent as a function, so the momentum study below reuses it:
#
# {source} vibrastic.ml.plots.contours:alphas_study
#
# ### the alpha

# %%
alphas = np.linspace(0.02, 0.07, 6)
print(alphas)

# %% [markdown]
# ### study the alpha

# %%
from functools import partial

alphas_study(X_bias, y, w_0, alphas, partial(gradient_descent, max_iters=max_iters), w_norm)

# %% [markdown]
# Small $\alpha$ crawls; larger $\alpha$ zig-zags; from $\alpha = 0.06$ on, the path runs away.
# Why there: $E$ is a quadratic whose curvature is $\boldsymbol{X}^T\boldsymbol{X}$; gradient
# descent converges only if $\alpha < 2/\lambda_{max}$, with $\lambda_{max}$ the largest
# eigenvalue of $\boldsymbol{X}^T\boldsymbol{X}$.

# %%
from vibrastic.ml.classic import hessian_eigenvalues

lambda_max = hessian_eigenvalues(X_bias)[-1]
print("lambda_max =", round(lambda_max, 3), "-> diverges for alpha >", round(2 / lambda_max, 4))
for a in alphas:
    w_end = gradient_descent(X_bias, y, w_0, a, max_iters)[-1]
    print(f"alpha = {a:.2f}  E(w_25) = {error(X_bias, y, w_end):.4g}")

# %% [markdown]
# ## Study of Momentum Rate β hands on
#
# ### gradient descent with momentum
#
# The step remembers the previous step, `omega`: $\Delta\boldsymbol{w}(t) = -\alpha\nabla\boldsymbol{w} + \beta\,\Delta\boldsymbol{w}(t-1)$.
#
# {source} vibrastic.ml.classic.gradient_descent:gradient_descent_with_momentum
#
# ### set the variables

# %%
from vibrastic.ml.classic import gradient_descent_with_momentum

alpha = 0.05
beta = 0.5
max_iters = 25

# %% [markdown]
# ### run the momentum learning

# %%
w_hist = gradient_descent(X_bias, y, (-3, 2), alpha, max_iters)
w_hist_mom = gradient_descent_with_momentum(X_bias, y, (-3, 2), alpha, beta, max_iters)
print("end without momentum:", w_hist[-1].round(3), " with:", w_hist_mom[-1].round(3),
      " best:", w_norm.round(3))

# %% [markdown]
# ### compare plot
#
# {source} vibrastic.ml.plots.contours:comparison_plot
#
# ### the plot

# %%
comparison_plot(X_bias, y, w_hist, w_hist_mom, w_norm)

# %% [markdown]
# ### study alpha and momentum
#
# The deck's `alphas_study_with_momentum(alphas, beta)` is `alphas_study` with the momentum
# descent plugged in.
#
# ### run it

# %%
alphas_study(X_bias, y, w_0, alphas,
             partial(gradient_descent_with_momentum, beta=0.5, max_iters=max_iters), w_norm)

# %% [markdown]
# With $\beta = 0.5$ every $\alpha$ of the grid converges: heavy-ball momentum widens the stable
# range to $\alpha < 2(1+\beta)/\lambda_{max}$.

# %%
print("with beta = 0.5, diverges only for alpha >", round(2 * (1 + beta) / lambda_max, 4))
