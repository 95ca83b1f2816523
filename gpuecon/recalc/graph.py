"""The evaluation order of formula cells, by index: :func:`schedule` sorts the dependency graph
topologically (:func:`kahn`), with the cells of one candidate group (one formula shape in one column)
as a single *batch* when none of them depends on another and the batches' own graph stays acyclic;
otherwise they fall back to single cells. Circular references are the strongly connected components
of what is left (:func:`cycles`, iterative Tarjan); they are evaluated as one step (to ``#VALUE!``),
and the cells that depend on them after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

__all__ = ["cycles", "kahn", "schedule"]


def schedule(preds: list[set[int]], groups: Iterable[list[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """The ordered batches of cell indices (``preds[i]``: the cells cell ``i`` reads) and the cycles.

    ``groups``: candidate batches; a group whose cells read each other (a chain such as ``month =
    previous month + 1``) is evaluated cell by cell.
    """
    n = len(preds)
    rep = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for ids in groups:
        group = set(ids)
        if len(ids) < 2 or any(preds[i] & group for i in ids):
            continue
        for i in ids:
            rep[i] = ids[0]
            members.pop(i, None)
        members[ids[0]] = ids
    while True:
        order, left = kahn(members, rep, preds, set())
        if not any(len(members[r]) > 1 for r in left):
            break
        rest = set(left)
        bpreds = {r: {rep[p] for i in members[r] for p in preds[i]} & rest for r in left}
        split = [r for comp in cycles(rest, bpreds) for r in comp if len(members[r]) > 1]
        if not split:
            break
        for r in split:  # batches that would wait on each other: back to single cells
            for i in members.pop(r):
                rep[i] = i
                members[i] = [i]
    comps: list[list[int]] = []
    if left:
        rest = {i for r in left for i in members[r]}
        comps = cycles(rest, {i: preds[i] for i in rest})
        cyclic = {k for comp in comps for k in comp}
        order.append(sorted(cyclic))
        tail, _ = kahn({i: [i] for i in rest - cyclic}, list(range(n)), preds,
                       {i for i in range(n) if i not in rest} | cyclic)
        order += tail
    return order, comps


def kahn(members: dict[int, list[int]], rep: list[int], preds: list[set[int]],
         done: set[int]) -> tuple[list[list[int]], list[int]]:
    """Topological order of batches (``members``: representative -> cell indices); cells in ``done``
    count as computed. Returns the ordered batches (cell indices) and the representatives left over."""
    spreds: dict[int, set[int]] = {}
    users: dict[int, list[int]] = defaultdict(list)
    for r, ids in members.items():
        ps = {rep[p] for i in ids for p in preds[i] if p not in done}
        spreds[r] = ps
        for p in ps:
            users[p].append(r)
    indeg = {r: len(ps) for r, ps in spreds.items()}
    ready = [r for r, d in indeg.items() if d == 0]
    order: list[list[int]] = []
    while ready:
        r = ready.pop()
        order.append(members[r])
        for u in users.get(r, ()):
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    left = [r for r, d in indeg.items() if d > 0]
    return order, left


def cycles(rest: set[int], preds: dict[int, set[int]]) -> list[list[int]]:
    """Strongly connected components of the leftover graph that are real cycles (iterative Tarjan)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on: set[int] = set()
    stack: list[int] = []
    comps: list[list[int]] = []
    counter = 0
    for root in rest:
        if root in index:
            continue
        work = [(root, iter(sorted(p for p in preds[root] if p in rest)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(p for p in preds[w] if p in rest))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in preds[v]:
                    comps.append(comp[::-1])
    return comps
