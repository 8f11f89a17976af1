"""Devices, random generators, ``vb.save``/``vb.load`` and optimizer state, against PyTorch."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import vibrastic as vb

torch.set_num_threads(1)

# ---- devices ----


@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:1", "mps"])
def test_device_objects_print_and_compare_as_torch(spec: str) -> None:
    v, t = vb.device(spec), torch.device(spec)
    assert repr(v) == repr(t) and str(v) == str(t)
    assert (v.type, v.index) == (t.type, t.index)
    assert v == vb.device(spec) and hash(v) == hash(vb.device(spec))
    assert (v == spec) == (t == spec)


def test_the_usual_boilerplate_picks_the_cpu() -> None:
    device = vb.device("cuda" if vb.cuda.is_available() else "cpu")
    x = vb.zeros(2).to(device)
    assert x.device == vb.device("cpu") and str(x.device) == "cpu" and not x.is_cuda
    model = vb.nn.Linear(2, 1).to(device)
    assert next(model.parameters()).device.type == "cpu"
    assert vb.cuda.device_count() == 0 and not vb.backends.mps.is_available()
    vb.cuda.manual_seed_all(0)  # harmless, as in torch without CUDA
    vb.backends.cudnn.deterministic = True


def test_using_an_accelerator_says_vibrastic_has_none() -> None:
    for target in ("cuda", vb.device("cuda", 0), "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            vb.zeros(2).to(target)
        with pytest.raises(RuntimeError, match="CPU only"):
            vb.nn.Linear(1, 1).to(target)
    with pytest.raises(RuntimeError, match="CPU only"):
        vb.set_default_device("cuda")
    with pytest.raises(AttributeError, match="vibrastic computes on the CPU only"):
        vb.cuda.get_device_name()
    with pytest.raises(RuntimeError, match="device type"):
        vb.device("gpu")


def test_to_accepts_torch_call_forms() -> None:
    x = vb.ones(2)
    assert x.to("cpu") is x
    assert x.to(vb.float64).dtype == vb.float64
    assert x.to("cpu", vb.float64).dtype == vb.float64
    assert x.to(device="cpu", dtype=vb.float64).dtype == vb.float64
    assert x.to(vb.zeros(1, dtype=vb.float64)).dtype == vb.float64
    with pytest.raises(TypeError, match="unexpected keyword argument 'dtyp'"):
        x.to(dtyp=vb.float64)


# ---- random numbers ----


def test_manual_seed_reproduces_every_kind_of_draw() -> None:
    def draws() -> list[Any]:
        return [vb.rand(3).tolist(), vb.randn(2, 2).tolist(), vb.randint(0, 9, (4,)).tolist(),
                vb.randperm(5).tolist(), vb.nn.Linear(2, 2).weight.tolist()]

    vb.manual_seed(11)
    first = draws()
    vb.manual_seed(11)
    assert draws() == first
    vb.manual_seed(12)
    assert draws() != first


def test_generator_state_round_trips_and_rejects_garbage() -> None:
    g = vb.Generator().manual_seed(5)
    assert g.initial_seed() == 5
    state = g.get_state()
    a = vb.randn(3, generator=g)
    g.set_state(state)
    assert vb.randn(3, generator=g).tolist() == a.tolist()
    vb.manual_seed(1)
    s = vb.get_rng_state()
    b = vb.rand(2)
    vb.set_rng_state(s)
    assert vb.rand(2).tolist() == b.tolist()
    with pytest.raises(RuntimeError, match="get_state"):
        g.set_state(vb.zeros(4, dtype=vb.uint8))
    assert vb.Generator().manual_seed(-1).initial_seed() == torch.Generator().manual_seed(
        -1).initial_seed()


def test_randint_accepts_torch_call_forms() -> None:
    assert vb.randint(5, (3,)).shape == torch.randint(5, (3,)).shape
    assert vb.randint(2, 5, (2, 2)).shape == (2, 2)
    x = vb.randint(3, 4, (50,))
    assert set(x.tolist()) == {3} and x.dtype == vb.int64


def test_bernoulli_as_torch_shapes_dtypes_frequencies_and_errors() -> None:
    x = vb.zeros(200, 50, dtype=vb.float64)
    vb.manual_seed(4)
    draw = vb.bernoulli(x, 0.3)
    assert draw.shape == (200, 50) and draw.dtype == vb.float64 and not draw.requires_grad
    assert set(np.unique(draw.numpy())) == {0.0, 1.0}
    assert abs(draw.numpy().mean() - 0.3) < 0.02  # 10,000 draws: 5 standard deviations
    vb.manual_seed(4)
    assert vb.bernoulli(x, 0.3).tolist() == draw.tolist()
    vb.manual_seed(4)
    assert x.bernoulli(0.3).tolist() == draw.tolist()
    probs = vb.tensor([0.0, 1.0, 1.0, 0.0], requires_grad=True)  # per-element probabilities
    assert vb.bernoulli(probs).tolist() == [0.0, 1.0, 1.0, 0.0]
    for call, theirs in [(lambda m: m.bernoulli(m.tensor([1.5])), "p_in >= 0 && p_in <= 1"),
                         (lambda m: m.bernoulli(m.zeros(2), 1.5), "expects p to be in"),
                         (lambda m: m.bernoulli(m.tensor([1, 0])), "not implemented for")]:
        with pytest.raises((RuntimeError, NotImplementedError), match=theirs):
            call(torch)
        with pytest.raises((RuntimeError, NotImplementedError), match=theirs):
            call(vb)


def test_dropout_keeps_torchs_formula_and_statistics() -> None:
    vb.manual_seed(0)
    x = vb.ones(100, 100, requires_grad=True)
    out = vb.nn.functional.dropout(x, 0.25)
    kept = out.detach().numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.03
    np.testing.assert_array_equal(out.detach().numpy()[kept], np.float32(1) / np.float32(0.75))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())
    assert out.grad_fn.name() == "MulBackward0"


# ---- saving and loading ----


def roundtrip(obj: Any, tmp_path: Path) -> Any:
    path = tmp_path / "obj.pt"
    vb.save(obj, path)
    return vb.load(path)


def test_tensors_come_back_with_dtype_values_and_flags(tmp_path: Path) -> None:
    ts = [vb.tensor([1.5, -2.0], dtype=vb.float64), vb.arange(6).reshape(2, 3),
          vb.tensor(True), vb.tensor([1, 2], dtype=vb.uint8), vb.randn(2, requires_grad=True)]
    back = roundtrip(ts, tmp_path)
    for a, b in zip(ts, back, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_containers_keys_and_sharing_survive(tmp_path: Path) -> None:
    x = vb.ones(2)
    obj = {"x": x, "again": [x], 3: (1.5, None, "s", float("nan"), float("-inf")),
           "od": OrderedDict(b=1, a=2), "arr": np.arange(3), "np": np.float32(2.5),
           "dtype": vb.float64, "device": vb.device("cpu"), "flag": True}
    back = roundtrip(obj, tmp_path)
    assert back["again"][0] is back["x"]
    assert back[3][:3] == (1.5, None, "s") and np.isnan(back[3][3]) and back[3][4] == -np.inf
    assert isinstance(back["od"], OrderedDict) and list(back["od"]) == ["b", "a"]
    assert back["arr"].tolist() == [0, 1, 2] and back["np"] == np.float32(2.5)
    assert back["dtype"] is vb.float64 and back["device"] == vb.device("cpu")
    assert back["flag"] is True


def test_state_dicts_load_into_new_models(tmp_path: Path) -> None:
    model = vb.nn.Sequential(vb.nn.Linear(3, 4), vb.nn.ReLU(), vb.nn.Linear(4, 1))
    vb.save(model.state_dict(), tmp_path / "m.pt")
    fresh = vb.nn.Sequential(vb.nn.Linear(3, 4), vb.nn.ReLU(), vb.nn.Linear(4, 1))
    fresh.load_state_dict(vb.load(tmp_path / "m.pt", weights_only=True, map_location="cpu"))
    x = vb.randn(5, 3)
    assert fresh(x).tolist() == model(x).tolist()
    buffer = io.BytesIO()
    vb.save(model.state_dict(), buffer)
    buffer.seek(0)
    assert list(vb.load(buffer)) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_saving_a_module_asks_for_its_state_dict(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"save its state_dict\(\) instead"):
        vb.save(vb.nn.Linear(1, 1), tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"obj\['k'\]\[0\], a set"):
        vb.save({"k": [set()]}, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_files_it_cannot_read_get_a_clear_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(RuntimeError, match=r"not a file written by vibrastic\.save"):
        vb.load(text)
    torch_file = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, torch_file)
    with pytest.raises(RuntimeError, match="is a PyTorch checkpoint"):
        vb.load(torch_file)
    good = tmp_path / "good.pt"
    vb.save({"w": vb.ones(2)}, good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(RuntimeError, match=r"truncated\.pt"):
        vb.load(truncated)
    with pytest.raises(FileNotFoundError):
        vb.load(tmp_path / "missing.pt")
    with pytest.raises(RuntimeError, match="CPU only"):
        vb.load(good, map_location="cuda:0")


def forged(tmp_path: Path, manifest: Any, arrays: dict[str, bytes]) -> Path:
    path = tmp_path / "forged.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("vibrastic.json", json.dumps(manifest))
        for name, data in arrays.items():
            z.writestr(name, data)
    return path


class _Payload:
    """Unpickling this would create a file: proof that load ran code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (Path.touch, (Path(self.marker),))


