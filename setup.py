"""Only for `scrapyd-deploy`, which builds its egg with `python setup.py bdist_egg`
(scrapyd-client 2.x; it would otherwise write a setup.py of its own that packs
neither the schema file nor this project's metadata). Everything is declared in
pyproject.toml: package data and the `scrapy` entry point `settings`."""

from setuptools import setup

setup()
