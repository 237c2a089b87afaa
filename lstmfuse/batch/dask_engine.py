"""Run a batch on Dask distributed (``--engine dask [--address tcp://HOST:8786]``).

Why Dask and not Ray: the unit of work is one file (a path in, a small dict out), so all
that is needed is a task queue with results streamed back as they finish. Dask's
``distributed`` is pure Python (a few MB from PyPI, no native daemon), connects to a
scheduler by a plain ``tcp://`` address, starts a ``LocalCluster`` in a test in seconds,
and its ``as_completed`` gives exactly the streaming the journal and progress bar need.
Ray would add a large native runtime (raylet, object store) whose strengths (shared-memory
objects, actors) this job does not use.

Requirements on a real cluster: every worker runs the same lstmfuse version (install the
project in the workers' environment) and sees the files at the same paths (a shared
filesystem); results are written by the workers, the journal and report by the client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import UsageError


def _import_distributed():
    try:
        import distributed  # noqa: F401
    except ImportError:  # pragma: no cover - it is a dependency, but keep the message clear
        raise UsageError("the dask engine needs the 'distributed' package (pip install distributed)") from None
    return distributed


def _probe(address: str) -> None:
    """Fail in a moment, not after the client's timeout, when nothing listens there."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return  # other transports (ucx, inproc): let distributed handle them
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        raise UsageError(f"bad Dask scheduler address '{address}' (expected tcp://HOST:PORT)") from None
    if not host:
        raise UsageError(f"bad Dask scheduler address '{address}' (expected tcp://HOST:PORT)")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None


def run_on_dask(tasks: list[dict[str, Any]], work: Callable[[dict[str, Any]], dict[str, Any]],
                handle: Callable[[dict[str, Any]], None], *, address: str | None, jobs: int, stop=None) -> None:
    """Run ``work`` on every task on the cluster at ``address`` (or a local one with ``jobs``
    worker processes) and hand each result to ``handle`` as it finishes.

    ``work`` is given, not imported, so this module knows nothing of the runner (which
    imports it): the workers import ``work`` by its module name when they unpickle it.
    """
    distributed = _import_distributed()

    cluster = None
    if address:
        _probe(address)
        try:
            client = distributed.Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    else:
        cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
        client = distributed.Client(cluster)
    futures = []
    try:
        if not tasks:
            return
        futures = client.map(work, tasks, pure=False, key=[f"lstmfuse-batch-{i}-{id(tasks)}" for i in range(len(tasks))])
        for fut in distributed.as_completed(futures):
            if stop is not None and stop.is_set():
                client.cancel([f for f in futures if not f.done()])
            if fut.cancelled():
                continue
            try:
                raw = fut.result()
            except Exception as exc:  # a worker died: report the file, go on
                i = futures.index(fut)
                raw = {"source": tasks[i]["source"], "status": "failed", "output": tasks[i]["output"],
                       "error": f"{tasks[i]['source']}: the Dask worker failed: {type(exc).__name__}: {exc}"}
            handle(raw)
    except KeyboardInterrupt:
        client.cancel(futures)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
