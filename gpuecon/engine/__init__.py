"""The engine: pure functions on numpy and pandas (no file I/O, no xlwings; runs in Pyodide).

errors, numbers (the one number parser), catalog (+ data/catalog.csv), assumptions (the one
validated assumptions object), finance (IRR, annuities), model (TCO, floor, ceiling, project
flows, IRR), frame (scenario tables), calibration. Imports nothing above it (docs/architecture.md).
"""
