# vibrastic-warns: FutureWarning
# The deck's XOR slides as printed: Variable, torch.Tensor, nn.MSELoss and SGD with momentum.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.autograd import Variable

torch.manual_seed(2)
inputs = Variable(torch.Tensor([[0, 0], [0, 1], [1, 0], [1, 1]]))
targets = Variable(torch.Tensor([[0], [1], [1], [0]]))


class XOR(nn.Module):
    def __init__(self, input_dim=2, output_dim=1):
        super(XOR, self).__init__()
        self.lin1 = nn.Linear(input_dim, 2)
        self.lin2 = nn.Linear(2, output_dim)

    def forward(self, x):
        x = self.lin1(x)
        x = F.sigmoid(x)
        x = self.lin2(x)
        return x


model = XOR()
loss_func = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
epochs = 401
steps = inputs.size(0)
for i in range(epochs):
    for j in range(steps):
        data_point = j
        x_var = Variable(inputs[data_point], requires_grad=False)
        y_var = Variable(targets[data_point], requires_grad=False)
        optimizer.zero_grad()
        y_hat = model(x_var)
        loss = loss_func.forward(y_hat, y_var)
        loss.backward()
        optimizer.step()
    if i % 100 == 0:
        print("Epoch: {0}, Loss: {1}, ".format(i, loss.data.numpy()))
for x in inputs:
    print(x.tolist(), model(x).item())
