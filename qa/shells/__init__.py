"""The shells over `qa.QA`: the `qa` command, the HTTP API and the chat page; each only translates."""
