"""The casework REST API: persons."""
