"""The doors over `qa.QA`: take a command line, an HTTP request or a chat message, give the engine's
answer rendered for that door (the `qa` command, the HTTP API, the chat page); each only translates."""
