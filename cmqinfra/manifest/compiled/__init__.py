"""JSON Schemas compiled ahead of time (tools/compile_schemas.py): one acceptor per schema."""
