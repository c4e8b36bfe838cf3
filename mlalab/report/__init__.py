"""The report: facts computed from the tables, Jinja2 filters and context, rendering, plots, diagrams."""
