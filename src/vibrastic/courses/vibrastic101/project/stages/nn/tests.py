"""Stage 4: parameters(), Linear's shapes, init and forward, and gradient checks of the losses."""

from vibrastic.platform.course.checks import Case, approx, equal
from vibrastic.platform.course.stagechecks import finite_check, tensor_gradcheck

NN = "import numpy as np\nfrom mygrad.tensor import Tensor\nfrom mygrad import nn\n"
XOR = NN + """
class XOR(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3, True)
        self.fc2 = nn.Linear(3, 1, True)

    def forward(self, x):
        return self.fc2(self.fc1(x).sigmoid())

net = XOR()
"""
LAYER = NN + """
def layer(x, w, b):
    lin = nn.Linear(3, 2)
    lin.weight, lin.bias = w, b
    return lin(x)
"""
CE_BIG = NN + """
logits = Tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0], [3.0, 1.0, -2.0]])
loss = nn.CrossEntropyLoss()(logits, np.array([0, 1, 2]))
loss.backward()
{"value": float(loss.data), "grad": logits.grad.tolist(),
 "finite": bool(np.isfinite(loss.data) and np.isfinite(logits.grad).all())}
"""
OVERFLOW = ("e^1000 overflows: subtract each row's max from the logits before exp "
            "(log-sum-exp); it changes neither the loss nor the gradient")

CASES = [
    Case("Linear(3, 2): weight (2, 3) and bias (2,), like PyTorch",
         NN + "lin = nn.Linear(3, 2)\n[list(lin.weight.shape), list(lin.bias.shape)]", equal(),
         hint="weight is (out_features, in_features): Wᵀ turns a row of 3 inputs into 2."),
    Case("Linear's init: uniform in ±1/√in_features",
         NN + "lin = nn.Linear(400, 300, rng=np.random.default_rng(0))\n"
         "w = lin.weight.data\nbound = 1 / np.sqrt(400)\n"
         "[bool(abs(w).max() <= bound), bool(abs(lin.bias.data).max() <= bound), "
         "round(float(w.std() / (bound / np.sqrt(3))), 1), round(float(w.mean() / bound), 1)]",
         equal(), hint="rng.uniform(-bound, bound, shape) with bound = 1 / np.sqrt(in_features);"
         " the standard deviation of that is bound / √3."),
    Case("Linear(2, 4, bias=False) has no bias and one parameter",
         NN + "lin = nn.Linear(2, 4, bias=False)\n[lin.bias is None, len(lin.parameters())]",
         equal(), hint="self.bias = None when bias is False; forward skips it."),
    Case("parameters() of the deck's XOR net: fc1.weight, fc1.bias, fc2.weight, fc2.bias",
         XOR + "ps = net.parameters()\nwant = [net.fc1.weight, net.fc1.bias, net.fc2.weight, "
         "net.fc2.bias]\n[len(ps), all(p is q for p, q in zip(ps, want))]", equal(),
         hint="Walk vars(self).values(); for a sub-module, walk its vars in turn."),
    Case("parameters() looks into lists and counts a shared Tensor once",
         NN + "a = nn.Linear(2, 2)\nb = nn.Linear(2, 2)\nb.weight = a.weight\n"
         "seq = nn.Sequential(a, b, nn.ReLU())\nps = seq.parameters()\n"
         "[len(ps), ps[0] is a.weight, ps[1] is a.bias, ps[2] is b.bias]", equal(),
         hint="Sequential keeps its layers in a list; skip a Tensor already found (`is`)."),
    Case("Linear's forward is x·Wᵀ + b", NN + "lin = nn.Linear(3, 2)\n"
         "lin.weight.data = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])\n"
         "lin.bias.data = np.array([0.25, -0.5])\n"
         "lin(Tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])).data.tolist()", approx(),
         hint="x @ self.weight.T + self.bias"),
    tensor_gradcheck("gradients through Linear (weight, bias and input)", "layer(x, w, b)",
                     {"x": (4, 3), "w": (2, 3), "b": (2,)}, setup=LAYER, points=2,
                     hint="The bias is broadcast over the batch: stage 3's unbroadcast sums it."),
    tensor_gradcheck("MSELoss", "nn.MSELoss()(p, t)", {"p": (4, 1), "t": (4, 1)}, setup=NN,
                     hint="((prediction - target) ** 2).mean()"),
    tensor_gradcheck("BCELoss on probabilities", "nn.BCELoss()(p.sigmoid(), t.sigmoid())",
                     {"p": (5,), "t": (5,)}, setup=NN,
                     hint="-(y * p.log() + (1 - y) * (1 - p).log()).mean()"),
    tensor_gradcheck("CrossEntropyLoss on (4, 3) logits",
                     "nn.CrossEntropyLoss()(z, np.array([0, 2, 1, 2]))", {"z": (4, 3)},
                     setup=NN, points=2,
                     hint="The mean over rows of -(log-softmax of the row)[target]."),
    Case("CrossEntropyLoss on logits of ±1000 is finite", CE_BIG,
         finite_check("CrossEntropyLoss on logits as large as 1000", OVERFLOW), points=2,
         hint="shifted = logits - logits.data.max(axis=1, keepdims=True)"),
    Case("zero_grad() empties every parameter's grad",
         XOR + "out = net(Tensor([[1.0, 0.0]]))\nout.backward()\nnet.zero_grad()\n"
         "[float(abs(p.grad).sum()) for p in net.parameters()]", approx(), hidden=True),
    tensor_gradcheck("CrossEntropyLoss with one row and many classes",
                     "nn.CrossEntropyLoss()(z * 40, [6])", {"z": (1, 10)}, setup=NN,
                     hidden=True),
    tensor_gradcheck("a 2-3-1 network with MSELoss, end to end",
                     "nn.MSELoss()(((x @ w1.T + b1).sigmoid() @ w2.T + b2), t)",
                     {"x": (4, 2), "w1": (3, 2), "b1": (3,), "w2": (1, 3), "b2": (1,),
                      "t": (4, 1)}, setup=NN, hidden=True),
    Case("MSELoss and BCELoss values", NN +
         "p = Tensor([[0.2], [0.9], [0.6]])\nt = Tensor([[0.0], [1.0], [1.0]])\n"
         "[float(nn.MSELoss()(p, t).data), float(nn.BCELoss()(p, t).data)]", approx(),
         hidden=True),
]
