"""Quoting for the SQL this project writes: nothing from a file name or header reaches SQL raw."""


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
