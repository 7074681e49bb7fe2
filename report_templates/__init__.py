"""The Jinja2 templates and CSS of the status reports, shipped as package data.

This folder is installed as `pmo_xl.report_templates` (see pyproject.toml), so that the report
renderer finds the templates the same way in a source checkout and in an installed pmo-xl.
`pmo-xl report --templates DIR` puts a folder of the user's own in front: a file there with
the same name as one here (for example `project.html.j2` or `report.css`) is used instead.
"""
