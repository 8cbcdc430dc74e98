"""The web: routes, trainer actions, requests (identity, language, pages), guards, sockets."""
