"""anuvaad training pipeline: tokenizer, train, export, evaluate, package.

Run from the repository root with Debian's interpreter, e.g.
``/usr/bin/python3 -m training train``.
"""
