"""The embedded dataset and its build scripts, installed as the package ``geo.data``.

``pyproject.toml`` maps this folder onto ``geo.data``: a wheel ships
``sichuan.gpkg`` and ``rules.yaml`` here as package data (found through
:mod:`geo.resources`), and with the editable install the build scripts are
importable as :mod:`geo.data.build` and :mod:`geo.data.build_rivers`
(``python -m geo.data.build``).  This file makes the folder a regular
package; without it the editable finder cannot reach a namespace package
nested in ``geo``.
"""
