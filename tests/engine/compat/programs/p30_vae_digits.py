"""A variational autoencoder on the 8x8 digits, as in the PyTorch examples' VAE (vae/main.py).

In spirit: pytorch/examples' ``vae/main.py`` and the many blog posts that copy it, shrunk to an MLP
on sklearn's digits. Exercises the reparameterisation trick by hand (``torch.randn_like``) and
through ``Normal.rsample``, ``F.binary_cross_entropy(reduction='sum')``, the closed-form KL next to
``kl_divergence(Normal, Normal)``, ``torch.erf`` for a Gaussian CDF, ``torch.special.expit``,
``logsumexp`` and sampling from the prior under ``torch.no_grad()``.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn
from torch.distributions import Normal, kl_divergence
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(30)
digits = load_digits()
data = torch.from_numpy((digits.images.reshape(-1, 64) / 16.0).astype(np.float32))
loader = DataLoader(TensorDataset(data[:512]), batch_size=128, shuffle=True)


class VAE(nn.Module):
    def __init__(self, latent=4):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, latent)
        self.fc22 = nn.Linear(32, latent)
        self.fc3 = nn.Linear(latent, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(1, 4):
    model.train()
    train_loss = 0
    for batch_idx, (x,) in enumerate(loader):
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(x)
        loss = loss_function(recon_batch, x, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
    print(f"====> Epoch: {epoch} Average loss: {train_loss / len(loader.dataset):.4f}")

# the same objective with torch.distributions: rsample keeps the graph, kl_divergence is closed form
model.eval()
x = data[512:640]
mu, logvar = model.encode(x)
q = Normal(mu, torch.exp(0.5 * logvar))
p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
z = q.rsample()
recon = model.decode(z)
kl = kl_divergence(q, p).sum()
closed = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
print("kl", round(kl.item(), 3), "closed form", round(closed.item(), 3))
elbo = -(F.binary_cross_entropy(recon, x, reduction="sum") + kl) / len(x)
elbo.backward()
print("elbo", round(elbo.item(), 4), "grad norm fc21", round(model.fc21.weight.grad.norm().item(), 4))
print("log q(z)", q.log_prob(z).sum(-1)[:3])
print("z shape", z.shape, "requires grad", z.requires_grad, "sample", q.sample().requires_grad)

# an importance-sampled log-likelihood bound with logsumexp, and a Gaussian CDF with erf
with torch.no_grad():
    K = 8
    zs = q.rsample((K,))
    log_w = (p.log_prob(zs).sum(-1) - q.log_prob(zs).sum(-1)
             - F.binary_cross_entropy(model.decode(zs), x.expand(K, -1, -1),
                                      reduction="none").sum(-1))
    iwae = torch.logsumexp(log_w, dim=0) - math.log(K)
    print("iwae bound", round(iwae.mean().item(), 3))
    cdf = 0.5 * (1 + torch.erf(mu / math.sqrt(2)))
    print("P(z<mu) via erf", cdf[0], "normal cdf", p.cdf(mu)[0])
    print("expit", torch.special.expit(torch.tensor([-2.0, 0.0, 3.0])))
    samples = model.decode(torch.randn(4, 4))
    print("samples", samples.shape, samples.mean().item() > 0, samples.max() <= 1)
    print(samples[0, :8])
