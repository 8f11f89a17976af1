"""k-nearest neighbours and k-means written with tensor ops, as in "PyTorch from scratch" posts.

In spirit: the classic-ML-in-PyTorch blog posts and course exercises that build kNN and k-means
without scikit-learn. Exercises ``torch.cdist``, ``topk(largest=False)``, ``torch.mode``,
``torch.bincount``, ``gather``, ``scatter_add_``/``index_add_``, ``torch.where``,
``masked_fill``, ``argmin``, ``unique(return_counts=True)``, ``torch.cat``, boolean indexing,
``torch.eye`` indexing for one-hot and ``torch.randperm`` for a train/test split.
"""
import torch

torch.manual_seed(35)
centers = torch.tensor([[0.0, 0.0], [3.0, 3.0], [0.0, 4.0]])
X = torch.cat([c + 0.7 * torch.randn(40, 2) for c in centers])
y = torch.arange(3).repeat_interleave(40)
perm = torch.randperm(len(X))
train_idx, test_idx = perm[:90], perm[90:]
X_train, y_train, X_test, y_test = X[train_idx], y[train_idx], X[test_idx], y[test_idx]

# kNN
k = 5
dists = torch.cdist(X_test, X_train)
knn_dists, knn_idx = dists.topk(k, dim=1, largest=False)
knn_labels = y_train[knn_idx]
pred, _ = torch.mode(knn_labels, dim=1)
print("knn accuracy", (pred == y_test).float().mean().item())
print("nearest", knn_dists[0], knn_labels[0])
votes = torch.zeros(len(X_test), 3).scatter_add_(1, knn_labels, torch.ones_like(knn_dists))
weighted = torch.zeros(len(X_test), 3).scatter_add_(1, knn_labels, 1.0 / (knn_dists + 1e-8))
print("votes", votes[:3])
print("weighted agrees", (weighted.argmax(1) == pred).sum().item(), "of", len(pred))
print("bincount", torch.bincount(knn_labels[0], minlength=3), torch.bincount(y_train))
one_hot = torch.eye(3)[y_test]
print("one hot", one_hot[:2], one_hot.sum(0))

# k-means (Lloyd's algorithm), initial centroids drawn from the data
torch.manual_seed(1)
C = X[torch.randperm(len(X))[:3]].clone()
for it in range(6):
    assign = torch.cdist(X, C).argmin(dim=1)
    sums = torch.zeros_like(C).index_add_(0, assign, X)
    counts = torch.bincount(assign, minlength=3).float()
    new_C = sums / counts.clamp(min=1).unsqueeze(1)
    shift = (new_C - C).norm(dim=1).max()
    C = torch.where(counts.unsqueeze(1) > 0, new_C, C)
    inertia = ((X - C[assign]) ** 2).sum()
    print(f"iter {it} inertia {inertia.item():.4f} shift {shift.item():.5f}")
order = C[:, 0].argsort()
print("centroids", C[order])
labels, counts = assign.unique(return_counts=True)
print("cluster sizes", labels.tolist(), counts.tolist())
d_own = torch.cdist(X, C).gather(1, assign.unsqueeze(1)).squeeze(1)
print("mean distance to own centroid", round(d_own.mean().item(), 5))
far = d_own.masked_fill(d_own < 1.5, 0.0)
print("outliers", (far > 0).sum().item(), X[far > 0][:2])
print("pairwise", torch.cdist(C, C, p=1))
