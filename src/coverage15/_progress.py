"""Progress bars: notebook widgets where Jupyter can draw them, plain text bars elsewhere.

``tqdm.auto`` picks widget bars in a Jupyter kernel, but where ipywidgets is
not installed it warns (``TqdmWarning: IProgress not found``) as soon as it is
imported. coverage15 does not need the widgets: without ipywidgets it uses
``tqdm.std``'s text bars, silently.

Examples
--------
>>> import io
>>> from coverage15._progress import progress_bar
>>> out = io.StringIO()
>>> with progress_bar(total=3, desc="maps", file=out) as bar:
...     bar.update(3)
>>> "maps: 100%" in out.getvalue()
True
"""

from __future__ import annotations

from typing import Any

from tqdm.std import tqdm as std_tqdm

__all__ = ["in_notebook", "ipywidgets_available", "progress_bar", "tqdm_class", "want_progress"]


def ipywidgets_available() -> bool:
    """True when ipywidgets can be imported (``tqdm.notebook`` needs it for its bars).

    Examples
    --------
    >>> import importlib.util
    >>> ipywidgets_available() == (importlib.util.find_spec("ipywidgets") is not None)
    True
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def tqdm_class() -> type[std_tqdm]:
    """The tqdm class to use: ``tqdm.auto``'s with ipywidgets, else ``tqdm.std``'s.

    Examples
    --------
    >>> issubclass(tqdm_class(), std_tqdm)
    True
    """
    if not ipywidgets_available():
        return std_tqdm
    from tqdm.auto import tqdm

    return tqdm


def progress_bar(*args: Any, **kwargs: Any) -> std_tqdm:
    """A progress bar of :func:`tqdm_class`; arguments as for ``tqdm.tqdm``.

    Examples
    --------
    >>> [i for i in progress_bar(range(3), disable=True)]
    [0, 1, 2]
    """
    return tqdm_class()(*args, **kwargs)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where a planner wants progress bars by default).

    Returns
    -------
    bool
        Whether IPython runs as a kernel (``ZMQInteractiveShell``); False in a
        terminal IPython, a script, a test or a batch worker.

    Examples
    --------
    In a plain Python process (such as this doctest) there is no kernel:

    >>> in_notebook()
    False
    """
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def want_progress(progress: bool | None) -> bool:
    """Resolve a ``progress`` option: as given, else on in Jupyter notebooks only.

    Parameters
    ----------
    progress
        True or False as the caller asked; None (the library's default) means
        "show bars in a notebook, stay quiet in scripts and tests".

    Returns
    -------
    bool
        Whether to draw progress bars.

    Examples
    --------
    >>> want_progress(True), want_progress(False), want_progress(None)
    (True, False, False)
    """
    return in_notebook() if progress is None else bool(progress)
