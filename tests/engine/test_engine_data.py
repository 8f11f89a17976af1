"""``vibrastic.utils.data`` against ``torch.utils.data``: datasets, samplers, collation, loaders."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import vibrastic as vb
import vibrastic.utils.data as vud

torch.set_num_threads(1)


def same(v: Any, t: Any) -> None:
    """A vibrastic batch equals a torch batch: same structure, types, dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(v, vb.Tensor), f"{type(v)} is not a Tensor"
        assert str(v.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(v.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert isinstance(v, dict) and list(v) == list(t)
        for k in t:
            same(v[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(v).__name__ == type(t).__name__ and len(v) == len(t)
        for a, b in zip(v, t, strict=True):
            same(a, b)
    else:
        assert v == t


Point = namedtuple("Point", ["x", "y"])
SAMPLES = {
    "tuples of tensors and ints": lambda lib: [(lib.tensor([i, i + 1.0]), i) for i in range(3)],
    "dicts": lambda lib: [{"image": lib.ones(2, 2) * i, "label": i, "name": f"n{i}"}
                          for i in range(3)],
    "floats": lambda lib: [0.5, 1.5, 2.5],
    "bools": lambda lib: [True, False, True],
    "numpy arrays": lambda lib: [np.arange(3, dtype=np.float64) + i for i in range(2)],
    "numpy scalars": lambda lib: [np.float32(1.5), np.float32(2.5)],
    "lists": lambda lib: [[1, 2.0], [3, 4.0]],
    "namedtuples": lambda lib: [Point(1.0, lib.tensor(2)), Point(3.0, lib.tensor(4))],
    "nested": lambda lib: [({"a": (1, 2)}, [lib.zeros(1)]) for _ in range(2)],
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_collate_matches_torch(kind: str) -> None:
    same(vud.default_collate(SAMPLES[kind](vb)), tud.default_collate(SAMPLES[kind](torch)))


def test_default_collate_errors_name_the_problem() -> None:
    with pytest.raises(RuntimeError, match="equal size"):
        vud.default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        vud.default_collate([vb.zeros(2), vb.zeros(3)])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        vud.default_collate([object()])


def loaders(n: int = 10, **kwargs: Any) -> tuple[vud.DataLoader, tud.DataLoader]:
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    return (vud.DataLoader(vud.TensorDataset(vb.tensor(x), vb.tensor(y)), **kwargs),
            tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), **kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True},
                                    {"batch_size": 5}, {"batch_size": 20}, {"batch_size": None}])
def test_unshuffled_batches_match_torch(kwargs: dict[str, Any]) -> None:
    v, t = loaders(**kwargs)
    assert len(v) == len(t)
    vb_batches, torch_batches = list(v), list(t)
    assert len(vb_batches) == len(torch_batches)
    for a, b in zip(vb_batches, torch_batches, strict=True):
        same(a, b)


def test_a_custom_dataset_and_collate_fn() -> None:
    class Squares(vud.Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"x": vb.tensor([float(i)]), "y": i * i}

    batches = list(vud.DataLoader(Squares(), batch_size=2))
    assert [b["y"].tolist() for b in batches] == [[0, 1], [4, 9], [16]]
    assert batches[0]["x"].shape == (2, 1)
    summed = list(vud.DataLoader(Squares(), batch_size=2, collate_fn=lambda b: len(b)))
    assert summed == [2, 2, 1]


def epoch_orders(loader: vud.DataLoader, epochs: int = 2) -> list[list[int]]:
    return [[int(i) for _, yb in loader for i in yb] for _ in range(epochs)]


def test_shuffle_is_a_new_permutation_each_epoch_and_reproducible_with_a_generator() -> None:
    v, _ = loaders(20, batch_size=6, shuffle=True, generator=vb.Generator().manual_seed(7))
    first, second = epoch_orders(v)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second
    again, _ = loaders(20, batch_size=6, shuffle=True, generator=vb.Generator().manual_seed(7))
    assert epoch_orders(again) == [first, second]


def test_shuffle_without_a_generator_follows_manual_seed() -> None:
    vb.manual_seed(3)
    v, _ = loaders(20, batch_size=4, shuffle=True)
    order = epoch_orders(v)
    vb.manual_seed(3)
    assert epoch_orders(v) == order


def test_drop_last_drops_the_short_batch_when_shuffled() -> None:
    v, _ = loaders(10, batch_size=4, shuffle=True, drop_last=True)
    assert len(v) == 2
    assert [len(yb) for _, yb in v] == [4, 4]


def test_every_epoch_draws_from_the_generator_as_torch() -> None:
    """torch's loader draws one number per epoch (a worker seed) even unshuffled."""
    g = vb.Generator().manual_seed(1)
    v, _ = loaders(4, batch_size=2, generator=g)
    before = g.get_state().tolist()
    list(v)
    assert g.get_state().tolist() != before


def test_random_split_subset_and_concat() -> None:
    ds = vud.TensorDataset(vb.arange(10))
    a, b = vud.random_split(ds, [0.7, 0.3], generator=vb.Generator().manual_seed(0))
    assert (len(a), len(b)) == (7, 3)
    assert sorted([int(a[i][0]) for i in range(7)] + [int(b[i][0]) for i in range(3)]) == list(
        range(10))
    both = a + b
    assert len(both) == 10 and int(both[-1][0]) == int(b[2][0])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        vud.random_split(ds, [3, 3])


def test_iterable_dataset_batches_a_stream() -> None:
    class Counter(vud.IterableDataset):
        def __iter__(self) -> Any:
            return iter(range(7))

    assert [b.tolist() for b in vud.DataLoader(Counter(), batch_size=3)] == [[0, 1, 2], [3, 4, 5],
                                                                            [6]]
    with pytest.raises(ValueError, match="shuffle"):
        vud.DataLoader(Counter(), shuffle=True)


def test_loader_argument_errors_match_torch() -> None:
    ds = vud.TensorDataset(vb.zeros(4))
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        vud.DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        vud.DataLoader(ds, sampler=vud.SequentialSampler(ds), shuffle=True)
    with pytest.raises(AssertionError, match="Size mismatch"):
        vud.TensorDataset(vb.zeros(4), vb.zeros(3))


def test_num_workers_loads_in_process_with_the_same_batches() -> None:
    v, _ = loaders(9, batch_size=4, num_workers=2)
    _, t = loaders(9, batch_size=4)
    for a, b in zip(v, t, strict=True):
        same(a, b)
