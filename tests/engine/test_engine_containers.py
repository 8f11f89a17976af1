"""nn.ModuleDict, nn.ParameterList and nn.ParameterDict against torch's: names, reprs, errors."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

LIBS = pytest.mark.parametrize("lib", [vb, torch], ids=["vibrastic", "torch"])


def same_text(lib: Any, text: str) -> str:
    """Text as vibrastic would print it (its module is called vibrastic, not torch)."""
    return text.replace("torch", "vibrastic") if lib is torch else text


def build(lib: Any) -> Any:
    """A model holding each container, the way a learner writes one."""
    nn = lib.nn

    class Heads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Linear(3, 4)
            self.heads = nn.ModuleDict({"class": nn.Linear(4, 2), "drop": nn.Dropout(0.5)})
            self.scales = nn.ParameterList([lib.ones(2), nn.Parameter(lib.zeros(2))])
            self.extra = nn.ParameterDict({"w": lib.ones(2, 2), "b": lib.zeros(2)})

        def forward(self, x: Any) -> Any:
            h = self.heads["drop"](self.body(x))
            return self.heads["class"](h) * self.scales[0] + self.scales[1] + self.extra["b"]

    lib.manual_seed(0)
    return Heads()


def test_parameters_state_dict_and_repr_as_torch() -> None:
    v, t = build(vb), build(torch)
    names = [n for n, _ in t.named_parameters()]
    assert names == ["body.weight", "body.bias", "heads.class.weight", "heads.class.bias",
                     "scales.0", "scales.1", "extra.b", "extra.w"]  # a plain dict is sorted
    assert [n for n, _ in v.named_parameters()] == names
    assert list(v.state_dict()) == list(t.state_dict())
    assert len(list(v.parameters())) == len(list(t.parameters())) == 8
    assert repr(v) == same_text(torch, repr(t))
    v.load_state_dict(t.state_dict())
    for (_, a), (_, b) in zip(v.named_parameters(), t.named_parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    v.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(v(vb.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    assert not v.heads["drop"].training and not v.heads.training
    v.train()
    assert v.heads["drop"].training
    v.double()
    assert {p.dtype for p in v.parameters()} == {vb.float64}


def test_gradients_reach_the_containers_parameters() -> None:
    v = build(vb).eval()
    v(vb.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in v.parameters() if p is not v.extra["w"])
    assert v.scales[0].grad.shape == (2,)


@LIBS
def test_module_dict_as_a_dict(lib: Any) -> None:
    nn = lib.nn
    d = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.ReLU()})
    assert list(d) == list(d.keys()) == ["b", "a"] and len(d) == 2  # insertion order
    assert "a" in d and "z" not in d
    d["c"] = nn.Tanh()
    d.update([("e", nn.Sigmoid())])
    d.update(OrderedDict(f=nn.Identity()))
    assert [type(m).__name__ for m in d.values()] == ["Linear", "ReLU", "Tanh", "Sigmoid",
                                                       "Identity"]
    assert [k for k, _ in d.items()] == ["b", "a", "c", "e", "f"]
    assert type(d.pop("a")).__name__ == "ReLU" and "a" not in d
    del d["c"]
    assert list(d.state_dict()) == ["b.weight", "b.bias"]
    assert same_text(lib, repr(nn.ModuleDict({"r": nn.ReLU()}))) == "ModuleDict(\n  (r): ReLU()\n)"
    d.clear()
    assert len(d) == 0 and repr(d) == "ModuleDict()" and list(d.parameters()) == []


@LIBS
def test_parameter_list_as_a_list(lib: Any) -> None:
    nn = lib.nn
    plist = nn.ParameterList([lib.ones(2), nn.Parameter(lib.zeros(3, 2))])
    plist.append(lib.ones(1))
    plist.extend([lib.ones(1, dtype=lib.float64)])
    plist += [lib.zeros(4)]
    assert len(plist) == 5 and list(plist.state_dict()) == ["0", "1", "2", "3", "4"]
    assert all(type(p) is nn.Parameter and p.requires_grad for p in plist)
    assert plist[-1] is plist[4] and [p.shape[0] for p in plist[1:3]] == [3, 1]
    assert type(plist[1:3]) is nn.ParameterList
    shared = lib.zeros(2)
    plist[0] = shared  # a plain tensor becomes a Parameter sharing its memory
    shared[0] = 7.0
    assert plist[0][0].item() == 7.0 and plist[0].requires_grad
    assert same_text(lib, repr(plist[2:4])) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [vibrastic.float32 of size 1]\n"
        "    (1): Parameter containing: [vibrastic.float64 of size 1]\n)")
    mixed = nn.ParameterList([lib.ones(1), "hello"])
    assert same_text(lib, repr(mixed)).endswith("(1): Object of type: str\n)")
    assert list(mixed.state_dict()) == ["0"]


@LIBS
def test_parameter_dict_as_a_dict(lib: Any) -> None:
    nn = lib.nn
    pd = nn.ParameterDict({"w": lib.ones(2, 2), "b": nn.Parameter(lib.zeros(3),
                                                                   requires_grad=False)})
    assert list(pd) == ["b", "w"]  # torch sorts a plain dict's keys
    assert list(nn.ParameterDict(OrderedDict(z=lib.ones(1), a=lib.ones(1)))) == ["z", "a"]
    assert not pd["b"].requires_grad and pd["w"].requires_grad and type(pd["w"]) is nn.Parameter
    assert same_text(lib, repr(pd)) == (
        "ParameterDict(\n"
        "    (b): Parameter containing: [vibrastic.FloatTensor of size 3]\n"
        "    (w): Parameter containing: [vibrastic.FloatTensor of size 2x2]\n)")
    pd.update([("c", lib.ones(1))])
    pd["a"] = lib.ones(1, dtype=lib.float64)
    assert list(pd.keys()) == ["b", "w", "c", "a"] and "c" in pd and len(pd) == 4
    assert same_text(lib, repr(nn.ParameterDict({"a": pd["a"]}))) == (
        "ParameterDict(  (a): Parameter containing: [vibrastic.DoubleTensor of size 1])")
    assert [k for k, _ in pd.items()] == list(pd.keys()) and len(list(pd.values())) == 4
    assert pd.get("zz") is None and pd.pop("c").shape == (1,) and "c" not in pd
    assert pd.popitem()[0] == "a" and list(pd.state_dict()) == ["b", "w"]
    merged = pd | nn.ParameterDict({"z": lib.ones(1)})
    assert list(merged) == ["b", "w", "z"] and list(pd) == ["b", "w"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []


@LIBS
def test_container_errors_are_torchs(lib: Any) -> None:
    nn = lib.nn
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        nn.ModuleDict({"a": 3})
    with pytest.raises(KeyError, match=r'contain "\.", got: a\.b'):
        nn.ModuleDict({"a.b": nn.ReLU()})
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        nn.ModuleDict({"keys": nn.ReLU()})
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        nn.ParameterDict({"keys": lib.ones(1)})
    with pytest.raises(TypeError, match="should be called with an iterable"):
        nn.ModuleDict(3)
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        nn.ParameterDict([("a", 1, 2)])
    with pytest.raises(KeyError):
        nn.ModuleDict()["missing"]
    with pytest.raises(AttributeError):  # torch looks the key up as an attribute
        nn.ParameterDict()["missing"]
    with pytest.raises(TypeError, match="cannot be used as a key as it is not a string"):
        nn.ParameterDict()[1]
    with pytest.raises(IndexError, match="index 2 is out of range"):
        nn.ParameterList([lib.ones(1)])[2]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        nn.ParameterList()(1)
    with pytest.raises(NotImplementedError, match="forward"):
        nn.ModuleDict({"r": nn.ReLU()})(lib.ones(1))
    with pytest.raises(RuntimeError, match="floating point"):
        nn.ParameterList([lib.ones(1, dtype=lib.int64)])


@LIBS
def test_module_list_as_a_list(lib: Any) -> None:
    nn = lib.nn
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU()])
    layers.append(nn.Linear(2, 3))
    assert same_text(lib, repr(layers)) == (  # torch folds runs of equal modules
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3-4): 2 x ReLU()\n"
        "  (5): Linear(in_features=2, out_features=3, bias=True)\n)")
    assert type(layers[1:3]) is nn.ModuleList and len(layers[1:3]) == 2
    layers.insert(0, nn.Sigmoid())
    layers.extend([nn.Tanh()])
    layers += [nn.Identity()]
    assert [type(m).__name__ for m in layers][:2] == ["Sigmoid", "Linear"] and len(layers) == 9
    del layers[0]
    layers[0] = nn.Identity()
    assert type(layers.pop(1)).__name__ == "Linear" and len(layers) == 7
    del layers[2:4]
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear", "Tanh",
                                                  "Identity"]
    assert list(layers.state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias"]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    assert type(layers[-2]).__name__ == "Tanh" and len(layers + nn.ModuleList([nn.ReLU()])) == 6
    with pytest.raises(IndexError, match="index 5 is out of range"):
        layers[5]
    with pytest.raises(TypeError, match="should be called with an iterable"):
        layers.extend(3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        nn.ModuleList([3])
    assert repr(nn.ModuleList()) == "ModuleList()"



def sequential_as_a_list(lib: Any) -> list[Any]:
    """What a learner sees editing a Sequential in place (reprs, state_dict keys, errors)."""
    nn, seen = lib.nn, []
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    seen += [list(net[1:].state_dict()), repr(net[-1])]  # a slice keeps the names
    named = nn.Sequential(OrderedDict(fc=nn.Linear(1, 1), act=nn.Tanh(), out=nn.Linear(1, 1)))
    seen.append(list(named[::2].state_dict()))
    del named[1]  # renames to 0, 1 as torch
    seen += [list(named.state_dict()), repr(named)]
    net[1] = nn.Tanh()
    seen += [repr(net), repr(net.pop(1)), list(net.state_dict())]
    net.insert(1, nn.Sigmoid()).insert(-1, nn.ReLU()).extend([nn.Identity()])
    net += nn.Sequential(nn.Tanh())
    seen += [repr(net), repr(2 * nn.Sequential(nn.ReLU())), repr(nn.Sequential(nn.ReLU()) * 2)]
    shared = nn.Sequential(nn.Linear(1, 1))
    shared *= 3  # the same layer three times: one set of parameters, three state_dict names
    seen.append((len(shared), len(list(shared.parameters())), list(shared.state_dict())))
    not_a_sequential = [nn.ReLU()]
    for bad in (lambda: net[10], lambda: net.insert(20, nn.ReLU()),
                lambda: net + not_a_sequential, lambda: net * 0):
        with pytest.raises((IndexError, ValueError)) as caught:
            bad()
        seen.append((caught.type.__name__, str(caught.value).split(" <class")[0]))
    return seen


def test_sequential_as_a_list_as_torch() -> None:
    ours, theirs = sequential_as_a_list(vb), sequential_as_a_list(torch)
    assert ours == [same_text(torch, x) if isinstance(x, str) else x for x in theirs]
    assert ours[0] == ["2.weight", "2.bias"] and ours[2] == ["fc.weight", "fc.bias", "out.weight",
                                                              "out.bias"]
    assert ours[-5] == (3, 2, ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"])
