"""Reports: view-models built from findings and history, rendered with Jinja, printed with WeasyPrint."""
