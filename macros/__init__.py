"""The VBA source of the register workbook's buttons (`*.bas`), shipped as package data.

This folder is installed as `pmo_xl.macros` (see pyproject.toml), so that the workbook builder
finds the sources through importlib.resources in a source checkout and in an installed pmo-xl
alike. The .bas files are UTF-8 text limited to code page 1252, the encoding VBA stores.
"""
