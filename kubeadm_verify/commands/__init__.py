"""One module per verb, each with ``run(args) -> int``; imported only when its verb runs."""
