# torch.save / torch.load of tensors, containers and a state_dict for inference.
import torch
import torch.nn as nn

torch.manual_seed(11)
t = torch.arange(6).reshape(2, 3)
torch.save(t, "tensor.pt")
print(torch.load("tensor.pt"))

x = torch.randn(3, dtype=torch.float64)
torch.save({"x": x, "items": [x, 3, "label"], "pair": (1.5, None)}, "bundle.pt")
bundle = torch.load("bundle.pt")
print(bundle["x"].dtype, bundle["items"][1:], bundle["pair"])
print(torch.equal(bundle["x"], x), bundle["items"][0] is bundle["x"])

model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
PATH = "model_weights.pth"
torch.save(model.state_dict(), PATH)
model2 = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
model2.load_state_dict(torch.load(PATH, weights_only=True))
model2.eval()
inputs = torch.ones(4, 3)
with torch.no_grad():
    print(model(inputs))
    print(torch.allclose(model(inputs), model2(inputs)))
print(list(torch.load(PATH).keys()))
