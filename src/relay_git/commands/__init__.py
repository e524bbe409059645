"""One module per subcommand; each keeps its Click body thin."""
