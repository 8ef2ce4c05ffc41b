"""Clearing of obligations: who pays what share of what it owes.

Eisenberg and Noe (2001), "Systemic risk in financial systems", *Management Science*
47(2), 236-249: with nominal liabilities ``L[i, j]`` (what ``i`` owes ``j``), total
obligations ``pbar_i = sum_j L[i, j] + external_i`` and relative liabilities
``Pi = L / pbar``, a clearing vector solves ``p = min(pbar, max(0, e + Pi^T p))``.
The set of clearing vectors is a complete lattice; we return the greatest one, reached
by iterating the (monotone) map down from ``p = pbar``.

Rogers and Veraart (2013), "Failure and rescue in an interbank network", *Management
Science* 59(4), 882-898, add default costs: a node that cannot pay in full realises
only ``alpha`` of its external assets and ``beta`` of what it is paid, so it pays
``alpha e + beta Pi^T p``. The greatest clearing vector is again the limit of the
iteration from ``pbar`` (their Greatest Clearing Vector Algorithm reaches the same
point in at most ``n`` rounds of solving for the default set; we finish with that exact
solve so the answer does not depend on the iteration's tolerance).

:func:`clear` works on many shock scenarios at once (``external`` of shape ``(S, n)``);
:func:`clear_loop` is the same fixed point written as plain Python loops over nodes,
kept as the benchmark baseline and as an independent check in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from computeloop.errors import InputError

F = NDArray[np.float64]


@dataclass(frozen=True)
class Clearing:
    """A clearing solution for ``S`` scenarios of an ``n``-node network.

    ``payments`` (S, n): what each node pays in total; ``obligations`` (n,): what it owes
    (``pbar``); ``ratio`` (S, n): ``payments / obligations`` (1 where nothing is owed);
    ``defaulted`` (S, n): pays less than it owes; ``rounds`` (S,): default rounds, the
    number of times the default set grew before it settled (1 = only first-round
    defaults, 0 = none); ``received`` (S, n): what each node is paid by the others.
    """

    payments: F
    obligations: F
    ratio: F
    defaulted: NDArray[np.bool_]
    rounds: NDArray[np.int64]
    received: F
    iterations: int


def relative_liabilities(liabilities: F, external: F | None = None) -> tuple[F, F]:
    """``(Pi, pbar)``: each row of ``liabilities`` divided by the node's total obligations.

    >>> pi, pbar = relative_liabilities(np.array([[0.0, 2.0], [1.0, 0.0]]), np.array([2.0, 0]))
    >>> pbar.tolist(), pi[0].tolist()
    ([4.0, 1.0], [0.0, 0.5])
    """
    L = _square(liabilities)
    ext = np.zeros(L.shape[-1]) if external is None else np.asarray(external, dtype=np.float64)
    pbar = L.sum(axis=-1) + ext
    safe = np.where(pbar > 0, pbar, 1.0)
    pi: F = L / safe[..., None]
    return pi, pbar


def _flow(p: F, pi: F) -> F:
    """What each node receives, ``Pi^T p``, for one network or one per scenario."""
    out: F = p @ pi if pi.ndim == 2 else np.einsum("si,sij->sj", p, pi)
    return out


def clear(
    liabilities: F,
    assets: F,
    *,
    external_liabilities: F | None = None,
    alpha: float = 1.0,
    beta: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> Clearing:
    """The greatest clearing vector, for one or many scenarios of external assets.

    ``liabilities`` (n, n), or (S, n, n) for one network per scenario: ``L[i, j]`` owed
    by ``i`` to ``j``; ``assets`` (n,) or (S, n): external assets per scenario;
    ``external_liabilities`` (n,) or (S, n): owed outside the network.
    ``alpha = beta = 1`` is Eisenberg-Noe; lower values are Rogers-Veraart default costs.

    >>> L = np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> c = clear(L, np.array([[0.4, 0.0], [2.0, 0.0]]))
    >>> c.payments[:, 0].tolist(), c.defaulted[:, 0].tolist()
    ([0.4, 1.0], [True, False])
    """
    if not (0.0 <= alpha <= 1.0 and 0.0 <= beta <= 1.0):
        raise InputError(f"alpha and beta: must be in [0, 1], got {alpha}, {beta}")
    pi, pbar = relative_liabilities(liabilities, external_liabilities)
    e = np.atleast_2d(np.asarray(assets, dtype=np.float64))
    n = pi.shape[-1]
    if e.shape[1] != n or (pi.ndim == 3 and pi.shape[0] != e.shape[0]):
        raise InputError(f"assets: need one row per scenario and {n} columns, got {e.shape}")
    e, pbar = np.broadcast_arrays(e, pbar)
    if np.any(e < 0) or np.any(pbar < 0):
        raise InputError("assets and liabilities must be non-negative")
    p = pbar.copy()
    default = np.zeros(e.shape, dtype=bool)
    rounds = np.zeros(e.shape[0], dtype=np.int64)
    scale = max(float(pbar.max(initial=0.0)), 1.0)
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        inflow = _flow(p, pi)
        new_default = default | (e + inflow < pbar - tol * scale)
        rounds += np.any(new_default & ~default, axis=1)
        default = new_default
        # A solvent node pays in full; a defaulted one pays what its (costed) assets allow.
        value = np.where(default, alpha * e + beta * inflow, e + inflow)
        nxt = np.clip(value, 0.0, pbar)
        done = np.max(np.abs(nxt - p), initial=0.0) <= tol * scale
        p = nxt
        if done:
            break
    p = _exact(pi, pbar, e, default, alpha, beta, p)
    safe = np.where(pbar > 0, pbar, 1.0)
    return Clearing(
        payments=p,
        obligations=pbar,
        ratio=np.where(pbar > 0, p / safe, 1.0),
        defaulted=default & (p < pbar * (1 - 1e-12)),
        rounds=rounds,
        received=_flow(p, pi),
        iterations=iterations,
    )


def _exact(pi: F, pbar: F, e: F, default: NDArray[np.bool_], alpha: float, beta: float, p: F) -> F:
    """Solve the linear system of the settled default set, as the Greatest Clearing
    Vector Algorithm does: solvent nodes pay ``pbar``, defaulted ones
    ``alpha e + beta Pi^T p`` (clipped at 0). Skipped for large networks, where the
    iteration's tolerance already bounds the error."""
    n = pi.shape[-1]
    if n > 200 or default.any(axis=1).sum() * n * n > 2_000_000:
        return p
    out = p.copy()
    eye = np.eye(n)
    for s in np.flatnonzero(default.any(axis=1)):
        d = default[s]
        pis = pi if pi.ndim == 2 else pi[s]
        # Rows of defaulted nodes: p_i - beta sum_j pi_ji p_j = alpha e_i; others: p_i = pbar_i.
        a = eye.copy()
        a[d] -= beta * pis.T[d]
        b = np.where(d, alpha * e[s], pbar[s])
        try:
            sol = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            continue
        if np.all(sol >= -1e-9) and np.all(sol <= pbar[s] + 1e-9):
            out[s] = np.clip(sol, 0.0, pbar[s])
    return out


