# Device boilerplate: pick a device, move the model and the data, create tensors on it.
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(f"Using {device} device")
if torch.backends.mps.is_available():
    device = torch.device("mps")
print(torch.cuda.is_available(), torch.cuda.device_count(), device.type)

torch.manual_seed(12)
model = nn.Sequential(nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1)).to(device)
x = torch.randn(8, 5).to(device)
y = torch.zeros(8, 1, device=device)
ones = torch.ones(8, 1, device="cpu")
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
for step in range(20):
    x, y = x.to(device), y.to(device)
    loss = nn.MSELoss()(model(x), y + ones)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(round(loss.item(), 6), x.device, next(model.parameters()).device)
out = model(x).detach().cpu().numpy()
print(out.shape, out.dtype, float(out.sum()))
print(x.to(device, torch.float64).dtype, x.to(dtype=torch.float64, device=device).dtype)
