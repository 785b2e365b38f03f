"""Run Home Assistant with this integration against the Printernizer simulator.

`scripts/develop` is the entry point; `python -m scripts.develop_support --help` lists the
options. The modules are also used by the browser tests in `tests/e2e/`.
"""