def test_attack_a_pickled_array_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    arr = np.empty(1, dtype=object)
    arr[0] = _Payload(str(marker))
    entry = io.BytesIO()
    np.save(entry, arr, allow_pickle=True)
    manifest = {"format": "vibrastic.save", "version": 1, "object": {"tensor": 0}}
    path = forged(tmp_path, manifest, {"arrays/0.npy": entry.getvalue()})
    with pytest.raises(RuntimeError, match="can't read"):
        vb.load(path)
    assert not marker.exists()
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(RuntimeError):
        vb.load(raw)
    assert not marker.exists()


@pytest.mark.parametrize("obj", [{"tensor": 7}, {"class": "os.system"}, {"tensor": "0"},
                                 {"dict": [[1, {"dtype": "object"}]]}])
def test_attack_forged_manifests_are_rejected(tmp_path: Path, obj: Any) -> None:
    path = forged(tmp_path, {"format": "vibrastic.save", "version": 1, "object": obj}, {})
    with pytest.raises(RuntimeError, match=r"vibrastic\.load"):
        vb.load(path)


def test_a_newer_format_asks_to_upgrade(tmp_path: Path) -> None:
    path = forged(tmp_path, {"format": "vibrastic.save", "version": 99, "object": 1}, {})
    with pytest.raises(RuntimeError, match="upgrade vibrastic"):
        vb.load(path)


