"""What `relay-git init` writes and the offline demo's example repository."""
