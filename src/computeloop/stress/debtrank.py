"""DebtRank: how an equity loss at one node spreads through exposures to the others.

Battiston, Puliga, Kaushik, Tasca and Caldarelli (2012), "DebtRank: too central to
fail?", *Scientific Reports* 2, 541. Node ``i`` holds assets ``A[i, j]`` on node ``j``
(loans, receivables, equity stakes) and has equity (capital buffer) ``E_i``; the impact
of ``j`` on ``i`` is ``W[i, j] = min(1, A[i, j] / E_i)``. Relative equity loss
``h_i`` in [0, 1] (1 = default) starts at the shock; each distressed node passes on
its distress once, ``h_i <- min(1, h_i + sum_{j distressed} W[i, j] h_j)``, and then
becomes inactive. The DebtRank of a shock is the weighted extra distress it causes,
``sum_i v_i (h_i(end) - h_i(0))``.

Bardoscia, Battiston, Caccioli and Caldarelli (2015), "DebtRank: a microscopic
foundation for shock propagation", *PLoS ONE* 10(6), e0130406, drop the "once only"
rule: every increase of distress propagates linearly,
``h_i(t+1) = min(1, h_i(t) + sum_j W[i, j] (h_j(t) - h_j(t-1)))``
(``method="linear"``).

Both are vectorised over many shocks at once (``shock`` of shape ``(S, n)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from computeloop.errors import InputError

F = NDArray[np.float64]


@dataclass(frozen=True)
class DebtRankResult:
    """``h0`` and ``h`` (S, n): relative equity loss before and after propagation;
    ``debtrank`` (S,): weighted extra distress; ``rounds`` (S,): propagation rounds in
    which some node's distress rose; ``defaults`` (S, n): ``h >= 1``."""

    h0: F
    h: F
    weights: F
    debtrank: F
    rounds: NDArray[np.int64]
    defaults: NDArray[np.bool_]


def impact_matrix(assets: F, equity: F) -> F:
    """``W[i, j] = min(1, A[i, j] / E_i)``; a node without equity takes no impact.

    ``assets`` may be (n, n) or one matrix per scenario (S, n, n), ``equity`` (n,) or (S, n).

    >>> impact_matrix(np.array([[0.0, 1.0], [10.0, 0.0]]), np.array([2.0, 5.0])).tolist()
    [[0.0, 0.5], [1.0, 0.0]]
    """
    A = np.asarray(assets, dtype=np.float64)
    E = np.asarray(equity, dtype=np.float64)
    n = E.shape[-1]
    if A.ndim not in (2, 3) or A.shape[-2:] != (n, n):
        raise InputError(f"assets: need ({n}, {n}) matrices, got {A.shape}")
    if np.any(A < 0) or np.any(E < 0):
        raise InputError("assets and equity must be non-negative")
    safe = np.where(E > 0, E, 1.0)
    W: F = np.where(E[..., :, None] > 0, np.minimum(1.0, A / safe[..., :, None]), 0.0)
    W = W * (1.0 - np.eye(n))
    return W


def _push(h: F, W: F) -> F:
    """Distress passed on: ``sum_j W[i, j] h_j`` for one network or one per scenario."""
    out: F = h @ W.T if W.ndim == 2 else np.einsum("sj,sij->si", h, W)
    return out


def debtrank(
    assets: F,
    equity: F,
    shock: F,
    *,
    weights: F | None = None,
    method: Literal["single", "linear"] = "single",
    tol: float = 1e-12,
    max_rounds: int = 10_000,
) -> DebtRankResult:
    """Propagate relative equity losses ``shock`` (n,) or (S, n) through the exposures.

    ``weights`` (n,): each node's economic weight (default: equal); they are normalised.

    >>> A = np.array([[0.0, 1.0, 0.0], [10.0, 0.0, 3.0], [3.0, 2.0, 0.0]])
    >>> r = debtrank(A, np.array([2.0, 5.0, 2.0]), np.array([0.0, 0.0, 1.0]),
    ...              weights=np.array([10.0, 100.0, 30.0]))
    >>> round(float(r.debtrank[0]), 7)
    0.6642857
    """
    W = impact_matrix(assets, equity)
    h0 = np.atleast_2d(np.asarray(shock, dtype=np.float64))
    n = W.shape[-1]
    if h0.shape[1] != n or np.any(h0 < 0) or np.any(h0 > 1):
        raise InputError(f"shock: needs {n} columns, each from 0 to 1, got shape {h0.shape}")
    v = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    v = v / v.sum()
    if method == "single":
        h, rounds = _single(W, h0, max_rounds)
    elif method == "linear":
        h, rounds = _linear(W, h0, tol, max_rounds)
    else:
        raise InputError(f"method: must be 'single' or 'linear', got {method!r}")
    return DebtRankResult(
        h0=h0,
        h=h,
        weights=v,
        debtrank=(h - h0) @ v,
        rounds=rounds,
        defaults=h >= 1.0 - 1e-12,
    )


def _single(W: F, h0: F, max_rounds: int) -> tuple[F, NDArray[np.int64]]:
    """Battiston et al. (2012): each node propagates its distress once, then is inactive."""
    h = h0.copy()
    active = h0 > 0  # distressed, still to propagate
    inactive = np.zeros_like(active)
    rounds = np.zeros(h0.shape[0], dtype=np.int64)
    for _ in range(max_rounds):
        if not active.any():
            break
        push = np.where(active, h, 0.0)
        new_h = np.minimum(1.0, h + _push(push, W))
        inactive |= active
        active = (new_h > h) & ~inactive
        rounds += np.any(new_h > h, axis=1)
        h = new_h
    return h, rounds


def _linear(W: F, h0: F, tol: float, max_rounds: int) -> tuple[F, NDArray[np.int64]]:
    """Bardoscia et al. (2015): every increase of distress propagates linearly."""
    h = h0.copy()
    dh = h0.copy()
    rounds = np.zeros(h0.shape[0], dtype=np.int64)
    for _ in range(max_rounds):
        new_h = np.minimum(1.0, h + _push(dh, W))
        dh = new_h - h
        grew = np.any(dh > tol, axis=1)
        rounds += grew
        h = new_h
        if not grew.any():
            break
    return h, rounds