def clear_loop(
    liabilities: list[list[float]],
    assets: list[float],
    *,
    external_liabilities: list[float] | None = None,
    alpha: float = 1.0,
    beta: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> list[float]:
    """The same greatest clearing vector for one scenario, in plain Python loops.

    No NumPy: the unvectorised baseline of the benchmark and an independent check.

    >>> clear_loop([[0.0, 1.0], [0.0, 0.0]], [0.4, 0.0])
    [0.4, 0.0]
    """
    n = len(assets)
    ext = external_liabilities or [0.0] * n
    pbar = [sum(liabilities[i]) + ext[i] for i in range(n)]
    scale = max(max(pbar, default=0.0), 1.0)
    p = list(pbar)
    default = [False] * n
    for _ in range(max_iter):
        change = 0.0
        nxt = [0.0] * n
        for i in range(n):
            inflow = 0.0
            for j in range(n):
                if pbar[j] > 0:
                    inflow += liabilities[j][i] / pbar[j] * p[j]
            if assets[i] + inflow < pbar[i] - tol * scale:
                default[i] = True
            value = alpha * assets[i] + beta * inflow if default[i] else assets[i] + inflow
            nxt[i] = min(max(value, 0.0), pbar[i])
            change = max(change, abs(nxt[i] - p[i]))
        p = nxt
        if change <= tol * scale:
            break
    return p


def is_clearing_vector(
    p: F, liabilities: F, assets: F, external_liabilities: F | None = None, tol: float = 1e-9
) -> bool:
    """Whether ``p`` (n,) solves the Eisenberg-Noe fixed point ``p = min(pbar, e + Pi^T p)``."""
    pi, pbar = relative_liabilities(liabilities, external_liabilities)
    target = np.clip(np.asarray(assets) + p @ pi, 0.0, pbar)
    scale = max(float(pbar.max(initial=0.0)), 1.0)
    return bool(np.max(np.abs(target - p), initial=0.0) <= tol * scale)


def _square(liabilities: F) -> F:
    L = np.asarray(liabilities, dtype=np.float64)
    if L.ndim not in (2, 3) or L.shape[-2] != L.shape[-1]:
        raise InputError(f"liabilities: must be a square matrix, got shape {L.shape}")
    if np.any(L < 0) or not np.all(np.isfinite(L)):
        raise InputError("liabilities: must be finite and non-negative")
    return L
