"""One module per benchmark. Each has `NAME`, `TITLE`, `run(ctx) -> dict`
(JSON-ready results) and `render(results, ctx_info) -> str` (its Markdown
section). The HTTP load series are declared by their modules (`series(ctx)`)
and measured together, interleaved, by lib/load.py."""
