"""Worker processes that end with the process that gave them their work.

joblib's worker processes (its ``loky`` backend) wait up to five minutes for more work, and
do not notice when their parent is killed (``kill -9``, an out-of-memory kill): each would
hold its share of memory long after the command is gone. A job that may run in such a
worker calls :func:`end_with_parent` with the process id of the process that dispatched it;
in a direct child of that process it starts, once per process, a watcher that ends the
worker as soon as that parent is gone. Used by parallel extraction and
:func:`gtzan_helpers.fast.map_jobs`.
"""

from __future__ import annotations

import os
import threading
import time

WATCHER = "end-with-parent"
"""The name of the watcher thread: a process has one at most."""


def end_with_parent(dispatcher: int, poll_seconds: float = 0.5) -> bool:
    """Have this process end when ``dispatcher``, its parent, is gone.

    Parameters
    ----------
    dispatcher : int
        The process id of the process that handed out the job (``os.getpid()`` there).
        In that process itself, or where it is not this process's parent (a remote
        Dask worker), nothing is done.

    Returns
    -------
    bool
        Whether this process watches its parent (now or from an earlier call).

    Examples
    --------
    >>> import os
    >>> end_with_parent(os.getpid())  # the job runs where it was dispatched: nothing to do
    False
    """
    # the running threads say whether this process watches already (a forked child has none)
    if any(thread.name == WATCHER for thread in threading.enumerate()):
        return True
    if os.getppid() != dispatcher:
        return False

    def watch():
        while os.getppid() == dispatcher:
            time.sleep(poll_seconds)
        os._exit(1)  # the parent is gone: nobody waits for what this worker would make

    threading.Thread(target=watch, name=WATCHER, daemon=True).start()
    return True