# ---- optimizer state ----


def twin_models(seed: int = 0) -> tuple[vb.nn.Module, torch.nn.Module]:
    torch.manual_seed(seed)
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    v = vb.nn.Sequential(vb.nn.Linear(3, 4), vb.nn.Tanh(), vb.nn.Linear(4, 1)).double()
    v.load_state_dict(t.state_dict())
    return v, t


X = np.random.default_rng(0).standard_normal((8, 3))
Y = np.random.default_rng(1).standard_normal((8, 1))


def train(lib: Any, model: Any, opt: Any, steps: int) -> None:
    x, y = lib.tensor(X, dtype=lib.float64), lib.tensor(Y, dtype=lib.float64)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


OPTIMIZERS = {
    "sgd-momentum": lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda lib, ps: lib.optim.Adam(ps, lr=0.01, amsgrad=True),
    "adagrad": lambda lib, ps: lib.optim.Adagrad(ps, lr=0.1, lr_decay=0.01,
                                                 initial_accumulator_value=0.1),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_dict_matches_torch_and_resumes(name: str, tmp_path: Path) -> None:
    make = OPTIMIZERS[name]
    v, t = twin_models()
    vopt, topt = make(vb, v.parameters()), make(torch, t.parameters())
    train(vb, v, vopt, 3)
    train(torch, t, topt, 3)
    vs, ts = vopt.state_dict(), topt.state_dict()
    assert vs["param_groups"][0]["params"] == ts["param_groups"][0]["params"]
    assert vs["state"].keys() == ts["state"].keys()
    for k in ts["state"]:
        assert vs["state"][k].keys() == ts["state"][k].keys()
        for field, value in ts["state"][k].items():
            np.testing.assert_allclose(vs["state"][k][field].numpy(), value.numpy(), rtol=1e-12)
    assert vs["state"][0][next(iter(vs["state"][0]))].dtype in (vb.float64, vb.float32)

    vb.save({"model": v.state_dict(), "opt": vopt.state_dict()}, tmp_path / "ckpt.pt")
    ckpt = vb.load(tmp_path / "ckpt.pt")
    v2, _ = twin_models(seed=1)
    v2.load_state_dict(ckpt["model"])
    vopt2 = make(vb, v2.parameters())
    vopt2.load_state_dict(ckpt["opt"])
    train(vb, v, vopt, 3)
    train(vb, v2, vopt2, 3)
    for a, b in zip(v.parameters(), v2.parameters(), strict=True):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())

    v3, _ = twin_models(seed=1)
    v3.load_state_dict(t.state_dict())
    vopt3 = make(vb, v3.parameters())
    vopt3.load_state_dict(topt.state_dict())  # a torch optimizer's state resumes in vibrastic
    train(vb, v3, vopt3, 2)
    train(torch, t, topt, 2)
    for a, b in zip(v3.parameters(), t.parameters(), strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)


def test_optimizer_load_state_dict_checks_the_groups() -> None:
    p = vb.zeros(2, requires_grad=True)
    opt = vb.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 1, "params": [0, 1]}]})
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 1})
    opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.5, "params": [0],
                                                        "foreach": True, "future_knob": 1}]})
    group = opt.param_groups[0]
    assert group["lr"] == 0.5 and group["foreach"] is True and "future_knob" not in group
